"""Bucket specialists and the LightGBM baseline: OOF completeness, ordering, store reuse.

AutoGluon fits run once per module (tiny GBM, 5 s limit, 1 CPU); everything
else uses the cheap LightGBM backend or a fake backend.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from forecast_synth import (
    assert_monotone,
    assert_oof_complete,
    fit_log,
    frames_through,
    tiny_settings,
)

from zlcast.forecast import baseline_lgbm
from zlcast.forecast.artifacts import PredictorStore
from zlcast.forecast.baselines import normal_quantiles, rw_ewma_quantiles
from zlcast.forecast.folds import make_folds
from zlcast.forecast.frames import bucket_columns, validate_predictions
from zlcast.forecast.specialists import (
    LABEL,
    SIGMA_FEATURE,
    Backend,
    autogluon_hyperparameters,
    run_walk_forward,
    standardised_design,
    time_ordered_tuning_split,
)
from zlcast.settings import ForecastSettings

N_DATES = 600
N_NEW = 5  # extra days of data on the rerun


def test_standardised_target_backtransforms_to_the_log_return() -> None:
    f, zl, t = frames_through(N_DATES)
    d = standardised_design(f, zl, t, 20, bucket_columns(f, "china"))
    ok = d[np.isfinite(d[LABEL])]
    np.testing.assert_allclose(ok[LABEL] * ok["sigma"] * np.sqrt(20), ok["fwd_log_return"], rtol=1e-12)
    np.testing.assert_allclose(d[SIGMA_FEATURE], np.log(d["sigma"]))
    assert d[LABEL].isna().sum() == 20  # the last 20 origins are not realised


def test_tuning_split_is_later_in_time_and_purged() -> None:
    f, zl, t = frames_through(N_DATES)
    d = standardised_design(f, zl, t, 60, bucket_columns(f, "crush"))
    d = d[np.isfinite(d[LABEL])]
    fit, tune = time_ordered_tuning_split(d, 0.2)
    assert tune is not None
    assert fit["target_date"].max() < tune["trade_date"].min()
    assert len(tune) == int(len(d) * 0.2)
    assert time_ordered_tuning_split(d.iloc[:100], 0.2)[1] is None


def test_autogluon_hyperparameters_build_spaces_and_seeds() -> None:
    from autogluon.common import space

    spec = ForecastSettings.preset("tune").tabular_hyperparameters
    hp = autogluon_hyperparameters(spec, seed=11)
    assert isinstance(hp["GBM"]["learning_rate"], space.Real)
    assert isinstance(hp["GBM"]["num_leaves"], space.Int)
    assert hp["GBM"]["seed"] == 11
    q = autogluon_hyperparameters(ForecastSettings.preset("quality").tabular_hyperparameters, seed=3)
    assert q["CAT"]["random_seed"] == 3 and q["GBM"]["seed"] == 3


def test_a_model_predicting_normal_z_quantiles_reproduces_the_random_walk(tmp_path: Path) -> None:
    f, zl, t = frames_through(N_DATES)
    s = tiny_settings()
    zq = normal_quantiles(s.quantiles)
    fake = Backend(
        name="normal_z",
        fit=lambda *a: None,
        predict=lambda path, X, cols, st: np.tile(zq, (len(X), 1)),
    )
    folds = make_folds(zl["trade_date"], t, s)
    p = run_walk_forward(fake, bucket_columns(f, "crush"), f, zl, t, folds, s, PredictorStore(tmp_path))
    rw = rw_ewma_quantiles(zl, s.horizons, s.quantiles)
    m = p.merge(rw, on=["as_of_date", "horizon_days", "quantile"], suffixes=("", "_rw"))
    assert len(m) == len(p)
    np.testing.assert_allclose(m["value"], m["value_rw"], rtol=1e-12, atol=1e-15)


def test_lightgbm_baseline_is_complete_monotone_and_reused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f, zl, t = frames_through(N_DATES)
    s = tiny_settings()
    folds = make_folds(zl["trade_date"], t, s)
    store = PredictorStore(tmp_path)
    p = baseline_lgbm.fit_predict_lgbm(f, zl, t, folds, s, store)
    validate_predictions(p)
    assert set(p["model"]) == {"lightgbm_zl"}
    assert_oof_complete(p, folds, t, s)
    assert_monotone(p)
    fits = []
    monkeypatch.setattr(baseline_lgbm, "fit_lgbm", lambda *a: fits.append(a))
    again = baseline_lgbm.fit_predict_lgbm(f, zl, t, folds, s, store)
    assert fits == []
    pd.testing.assert_frame_equal(p, again)


def test_old_live_cutoff_triggers_a_live_refit_only(tmp_path: Path) -> None:
    s = tiny_settings(retrain_after_days=3)
    store = PredictorStore(tmp_path)
    f, zl, t = frames_through(N_DATES - N_NEW)
    baseline_lgbm.fit_predict_lgbm(f, zl, t, make_folds(zl["trade_date"], t, s), s, store)
    f, zl, t = frames_through(N_DATES)
    p = baseline_lgbm.fit_predict_lgbm(f, zl, t, make_folds(zl["trade_date"], t, s), s, store)
    log = fit_log(p)
    assert set(log.loc[log["kind"] == "oof", "action"]) == {"load"}
    assert set(log.loc[log["kind"] == "live", "action"]) == {"fit"}
    assert set(p.loc[p["split"] == "live", "as_of_date"]) == {zl["trade_date"].iloc[-1]}


def test_predict_cached_predicts_identical_rows_once(tmp_path) -> None:
    import numpy as np
    import pandas as pd

    from zlcast.forecast.specialists import Backend, predict_cached
    from zlcast.settings import ForecastSettings

    calls: list[int] = []

    def predict(path, X, columns, settings):
        calls.append(len(X))
        return np.tile(np.arange(len(settings.quantiles), dtype=float), (len(X), 1)) + X[columns[0]].to_numpy()[:, None]

    backend = Backend(name="fake", fit=lambda *a: None, predict=predict, identity={})
    settings = ForecastSettings()
    rows = pd.DataFrame({"trade_date": pd.bdate_range("2024-01-01", periods=4), "x": [1.0, 2.0, 3.0, 4.0]})
    first = predict_cached(backend, tmp_path, rows, ["x"], settings)
    again = predict_cached(backend, tmp_path, rows, ["x"], settings)
    more = predict_cached(
        backend,
        tmp_path,
        pd.concat([rows, rows.iloc[[-1]].assign(trade_date=pd.Timestamp("2024-01-05"))]),
        ["x"],
        settings,
    )
    assert calls == [4, 5]
    np.testing.assert_array_equal(first, again)
    assert more.shape == (5, len(settings.quantiles))
