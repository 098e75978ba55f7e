"""core_ts: AutoGluon-TS path, Chronos/Mitra from tiny local checkpoints, fallbacks. Offline, small, CPU only."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from core_ts_synth import BASE, check_monotone, check_shape, core_ts_data

from zlcast.forecast import core_ts
from zlcast.forecast.baselines import ewma_sigma_values
from zlcast.forecast.core_ts import CoreTSSettings, fit_predict_core

pytestmark = [pytest.mark.filterwarnings("ignore"), pytest.mark.usefixtures("offline_hub")]


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    return core_ts_data()


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
    check_shape(out, data)
    check_monotone(out)


def test_unconfigured_mitra_weights_also_log_the_line(data, tmp_path, caplog: pytest.LogCaptureFixture) -> None:
    cfg = {**BASE, "use_timeseries": False, "mitra_model_path": None}
    with caplog.at_level(logging.WARNING, logger="zlcast"):
        _, info = fit_predict_core(data["zl"], data["targets"], data["folds"], cfg, tmp_path)
    assert info["path"] == "statistical"
    assert sum("Mitra weights not found at None" in r.getMessage() for r in caplog.records) == 1


def test_statistical_bands_scale_with_ewma_vol_and_centre_on_no_change(data, tmp_path) -> None:
    cfg = {**BASE, "use_timeseries": False}
    out, _ = fit_predict_core(data["zl"], data["targets"], data["folds"], cfg, tmp_path)
    med = out[out["quantile"] == 0.5]["value"]
    assert np.allclose(med, 0.0)
    sigma = ewma_sigma_values(data["zl"]["log_close"].to_numpy(), 0.94)
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
