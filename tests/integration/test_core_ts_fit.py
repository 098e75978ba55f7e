"""core_ts with real fits: AutoGluon-TS on synthetic ZL, Mitra and Chronos on tiny local checkpoints, reuse and
worker processes."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from core_ts_synth import BASE, VAL_BLOCKS, H, Q, check_monotone, check_shape, core_ts_data
from tiny_checkpoints import make_tiny_chronos_bolt, make_tiny_mitra

from zlcast.forecast import core_ts
from zlcast.forecast.core_ts import fit_predict_core

pytestmark = [pytest.mark.filterwarnings("ignore"), pytest.mark.usefixtures("offline_hub")]


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    return core_ts_data()


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
    orig_fit = core_ts.TSRunner.fit

    def spy(self, log_close, stamps, lo, hi, live_cutoff=None):  # type: ignore[no-untyped-def]
        cutoffs.append(data["dates"][hi])
        return orig_fit(self, log_close, stamps, lo, hi, live_cutoff=live_cutoff)

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setattr(core_ts.TSRunner, "fit", spy)
        t0 = time.perf_counter()
        out, info = fit_predict_core(data["zl"], data["targets"], data["folds"], BASE, store)
        secs = time.perf_counter() - t0
    return {"out": out, "info": info, "store": store, "cutoffs": cutoffs, "seconds": secs}


def test_ts_path_forecasts_every_validation_origin_and_the_live_origin(ts_run, data) -> None:
    info = ts_run["info"]
    assert info["path"] == "timeseries", info
    assert info["fallback_reason"] is None
    assert {"Naive", "ETS", "RecursiveTabular"} <= set(info["ts_model_names"])
    assert not any(n.startswith(("DirectTabular", "Chronos")) for n in info["ts_model_names"])
    check_shape(ts_run["out"], data)


def test_ts_quantiles_are_monotone_and_plausible_log_returns(ts_run) -> None:
    out = ts_run["out"]
    check_monotone(out)
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
    check_monotone(live)
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
    check_monotone(out)


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
    check_shape(out, data)
    check_monotone(out)
    assert not list((tmp_path / "core_ts" / "mitra_tmp").iterdir())  # temporary Mitra predictors cleaned up


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
    check_monotone(out)


def test_ts_fit_without_any_model_falls_back(data, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    from autogluon.timeseries import TimeSeriesPredictor

    monkeypatch.setattr(TimeSeriesPredictor, "fit", lambda self, *a, **k: self)
    monkeypatch.setattr(TimeSeriesPredictor, "model_names", lambda self: [])
    out, info = fit_predict_core(data["zl"], data["targets"], data["folds"], BASE, tmp_path)
    assert info["path"] == "statistical"
    assert "no model" in info["fallback_reason"]
    check_shape(out, data)
