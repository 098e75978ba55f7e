"""core_ts: AutoGluon-TS path, Chronos/Mitra from tiny local checkpoints, fallbacks. Offline, small, CPU only."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from tiny_checkpoints import make_tiny_chronos_bolt, make_tiny_mitra

from zlcast import core_ts
from zlcast.core_ts import OUTPUT_COLUMNS, CoreTSSettings, fit_predict_core

H = (5, 20)
Q = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)
N = 480
VAL_BLOCKS = [(360, 389), (410, 439)]  # zl row ranges of the two validation blocks

pytestmark = pytest.mark.filterwarnings("ignore")


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.setenv("ZL_DEVICE", "cpu")


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    rng = np.random.default_rng(7)
    dates = pd.bdate_range("2018-01-02", periods=N)
    vol = 0.012 * np.exp(0.3 * np.sin(np.arange(N) / 40.0))
    lc = np.log(45.0) + np.cumsum(rng.standard_t(5, N) * vol / np.sqrt(5 / 3))
    zl = pd.DataFrame({"trade_date": dates, "log_close": lc})
    targets = pd.concat(
        [
            pd.DataFrame(
                {
                    "trade_date": dates[: N - h],
                    "horizon_days": h,
                    "target_date": dates[h:],
                    "fwd_log_return": lc[h:] - lc[: N - h],
                }
            )
            for h in H
        ],
        ignore_index=True,
    )
    rows = []
    for fold_id, (vs, ve) in enumerate(VAL_BLOCKS):
        for h in H:
            # last allowed training origin: its target date is before val_start
            rows.append(
                {
                    "fold_id": fold_id,
                    "horizon_days": h,
                    "train_start": dates[0],
                    "train_end": dates[vs - h - 1],
                    "val_start": dates[vs],
                    "val_end": dates[ve],
                }
            )
    return {"zl": zl, "targets": targets, "folds": pd.DataFrame(rows), "dates": dates}


BASE: dict[str, Any] = {
    "horizons": H,
    "quantiles": Q,
    "ts_models": ("Naive", "ETS", "RecursiveTabular"),
    "ts_model_hyperparameters": {
        "RecursiveTabular": {"lags": [1, 2, 3, 5, 10, 20], "model_hyperparameters": {"num_boost_round": 30}}
    },
    "ts_time_limit": 120,
    "ts_num_val_windows": 1,
    "context_length": 128,
    "num_cpus": 1,
    "fit_workers": 1,  # fits in this process, so the spies below see them
    "mitra_calibration_size": 60,
    "mitra_max_support_rows": 256,
}


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("ckpt")
    return {
        "chronos": make_tiny_chronos_bolt(root / "chronos-bolt-tiny", prediction_length=16, context_length=128),
        "mitra": make_tiny_mitra(root / "mitra-tiny"),
    }


@pytest.fixture(scope="module")
def ts_run(data: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One TS-path run, with the fit cutoffs recorded."""
    store = tmp_path_factory.mktemp("store_ts")
    cutoffs: list[pd.Timestamp] = []
    orig_fit = core_ts._TSRunner.fit

    def spy(self, log_close, stamps, lo, hi, live_cutoff=None):  # type: ignore[no-untyped-def]
        cutoffs.append(data["dates"][hi])
        return orig_fit(self, log_close, stamps, lo, hi, live_cutoff=live_cutoff)

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setattr(core_ts._TSRunner, "fit", spy)
        t0 = time.perf_counter()
        out, info = fit_predict_core(data["zl"], data["targets"], data["folds"], BASE, store)
        secs = time.perf_counter() - t0
    return {"out": out, "info": info, "store": store, "cutoffs": cutoffs, "seconds": secs}


def _check_shape(out: pd.DataFrame, data: dict[str, Any]) -> None:
    assert list(out.columns) == OUTPUT_COLUMNS
    assert (out["model"] == "core_ts").all()
    assert out["value"].notna().all()
    dates = data["dates"]
    oof = out[out["split"] == "oof"]
    for fold_id, (vs, ve) in enumerate(VAL_BLOCKS):
        for h in H:
            got = oof[(oof["fold_id"] == fold_id) & (oof["horizon_days"] == h)]
            assert set(got["as_of_date"]) == set(dates[vs : ve + 1]), (fold_id, h)
            assert len(got) == (ve - vs + 1) * len(Q)
            exp_target = dict(zip(dates[vs : ve + 1], dates[vs + h : ve + 1 + h]))
            assert (got["target_date"] == got["as_of_date"].map(exp_target)).all()
    live = out[out["split"] == "live"]
    assert set(live["horizon_days"]) == set(H)
    assert (live["as_of_date"] == dates[-1]).all()
    assert (live["fold_id"] == core_ts.LIVE_FOLD_ID).all()
    assert out["fold_id"].dtype == np.int64
    assert len(live) == len(H) * len(Q)


def _check_monotone(out: pd.DataFrame) -> None:
    for _, g in out.groupby(["split", "fold_id", "horizon_days", "as_of_date"], dropna=False):
        g = g.sort_values("quantile")
        assert np.all(np.diff(g["value"].to_numpy()) >= -1e-12)


def test_ts_path_forecasts_every_validation_origin_and_the_live_origin(ts_run, data) -> None:
    info = ts_run["info"]
    assert info["path"] == "timeseries", info
    assert info["fallback_reason"] is None
    assert {"Naive", "ETS", "RecursiveTabular"} <= set(info["ts_model_names"])
    assert not any(n.startswith(("DirectTabular", "Chronos")) for n in info["ts_model_names"])
    _check_shape(ts_run["out"], data)


def test_ts_quantiles_are_monotone_and_plausible_log_returns(ts_run) -> None:
    out = ts_run["out"]
    _check_monotone(out)
    med = out[out["quantile"] == 0.5]
    assert med["value"].abs().max() < 0.15
    width = out.pivot_table(index=["split", "horizon_days", "as_of_date"], columns="quantile", values="value")
    spread = (width[0.9] - width[0.1]).groupby(level="horizon_days").mean()
    assert 0 < spread[5] < spread[20] < 0.5  # bands widen with the horizon


def test_ts_fits_never_see_data_past_the_fold_train_end(ts_run, data) -> None:
    folds = data["folds"]
    oof_cutoffs = ts_run["cutoffs"][: len(VAL_BLOCKS)]
    for fold_id, cutoff in enumerate(oof_cutoffs):
        assert cutoff <= folds.loc[folds["fold_id"] == fold_id, "train_end"].min()
    assert ts_run["cutoffs"][-1] == data["dates"][-1]  # live fit uses all data


def test_fitted_predictors_are_reused_when_cutoff_and_settings_are_unchanged(ts_run, data) -> None:
    out, info = fit_predict_core(data["zl"], data["targets"], data["folds"], BASE, ts_run["store"])
    assert info["n_predictors_fit"] == 0
    assert info["n_predictors_reused"] == len(VAL_BLOCKS) + 1
    pd.testing.assert_frame_equal(out, ts_run["out"])


def test_fold_fits_in_worker_processes_match_fits_in_this_process(ts_run, data, tmp_path) -> None:
    out, info = fit_predict_core(data["zl"], data["targets"], data["folds"], {**BASE, "fit_workers": 2}, tmp_path)
    assert info["path"] == "timeseries", info
    assert info["n_predictors_fit"] == len(VAL_BLOCKS) + 1
    pd.testing.assert_frame_equal(out, ts_run["out"], rtol=1e-6, atol=1e-9)


def test_live_predictor_is_kept_for_a_few_more_days_then_retrained(data, tmp_path) -> None:
    zl, targets, folds = data["zl"], data["targets"], data["folds"]
    dates = data["dates"]
    # a first build on the data minus its last 3 days stores a live predictor cut at dates[-4]
    short = zl[zl["trade_date"] <= dates[-4]]
    store = tmp_path
    _, info0 = fit_predict_core(short, targets, folds, BASE, store)
    assert info0["live_cutoff"] == str(pd.Timestamp(dates[-4]).date())
    out, info = fit_predict_core(zl, targets, folds, BASE, store)
    # 3 more days < retrain_after_days: reuse the predictor cut at dates[-4], forecast the 4 origins since then
    assert info["n_predictors_fit"] == 0
    assert info["live_cutoff"] == str(pd.Timestamp(dates[-4]).date())
    live = out[out["split"] == "live"]
    assert set(live["as_of_date"]) == set(dates[-4:])
    assert len(live) == 4 * len(H) * len(Q)
    _check_monotone(live)
    # once the cutoff is retrain_after_days old, the live predictor is refit on all data
    out2, info2 = fit_predict_core(zl, targets, folds, {**BASE, "retrain_after_days": 3}, store)
    assert info2["live_cutoff"] == str(pd.Timestamp(dates[-1]).date())
    assert set(out2.loc[out2["split"] == "live", "as_of_date"]) == {dates[-1]}


def test_chronos_runs_offline_from_a_tiny_local_checkpoint(data, checkpoints, tmp_path) -> None:
    cfg = {**BASE, "ts_models": ("Naive",), "chronos_model_path": str(checkpoints["chronos"]), "device": "cpu"}
    folds = data["folds"][data["folds"]["fold_id"] == 1]
    out, info = fit_predict_core(data["zl"], data["targets"], folds, cfg, tmp_path)
    assert info["path"] == "timeseries", info
    assert info["chronos_used"]
    assert any(n.startswith("Chronos") for n in info["ts_model_names"])
    # the saved predictor itself lists the Chronos member
    from autogluon.timeseries import TimeSeriesPredictor

    saved = sorted(Path(info["ts_store"]).iterdir())
    names = TimeSeriesPredictor.load(str(saved[0])).model_names()
    assert any(n.startswith("Chronos") for n in names)
    assert (out["split"] == "oof").sum() == (VAL_BLOCKS[1][1] - VAL_BLOCKS[1][0] + 1) * len(H) * len(Q)
    _check_monotone(out)


def test_mitra_path_runs_on_tiny_checkpoint_on_the_chosen_device_when_ts_is_off(
    data, checkpoints, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from autogluon.tabular.models.mitra._internal.models import tab2d

    def no_network(*a, **k):  # type: ignore[no-untyped-def]
        raise AssertionError("Mitra tried to download weights")

    monkeypatch.setattr(tab2d, "hf_hub_download", no_network)
    cfg = {**BASE, "use_timeseries": False, "mitra_model_path": str(checkpoints["mitra"])}
    out, info = fit_predict_core(data["zl"], data["targets"], data["folds"], cfg, tmp_path)
    assert info["path"] == "mitra", info
    assert info["device"] == "cpu"  # ZL_DEVICE=cpu
    assert info["mitra_devices"] == [info["device"]]
    assert info["mitra_fits"] == 2 * (len(VAL_BLOCKS) * len(H) + len(H))  # calibration + forecast fits
    _check_shape(out, data)
    _check_monotone(out)
    assert not list((tmp_path / "core_ts" / "mitra_tmp").iterdir())  # temporary Mitra predictors cleaned up


def test_missing_mitra_weights_log_one_clear_line_and_use_the_statistical_path_quickly(
    data, tmp_path, caplog: pytest.LogCaptureFixture
) -> None:
    missing = tmp_path / "no-such-mitra"
    cfg = {**BASE, "use_timeseries": False, "mitra_model_path": str(missing)}
    t0 = time.perf_counter()
    with caplog.at_level(logging.INFO, logger="zlcast"):
        out, info = fit_predict_core(data["zl"], data["targets"], data["folds"], cfg, tmp_path)
    assert time.perf_counter() - t0 < 20
    lines = [r.getMessage() for r in caplog.records if "weights not found" in r.getMessage()]
    assert lines == [
        (
            f"core_ts: Mitra weights not found at {missing}; "
            "using the statistical path (EWMA random walk with empirical standardised quantiles)"
        )
    ]
    assert info["path"] == "statistical"
    _check_shape(out, data)
    _check_monotone(out)


def test_missing_chronos_checkpoint_logs_one_line_and_is_left_out_of_the_ts_fit(
    data, tmp_path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from autogluon.timeseries import TimeSeriesPredictor

    seen: list[dict[str, Any]] = []

    def capture(self, *a, **k):  # type: ignore[no-untyped-def]
        seen.append(k["hyperparameters"])
        raise RuntimeError("stop after capturing the hyperparameters")

    monkeypatch.setattr(TimeSeriesPredictor, "fit", capture)
    missing = tmp_path / "no-such-chronos"
    cfg = {**BASE, "chronos_model_path": str(missing)}
    with caplog.at_level(logging.WARNING, logger="zlcast"):
        _, info = fit_predict_core(data["zl"], data["targets"], data["folds"], cfg, tmp_path)
    assert sum(f"Chronos weights not found at {missing}" in r.getMessage() for r in caplog.records) == 1
    assert seen and "Chronos" not in seen[0] and set(seen[0]) == set(BASE["ts_models"])
    assert info["path"] == "statistical"  # fit "failed", no Mitra weights configured


def test_unconfigured_mitra_weights_also_log_the_line(data, tmp_path, caplog: pytest.LogCaptureFixture) -> None:
    cfg = {**BASE, "use_timeseries": False, "mitra_model_path": None}
    with caplog.at_level(logging.WARNING, logger="zlcast"):
        _, info = fit_predict_core(data["zl"], data["targets"], data["folds"], cfg, tmp_path)
    assert info["path"] == "statistical"
    assert sum("Mitra weights not found at None" in r.getMessage() for r in caplog.records) == 1


def test_failing_ts_fit_falls_back_to_mitra(data, checkpoints, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    from autogluon.timeseries import TimeSeriesPredictor

    def boom(self, *a, **k):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom: simulated AutoGluon-TS failure")

    monkeypatch.setattr(TimeSeriesPredictor, "fit", boom)
    folds = data["folds"][data["folds"]["fold_id"] == 1]
    cfg = {**BASE, "mitra_model_path": str(checkpoints["mitra"])}
    out, info = fit_predict_core(data["zl"], data["targets"], folds, cfg, tmp_path)
    assert info["path"] == "mitra"
    assert "boom" in info["fallback_reason"]
    assert set(out["split"]) == {"oof", "live"}
    _check_monotone(out)


def test_ts_fit_without_any_model_falls_back(data, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    from autogluon.timeseries import TimeSeriesPredictor

    monkeypatch.setattr(TimeSeriesPredictor, "fit", lambda self, *a, **k: self)
    monkeypatch.setattr(TimeSeriesPredictor, "model_names", lambda self: [])
    out, info = fit_predict_core(data["zl"], data["targets"], data["folds"], BASE, tmp_path)
    assert info["path"] == "statistical"
    assert "no model" in info["fallback_reason"]
    _check_shape(out, data)


def test_statistical_bands_scale_with_ewma_vol_and_centre_on_no_change(data, tmp_path) -> None:
    cfg = {**BASE, "use_timeseries": False}
    out, _ = fit_predict_core(data["zl"], data["targets"], data["folds"], cfg, tmp_path)
    med = out[out["quantile"] == 0.5]["value"]
    assert np.allclose(med, 0.0)
    sigma = core_ts._ewma_sigma(data["zl"]["log_close"].to_numpy(), 0.94, 20)
    oof5 = out[(out["split"] == "oof") & (out["horizon_days"] == 5) & (out["fold_id"] == 0) & (out["quantile"] == 0.9)]
    pos = data["dates"].get_indexer(oof5["as_of_date"])
    ratio = oof5["value"].to_numpy() / (sigma[pos] * np.sqrt(5))
    assert np.allclose(ratio, ratio[0]) and 0.8 < ratio[0] < 2.0


def test_training_pairs_respect_the_fold_leakage_rule(data) -> None:
    s = CoreTSSettings.from_config(BASE)
    zl = core_ts._prepare_zl(data["zl"])
    feats = core_ts._Features(zl, s)
    f = data["folds"].iloc[-1]
    pairs = core_ts._training_pairs(
        feats, core_ts._realized(zl, data["targets"], int(f.horizon_days)), f.train_start, f.train_end, f.val_start
    )
    assert len(pairs) > 100
    assert (pairs["target_date"] < f.val_start).all()
    assert (pairs["trade_date"] <= f.train_end).all()


def test_settings_from_config_accepts_flat_or_sectioned_mappings_and_rejects_price_level_models() -> None:
    flat = CoreTSSettings.from_config({"horizons": [20, 5], "mitra_model_path": Path("/x"), "unrelated": 1})
    assert flat.horizons == (5, 20) and flat.prediction_length == 20 and flat.mitra_model_path == "/x"
    sec = CoreTSSettings.from_config({"quantiles": [0.9, 0.1, 0.5], "core_ts": {"use_timeseries": False}})
    assert sec.quantiles == (0.1, 0.5, 0.9) and not sec.use_timeseries

    class ProjectSettings:  # anything with to_dict(), like zlcast.settings.ForecastSettings
        def to_dict(self) -> dict[str, Any]:
            return {"horizons": [5, 20, 60], "num_cpus": 2, "oof_start": "2020-01-01"}

    proj = CoreTSSettings.from_config(ProjectSettings())
    assert proj.horizons == (5, 20, 60) and proj.num_cpus == 2
    with pytest.raises(ValueError, match="unknown core_ts settings"):
        CoreTSSettings.from_config({"core_ts": {"use_timeseries_typo": False}})
    with pytest.raises(ValueError, match="price levels"):
        CoreTSSettings.from_config({"ts_models": ["Naive", "DirectTabular"]})
    with pytest.raises(ValueError, match="chronos_model_path"):
        CoreTSSettings.from_config({"ts_models": ["Chronos"]})
