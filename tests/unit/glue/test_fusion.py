"""The chain above L0 (meta -> ensemble -> distribution -> calls -> backtest -> signal, attribution) as a whole.

Each layer has its own causality tests; this one checks the chain the marts run: prices realised after a date
``d`` leave every published row of an as_of_date ``<= d`` unchanged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from forecast_synth import synthetic_ranges, synthetic_targets, synthetic_zl

from zlcast.forecast.baselines import ewma_sigma, normal_quantiles, rw_ewma_quantiles
from zlcast.forecast.evaluation import evaluate
from zlcast.forecast.frames import estimate_target_dates, long_predictions
from zlcast.glue.fusion import (
    attribution_table,
    calibration_table,
    distribution_table,
    ensemble_table,
    meta_members_table,
    meta_table,
    meta_weights_table,
    procurement_backtest_table,
    procurement_calls_table,
    procurement_signal_table,
    var_backtest_table,
    var_forecasts_table,
)
from zlcast.glue.l0 import vol_table
from zlcast.settings import QUANTILES as LEVELS

H = (5, 20)
OOF_START = pd.Timestamp("2017-07-01")
META = {
    "forecast": {
        "horizons": list(H),
        "eval_start": "2018-01-01",
        "meta": {
            "start": "2018-01-01",
            "block_months": 3,
            "min_train_origins": 60,
            "garch_min_returns": 250,
            "l1_penalty": 0.0,
            "intercept_penalty": 0.0,
        },
        "ensemble": {"start": "2018-07-01", "min_train_origins": 60, "calib_gamma": 0.02},
    }
}


def _l0(zl: pd.DataFrame, targets: pd.DataFrame) -> pd.DataFrame:
    """Two members built from causal quantities only (EWMA vol, past 20-day return): OOF + live rows."""
    sig = ewma_sigma(zl)
    lc = zl.set_index("trade_date")["log_close"]
    mom = (lc - lc.shift(20)).fillna(0.0)
    dates = pd.DatetimeIndex(zl["trade_date"])
    zq = normal_quantiles(LEVELS)
    out = []
    for h in H:
        t = targets[targets["horizon_days"] == h].set_index("trade_date")
        for model, width, tilt in (("specialist_crush", 0.8, 0.0), ("specialist_china", 1.1, 0.3)):
            for split, origins in (("oof", t.index[t.index >= OOF_START]), ("live", dates[-h:])):
                s = sig.reindex(origins).to_numpy() * np.sqrt(h)
                shift = tilt * mom.reindex(origins).to_numpy() / np.maximum(s, 1e-9)
                values = (width * zq[None, :] + shift[:, None]) * s[:, None]
                td = (
                    t["target_date"].reindex(origins).to_numpy()
                    if split == "oof"
                    else estimate_target_dates(origins, h)
                )
                out.append(long_predictions(origins, h, td, model, LEVELS, values, split, 0 if split == "oof" else -1))
    return pd.concat(out, ignore_index=True)


def _meta(scale: str) -> dict:
    """The settings of the chain with ``vol_scale`` set."""
    return {"forecast": {**META["forecast"], "vol_scale": scale}}


def _chain(zl: pd.DataFrame, scale: str = "ewma") -> dict[str, pd.DataFrame]:
    """Every table the marts above L0 publish, from one price history."""
    meta = _meta(scale)
    targets = synthetic_targets(zl, H)
    features = pd.DataFrame(
        {"trade_date": zl["trade_date"], "is_valid_origin": True, "core__zl_log_close": zl["log_close"]}
    )
    vol = vol_table(features, synthetic_ranges(zl), meta)
    l0 = _l0(zl, targets)
    rw = rw_ewma_quantiles(zl, H, LEVELS)
    members = meta_members_table(l0, rw, features, vol, meta)
    weights = meta_weights_table(members, features, targets, vol, None, meta)
    preds = meta_table(members, weights, features, targets, vol, meta)
    final = ensemble_table(preds, l0, features, targets, vol, meta)
    dist = distribution_table(final, features, meta)
    calls = procurement_calls_table(dist, meta)
    signals = procurement_signal_table(calls, procurement_backtest_table(calls, meta), meta)
    attr = attribution_table(members, preds, weights, features, final, vol, meta)
    return {
        "vol": vol,
        "members": members,
        "meta": preds,
        "ensemble": final,
        "distribution": dist,
        "signal": signals,
        "attribution": attr,
    }


@pytest.fixture(scope="module", params=["ewma", "har"])
def base(request: pytest.FixtureRequest) -> tuple[pd.DataFrame, dict[str, pd.DataFrame], str]:
    zl = synthetic_zl(n_dates=800, seed=17)
    return zl, _chain(zl, request.param), request.param


@pytest.mark.parametrize("cut", ["2018-10-03", "2019-02-14"])
def test_rows_up_to_d_unchanged_when_prices_after_d_change(
    base: tuple[pd.DataFrame, dict[str, pd.DataFrame], str], cut: str
) -> None:
    zl, tables, scale = base
    d = pd.Timestamp(cut)
    after = (zl["trade_date"] > d).to_numpy()
    zl2 = zl.copy()
    # a different future: a strong trend and twice the noise after d
    steps = np.diff(zl["log_close"].to_numpy(), prepend=zl["log_close"].iloc[0])
    steps[after] = 2.0 * steps[after] + 0.004
    zl2["log_close"] = zl["log_close"].iloc[0] + np.cumsum(steps)
    np.testing.assert_array_equal(zl2.loc[~after, "log_close"], zl.loc[~after, "log_close"])
    tables2 = _chain(zl2, scale)
    for name, frame in tables.items():
        key = [
            c for c in ("split", "model", "horizon_days", "as_of_date", "quantile", "member", "bucket") if c in frame
        ]
        a = frame[frame["as_of_date"] <= d].sort_values(key).reset_index(drop=True)
        b = tables2[name][tables2[name]["as_of_date"] <= d].sort_values(key).reset_index(drop=True)
        assert len(a) > 0, name
        pd.testing.assert_frame_equal(a, b, obj=name)
    # ... while the rows after d do move (the test can fail)
    later = lambda f: f[f["as_of_date"] > d].sort_values(["split", "horizon_days", "as_of_date"])  # noqa: E731
    assert not np.allclose(later(tables["distribution"])["p90"], later(tables2["distribution"])["p90"])


def test_var_forecasts_of_a_daily_run_equal_a_full_recomputation(base) -> None:  # type: ignore[no-untyped-def]
    zl, tables, _ = base
    dist = tables["distribution"]
    targets = synthetic_targets(zl, H)
    features = pd.DataFrame(
        {"trade_date": zl["trade_date"], "is_valid_origin": True, "core__zl_log_close": zl["log_close"]}
    )
    full = var_forecasts_table(dist, features, targets, None, META, n_paths=300)
    origins = sorted(full["as_of_date"].unique())
    assert len(origins) > 20
    # yesterday's table lacks the last origin, and one stored row was computed from another forecast
    yesterday = full[full["as_of_date"] < origins[-1]].copy()
    yesterday.loc[yesterday.index[0], "row_digest"] = "stale"
    today = var_forecasts_table(dist, features, targets, yesterday, META, n_paths=300)
    assert set(today["as_of_date"]) == {origins[-1], yesterday["as_of_date"].iloc[0]}
    keep = ~yesterday.set_index(["as_of_date", "horizon_days"]).index.isin(
        today.set_index(["as_of_date", "horizon_days"]).index
    )
    merged = pd.concat([yesterday[keep], today]).sort_values(["as_of_date", "horizon_days"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(merged, full.sort_values(["as_of_date", "horizon_days"]).reset_index(drop=True))
    stats = var_backtest_table(merged)
    assert set(stats["level"]) == {0.95, 0.99} and (stats["n_obs"] > 0).all()


def test_calibration_scores_the_final_forecast_and_the_walk_on_the_same_scored_origins(base) -> None:  # type: ignore[no-untyped-def]
    zl, tables, scale = base
    targets = synthetic_targets(zl, H)
    features = pd.DataFrame(
        {"trade_date": zl["trade_date"], "is_valid_origin": True, "core__zl_log_close": zl["log_close"]}
    )
    rw = rw_ewma_quantiles(zl, H, LEVELS)
    cal = calibration_table(tables["distribution"], rw, features, targets, _meta(scale))
    overall = cal[cal["group_kind"] == "overall"].set_index(["model", "horizon_days"])
    assert set(overall.index) == {(m, h) for m in ("zl_ensemble", "rw_ewma") for h in H}
    assert (overall.loc["rw_ewma", "skill_vs_rw"] == 0).all()
    assert (overall["period_start"] >= pd.Timestamp(META["forecast"]["eval_start"])).all()
    # the headline columns reproduce the evaluation of the same rows (ml_model_evaluation's protocol)
    final = tables["ensemble"]
    final = final[(final["split"] == "oof") & (final["as_of_date"] >= pd.Timestamp(META["forecast"]["eval_start"]))]
    ev = evaluate(final, targets, rw).set_index("horizon_days")
    for h in H:
        assert overall.loc[("zl_ensemble", h), "pinball_10_50_90"] == pytest.approx(ev.loc[h, "pinball"])
        assert overall.loc[("zl_ensemble", h), "skill_vs_rw_10_50_90"] == pytest.approx(ev.loc[h, "skill_vs_rw"])
        assert overall.loc[("zl_ensemble", h), "coverage80"] == pytest.approx(ev.loc[h, "coverage80"])
        assert overall.loc[("zl_ensemble", h), "n_origins"] == ev.loc[h, "n_origins"]


def test_published_signal_rows_carry_their_causal_verdict_and_live_rows_the_whole_backtest(base) -> None:  # type: ignore[no-untyped-def]
    _, tables, scale = base
    dist = tables["distribution"]
    calls = procurement_calls_table(dist, _meta(scale))
    backtest = procurement_backtest_table(calls, _meta(scale))
    signals = tables["signal"]
    assert set(backtest["horizon_days"]) == set(H)
    assert (signals["model_call"] == calls["model_call"]).all()
    edge = signals["backtest_verdict"] == "edge"
    assert (signals.loc[edge, "signal"] == signals.loc[edge, "model_call"]).all()
    assert (signals.loc[~edge, "signal"] == "NO EDGE: BUY ON SCHEDULE").all()
    assert signals.loc[~edge, "reason"].str.endswith("no edge: buy on schedule").all()
    eval_start = pd.Timestamp(META["forecast"]["eval_start"])
    oof = signals[signals["split"] == "oof"]
    assert (oof.loc[oof["as_of_date"] <= eval_start, "backtest_n_decisions"] == 0).all()
    live = signals[signals["split"] == "live"].set_index("horizon_days")
    whole = backtest.set_index("horizon_days")
    for h in H:
        rows = live.loc[[h]]
        assert (rows["backtest_verdict"] == whole.loc[h, "verdict"]).all()
        assert (rows["backtest_n_decisions"] == whole.loc[h, "n_decisions"]).all()
        assert rows["backtest_extra_cost_mean_pct"].iloc[0] == pytest.approx(whole.loc[h, "extra_cost_mean_pct"])
        # the last OOF row already knew every decision but those completing on or after its date
        last = oof[oof["horizon_days"] == h].sort_values("as_of_date").iloc[-1]
        assert 0 < last["backtest_n_decisions"] <= whole.loc[h, "n_decisions"]


def test_the_har_scale_makes_rw_har_the_reference_member(base) -> None:  # type: ignore[no-untyped-def]
    _, tables, scale = base
    members, vol = tables["members"], tables["vol"]
    assert ("rw_har" in set(members["model"])) == (scale == "har")
    assert set(vol["scale_source"]) == ({"ewma", "har"} if scale == "har" else {"ewma"})
    if scale == "har":
        # its median is no change and its band is the HAR scale times Student-t(6) quantiles
        har = members[(members["model"] == "rw_har") & (members["quantile"] == 0.5)]
        assert (har["value"] == 0.0).all()
        bucket = tables["attribution"].query("member == 'rw_har'")["bucket"]
        assert set(bucket) == {"random_walk"}
