"""Bucket specialists fitted with AutoGluon (tiny GBM, 5 s limit, 1 CPU, once per module): OOF completeness,
ordering, store reuse, worker processes."""

from __future__ import annotations

from typing import Any

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

from zlcast.forecast.artifacts import PredictorStore
from zlcast.forecast.folds import make_folds
from zlcast.forecast.frames import validate_predictions
from zlcast.forecast.specialists import (
    fit_predict_bucket,
)
from zlcast.settings import ForecastSettings

N_DATES = 600
N_NEW = 5  # extra days of data on the rerun


@pytest.fixture(scope="module")
def ag_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Fit the crush specialist on N-5 days, then rerun on N days and again on N days."""
    settings = tiny_settings()
    store = PredictorStore(tmp_path_factory.mktemp("store"))
    out: dict[str, Any] = {"settings": settings, "store": store}
    for key, n in [("first", N_DATES - N_NEW), ("more_data", N_DATES), ("same_data", N_DATES)]:
        f, zl, t = frames_through(n)
        folds = make_folds(zl["trade_date"], t, settings)
        before = len(store.entries())  # fits run in worker processes: count what they publish
        p = fit_predict_bucket("crush", f, zl, t, folds, settings, store)
        out[key] = {"pred": p, "fits": len(store.entries()) - before, "folds": folds, "targets": t, "zl": zl}
    return out


def test_specialist_output_follows_the_prediction_schema(ag_runs) -> None:
    p = ag_runs["first"]["pred"]
    validate_predictions(p)
    assert set(p["model"]) == {"specialist_crush"}
    assert set(p["split"]) == {"oof", "live"}


def test_every_oof_origin_gets_exactly_one_prediction_per_quantile(ag_runs) -> None:
    for key in ("first", "more_data"):
        r = ag_runs[key]
        assert_oof_complete(r["pred"], r["folds"], r["targets"], ag_runs["settings"])


def test_specialist_quantiles_are_monotone(ag_runs) -> None:
    assert_monotone(ag_runs["first"]["pred"])


def test_first_run_fits_one_predictor_per_fold_and_horizon_plus_live(ag_runs) -> None:
    r = ag_runs["first"]
    assert r["fits"] == len(r["folds"]) + 3
    log = fit_log(r["pred"])
    assert (log["action"] == "fit").all()
    assert log["fingerprint"].is_unique


def test_fits_in_worker_processes_match_fits_in_the_calling_process(ag_runs, tmp_path) -> None:
    r = ag_runs["first"]
    f, zl, t = frames_through(N_DATES - N_NEW)
    serial = ForecastSettings.from_config({**ag_runs["settings"].to_dict(), "fit_workers": 1})
    p = fit_predict_bucket("crush", f, zl, t, r["folds"], serial, PredictorStore(tmp_path))
    pd.testing.assert_frame_equal(p.reset_index(drop=True), r["pred"].reset_index(drop=True), rtol=1e-9, atol=1e-12)


def test_rerun_with_unchanged_inputs_fits_nothing(ag_runs) -> None:
    r = ag_runs["same_data"]
    assert r["fits"] == 0
    assert set(fit_log(r["pred"])["action"]) == {"load"}
    a = ag_runs["more_data"]["pred"].reset_index(drop=True)
    pd.testing.assert_frame_equal(a, r["pred"].reset_index(drop=True))


def test_a_few_more_days_reuse_the_stored_live_predictor(ag_runs) -> None:
    first, more = ag_runs["first"], ag_runs["more_data"]
    assert more["fits"] == 0
    live_first = first["pred"][first["pred"]["split"] == "live"]
    live_more = more["pred"][more["pred"]["split"] == "live"]
    cutoff = first["zl"]["trade_date"].iloc[-1]
    assert set(live_first["as_of_date"]) == {cutoff}
    # same cutoff, predictions for the cutoff and the 5 new dates
    assert sorted(set(live_more["as_of_date"])) == list(more["zl"]["trade_date"].iloc[-N_NEW - 1 :])
    log = fit_log(more["pred"])
    assert (log.loc[log["kind"] == "live", "cutoff"] == cutoff).all()
    # the cutoff's own prediction is unchanged
    a = live_first.sort_values(["horizon_days", "quantile"])["value"].to_numpy()
    b = live_more[live_more["as_of_date"] == cutoff].sort_values(["horizon_days", "quantile"])["value"].to_numpy()
    np.testing.assert_allclose(a, b)


def test_live_rows_carry_estimated_target_dates(ag_runs) -> None:
    p = ag_runs["first"]["pred"]
    live = p[p["split"] == "live"]
    assert (live["fold_id"] == -1).all()
    row = live[live["horizon_days"] == 5].iloc[0]
    assert row["target_date"] == pd.Timestamp(np.busday_offset(row["as_of_date"].date(), 5))
