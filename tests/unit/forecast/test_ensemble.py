"""L2 ensemble: calibration, monotonicity, causal smoothing, purge, determinism."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from forecast_synth import synthetic_targets, synthetic_zl

from zlcast.forecast.baselines import ewma_sigma, normal_quantiles
from zlcast.forecast.ensemble import (
    EnsembleSettings,
    apply_calibration,
    calibration_scales,
    causal_ewma,
    ensemble_forecast,
    make_monotone,
    online_scales,
    weighted_quantile,
)
from zlcast.forecast.evaluation import coverage, wide_quantiles
from zlcast.forecast.frames import estimate_target_dates, long_predictions, validate_predictions
from zlcast.forecast.meta import META_MODEL

H = (5, 20)
Q = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)


def _settings(**kw: object) -> EnsembleSettings:
    base = {
        "horizons": H,
        "quantiles": Q,
        "start": pd.Timestamp("2018-07-01"),
        "block_months": 3,
        "min_train_origins": 80,
        "calibration": "symmetric",
        "smooth_halflife": 3.0,
        "calib_prior_obs": 0.0,
    }
    base.update(kw)
    return EnsembleSettings(**base)  # type: ignore[arg-type]


def _member(
    zl: pd.DataFrame, targets: pd.DataFrame, model: str, width: float, noise: float, seed: int, n_live: int = 3
) -> pd.DataFrame:
    """A normal z-quantile member of a given width (OOF from 2017-07 + live rows)."""
    rng = np.random.default_rng(seed)
    sig = ewma_sigma(zl)
    zq = normal_quantiles(Q)
    out = []
    dates = pd.DatetimeIndex(zl["trade_date"])
    for h in H:
        t = targets[targets["horizon_days"] == h].set_index("trade_date")
        for split, origins in (("oof", t.index[t.index >= "2017-07-01"]), ("live", dates[-n_live:])):
            s = sig.reindex(origins).to_numpy() * np.sqrt(h)
            shift = rng.normal(0.0, noise, size=len(origins))
            values = (width * zq[None, :] + shift[:, None]) * s[:, None]
            td = t["target_date"].reindex(origins).to_numpy() if split == "oof" else estimate_target_dates(origins, h)
            out.append(long_predictions(origins, h, td, model, Q, values, split, 0 if split == "oof" else -1))
    return pd.concat(out, ignore_index=True)


@pytest.fixture(scope="module")
def frames() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    zl = synthetic_zl(n_dates=900, seed=21)
    targets = synthetic_targets(zl, H)
    # a miscalibrated (too narrow) meta and a slightly wide core
    preds = pd.concat(
        [_member(zl, targets, META_MODEL, 0.55, 0.1, 1), _member(zl, targets, "core_ts", 1.2, 0.1, 2)],
        ignore_index=True,
    )
    return zl, targets, preds


@pytest.fixture(scope="module")
def result(frames: tuple[pd.DataFrame, ...]) -> tuple[pd.DataFrame, pd.DataFrame]:
    zl, targets, preds = frames
    return ensemble_forecast(preds, targets, zl, _settings(blend_grid=(1.0,)))


def _cov(preds: pd.DataFrame, targets: pd.DataFrame, model: str, start: str) -> float:
    w = wide_quantiles(preds[preds["model"] == model])
    t = targets.rename(columns={"trade_date": "as_of_date"})
    d = w.merge(t, on=["as_of_date", "horizon_days"])
    d = d[d["as_of_date"] >= pd.Timestamp(start)]
    return coverage(d["fwd_log_return"].to_numpy(), d["q10"].to_numpy(), d["q90"].to_numpy())


def test_causal_ewma_is_causal() -> None:
    x = np.random.default_rng(0).normal(size=(50, 3))
    y = causal_ewma(x, 4.0)
    x2 = x.copy()
    x2[30:] += 10.0
    np.testing.assert_array_equal(y[:30], causal_ewma(x2, 4.0)[:30])
    np.testing.assert_array_equal(causal_ewma(x, 0.0), x)
    assert np.std(np.diff(y, axis=0)) < np.std(np.diff(x, axis=0))


def test_weighted_quantile_and_scales() -> None:
    v = np.arange(1, 11, dtype=float)
    assert weighted_quantile(v, np.ones(10), 0.5) == 5.0
    assert weighted_quantile(v, np.r_[np.zeros(9), 1.0], 0.1) == 10.0
    rng = np.random.default_rng(0)
    zy = rng.normal(size=4000) * 2.0
    zhat = np.tile(normal_quantiles(Q), (4000, 1))
    sc = calibration_scales(zhat, zy, Q, bounds=(0.1, 10.0))
    assert sc[0, 1] == pytest.approx(2.0, rel=0.08)  # the 80% band must be twice as wide
    assert sc[0, 3] == 1.0
    cal = apply_calibration(zhat, sc, Q)
    assert coverage(zy, cal[:, 1], cal[:, 5]) == pytest.approx(0.8, abs=0.01)
    tails = calibration_scales(zhat, zy + 1.0, Q, mode="tails", bounds=(0.1, 10.0))
    assert tails[1, 5] > tails[0, 1]  # shifted outcomes: the upper side widens more
    pin = calibration_scales(zhat, zy, Q, mode="pinball", bounds=(0.1, 10.0))
    assert pin[0, 1] == pytest.approx(2.0, rel=0.08)
    # shrinkage toward 1: 4000 rows of 20-day windows = 200 outcomes; a prior of 200 halves log(c)
    shrunk = calibration_scales(zhat, zy, Q, bounds=(0.1, 10.0), prior_obs=200.0, overlap=20)
    assert np.log(shrunk[0, 1]) == pytest.approx(0.5 * np.log(sc[0, 1]))


def _too_narrow(n: int, h: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Unit-normal z-quantiles for outcomes twice as wide, daily origins, outcomes known h rows later."""
    zy = np.random.default_rng(seed).normal(size=n) * 2.0
    zhat = np.tile(normal_quantiles(Q), (n, 1))
    origins = pd.bdate_range("2015-01-01", periods=n + h).to_numpy()
    return zhat, zy, origins[:n], origins[h:]


def test_online_scales_bring_a_too_narrow_band_to_its_coverage() -> None:
    zhat, zy, origins, resolved = _too_narrow(6000, 20)
    sc = online_scales(zhat, zy, origins, resolved, Q, gamma=0.01, bounds=(0.2, 5.0))
    assert sc.shape == (6000, 2, len(Q))
    np.testing.assert_array_equal(sc[0], np.ones((2, len(Q))))  # nothing resolved before the first origin
    assert (sc[:, :, 3] == 1.0).all()  # the median is never scaled
    cal = apply_calibration(zhat, sc, Q)
    late = slice(3000, None)
    assert coverage(zy[late], cal[late, 1], cal[late, 5]) == pytest.approx(0.8, abs=0.03)
    assert coverage(zy[late], cal[late, 0], cal[late, 6]) == pytest.approx(0.9, abs=0.03)
    assert coverage(zy[late], zhat[late, 1], zhat[late, 5]) < 0.5  # uncalibrated
    assert np.median(sc[late, 0, 1]) == pytest.approx(2.0, rel=0.15)


def test_online_scales_use_only_outcomes_resolved_before_each_origin() -> None:
    zhat, zy, origins, resolved = _too_narrow(800, 5)
    sc = online_scales(zhat, zy, origins, resolved, Q, gamma=0.02)
    i = 500
    zy2 = zy.copy()
    late = resolved >= origins[i]
    zy2[late] = -zy2[late] * 3.0
    sc2 = online_scales(zhat, zy2, origins, resolved, Q, gamma=0.02)
    np.testing.assert_array_equal(sc[: i + 1], sc2[: i + 1])
    assert not np.array_equal(sc[i + 10 :], sc2[i + 10 :])
    # unrealised outcomes (NaN) never move the scales
    none = online_scales(zhat, np.full(800, np.nan), origins, resolved, Q, gamma=0.02)
    assert (none == 1.0).all()
    with pytest.raises(ValueError, match="ascending"):
        online_scales(zhat, zy, origins[::-1], resolved, Q, gamma=0.02)


def test_make_monotone() -> None:
    v = np.array([[0.3, 0.1, 0.2, 0.2, 0.5]])
    out = make_monotone(v, 0.01)
    assert (np.diff(out, axis=1) >= 0.01 - 1e-12).all()


def test_output_format_levels_and_monotone(result: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    final, diag = result
    validate_predictions(final)
    assert set(final["quantile"].round(6)) == set(Q)
    assert set(final["split"]) == {"oof", "live"}
    assert final.loc[final["split"] == "oof", "as_of_date"].min() >= pd.Timestamp("2018-07-01")
    w = final.pivot_table(index=["split", "as_of_date", "horizon_days"], columns="quantile", values="value")
    assert (np.diff(w.to_numpy(), axis=1) > 0).all()
    assert {"meta_weight", "scale_lo_q10_q90", "scale_hi_q10_q90"} <= set(diag["parameter"])


def test_calibration_moves_coverage_toward_80(
    frames: tuple[pd.DataFrame, ...], result: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    zl, targets, preds = frames
    final, diag = result
    start = "2019-01-01"
    raw = _cov(preds, targets, META_MODEL, start)
    cal = _cov(final, targets, "zl_ensemble", start)
    assert raw < 0.65
    assert abs(cal - 0.8) < abs(raw - 0.8)
    assert abs(cal - 0.8) < 0.06
    scales = diag[(diag["parameter"] == "scale_lo_q10_q90") & (diag["n_train"] >= 80)]["value"]
    assert (scales > 1.3).all()
    # without calibration the coverage stays low
    nocal, _ = ensemble_forecast(preds, targets, zl, _settings(blend_grid=(1.0,), calibration="none"))
    assert _cov(nocal, targets, "zl_ensemble", start) < 0.65


def test_online_calibration_moves_coverage_toward_80(frames: tuple[pd.DataFrame, ...]) -> None:
    zl, targets, preds = frames
    final, diag = ensemble_forecast(
        preds, targets, zl, _settings(blend_grid=(1.0,), calibration="online", calib_gamma=0.02)
    )
    validate_predictions(final)
    assert abs(_cov(final, targets, "zl_ensemble", "2019-01-01") - 0.8) < 0.06
    later = diag[(diag["parameter"] == "scale_lo_q10_q90") & (diag["cutoff"] >= pd.Timestamp("2019-01-01"))]
    assert (later["value"] > 1.3).all()


def _scrambled_after(targets: pd.DataFrame, when: pd.Timestamp, rng: np.random.Generator) -> pd.DataFrame:
    """Targets whose outcomes realised on or after ``when`` are permuted and doubled."""
    t2 = targets.copy()
    late = t2["target_date"] >= when
    t2.loc[late, "fwd_log_return"] = rng.permutation(t2.loc[late, "fwd_log_return"].to_numpy()) * 2.0
    return t2


def _assert_oof_same_until(final: pd.DataFrame, other: pd.DataFrame, end: pd.Timestamp) -> None:
    """OOF rows of origins before ``end`` are identical; later ones differ."""
    oof, oof2 = final[final["split"] == "oof"], other[other["split"] == "oof"]
    before, before2 = oof[oof["as_of_date"] < end], oof2[oof2["as_of_date"] < end]
    pd.testing.assert_frame_equal(before.reset_index(drop=True), before2.reset_index(drop=True))
    assert not np.allclose(oof[oof["as_of_date"] >= end]["value"], oof2[oof2["as_of_date"] >= end]["value"])


def test_online_final_unchanged_by_targets_realised_after_origin(frames: tuple[pd.DataFrame, ...]) -> None:
    """Online mode: the row of origin d only uses outcomes whose target date is before d."""
    zl, targets, preds = frames
    s = _settings(calibration="online", calib_gamma=0.02)
    final, _ = ensemble_forecast(preds, targets, zl, s)
    rng = np.random.default_rng(4)
    for d in (pd.Timestamp("2019-02-14"), pd.Timestamp("2019-06-03")):
        f2, _ = ensemble_forecast(preds, _scrambled_after(targets, d, rng), zl, s)
        _assert_oof_same_until(final, f2, d + pd.Timedelta(days=1))


def test_blend_weight_learned_from_past(frames: tuple[pd.DataFrame, ...]) -> None:
    zl, targets, preds = frames
    good_core = pd.concat([preds[preds["model"] == META_MODEL], _member(zl, targets, "core_ts", 1.0, 0.05, 3)])
    _, diag = ensemble_forecast(good_core, targets, zl, _settings(calibration="none"))
    a = diag[(diag["parameter"] == "meta_weight") & (diag["n_train"] >= 80)]["value"]
    assert (a <= 0.25).all()  # the calibrated core gets most weight
    assert diag.loc[(diag["parameter"] == "meta_weight") & (diag["n_train"] < 80), "value"].eq(1.0).all()


def test_final_unchanged_by_targets_after_purge_boundary(frames: tuple[pd.DataFrame, ...]) -> None:
    zl, targets, preds = frames
    s = _settings(calibration="tails")
    final, diag = ensemble_forecast(preds, targets, zl, s)
    blocks = diag[diag["fold_id"] >= 0].drop_duplicates("fold_id").sort_values("fold_id")
    rng = np.random.default_rng(9)
    for cut in blocks["cutoff"].iloc[[2, 4]]:
        f2, _ = ensemble_forecast(preds, _scrambled_after(targets, cut, rng), zl, s)
        _assert_oof_same_until(final, f2, cut + pd.DateOffset(months=3))


def test_final_unchanged_by_later_predictions(
    frames: tuple[pd.DataFrame, ...], result: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    """Smoothing and calibration only look back: changing inputs after origin d leaves d alone."""
    zl, targets, preds = frames
    final, _ = result
    d = pd.Timestamp("2019-03-15")
    p2 = preds.copy()
    after = p2["as_of_date"] > d
    p2.loc[after, "value"] *= 1.7
    f2, _ = ensemble_forecast(p2, targets, zl, _settings(blend_grid=(1.0,)))
    sel = lambda f: f[(f["split"] == "oof") & (f["as_of_date"] <= d)].reset_index(drop=True)  # noqa: E731
    pd.testing.assert_frame_equal(sel(final), sel(f2))


def test_smoothing_reduces_day_to_day_jumps(frames: tuple[pd.DataFrame, ...]) -> None:
    zl, targets, preds = frames
    s0, _ = ensemble_forecast(preds, targets, zl, _settings(smooth_halflife=0.0, calibration="none"))
    s5, _ = ensemble_forecast(preds, targets, zl, _settings(smooth_halflife=5.0, calibration="none"))

    def jumps(f: pd.DataFrame) -> float:
        m = f[(f["quantile"] == 0.5) & (f["split"] == "oof") & (f["horizon_days"] == 5)].sort_values("as_of_date")
        return float(np.abs(np.diff(m["value"].to_numpy())).mean())

    assert jumps(s5) < 0.7 * jumps(s0)


def test_ensemble_is_deterministic(frames: tuple[pd.DataFrame, ...], result: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    zl, targets, preds = frames
    f2, d2 = ensemble_forecast(preds, targets, zl, _settings(blend_grid=(1.0,)))
    pd.testing.assert_frame_equal(result[0], f2)
    pd.testing.assert_frame_equal(result[1], d2)
