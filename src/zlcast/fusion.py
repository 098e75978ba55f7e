"""Glue for the layers above L0 (what the thin dbt Python models of L1-L3 and the risk marts call).

L1 meta (:mod:`zlcast.meta`) -> L2 ensemble (:mod:`zlcast.ensemble`) -> final distribution (wide, prices) ->
Monte Carlo scenarios (:mod:`zlcast.montecarlo`), VaR backtest (:mod:`zlcast.risk`), procurement signal
(:mod:`zlcast.procurement`), driver attribution. Inputs are the frames dbt Python models read; the package never
imports dbt.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from zlcast import __version__
from zlcast.artifacts import frame_digest
from zlcast.pipeline import _dates, model_inputs, settings_from_meta, zl_series

#: final forecast quantile levels and their column suffixes
LEVELS = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)
SUFFIX = {0.05: "05", 0.1: "10", 0.25: "25", 0.5: "50", 0.75: "75", 0.9: "90", 0.95: "95"}
FINAL_MODEL = "zl_ensemble"
# dbt runs several Python models in one process: models that share an expensive step reuse it
_META_CACHE: dict[str, tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]] = {}
_RISK_CACHE: dict[str, tuple[pd.DataFrame, pd.DataFrame]] = {}


def _section(meta: Mapping[str, Any] | None, name: str) -> dict[str, Any]:
    return dict(((meta or {}).get("forecast") or {}).get(name) or {})


def model_version(meta: Mapping[str, Any] | None) -> str:
    """A readable model version: package version, preset and seed (e.g. ``zlcast-0.1.0/fast/seed0``)."""
    s = settings_from_meta(meta)
    return f"zlcast-{__version__}/{s.presets}/seed{s.seed}"


def meta_tables(l0: pd.DataFrame, rw: pd.DataFrame, features: pd.DataFrame, targets: pd.DataFrame,
                meta: Mapping[str, Any] | None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """L1 meta model: (predictions, weights, members), computed once per input set within a dbt process.

    Parameters
    ----------
    l0, rw : pandas.DataFrame
        ``fct_l0_predictions`` and ``ml_rw_ewma``.
    features, targets : pandas.DataFrame
        ``fct_zl_features`` and ``fct_zl_targets``.
    meta : Mapping
        The dbt model's ``config.meta``.

    Returns
    -------
    tuple of pandas.DataFrame
    """
    from zlcast.meta import MetaSettings, fit_predict_meta, meta_members

    _, zl, t = model_inputs(features, targets)
    ms = MetaSettings(**_section(meta, "meta"))
    key = "|".join([frame_digest(l0), frame_digest(rw), frame_digest(zl), frame_digest(t), repr(ms)])
    if key not in _META_CACHE:
        l0d = _dates(l0, "as_of_date", "target_date")
        rwd = _dates(rw, "as_of_date", "target_date")
        members = meta_members(l0d, zl, rwd, ms)
        preds, weights = fit_predict_meta(members, t, zl, ms)
        _META_CACHE.clear()
        _META_CACHE[key] = (preds, weights, members)
    return _META_CACHE[key]


def ensemble_table(meta_preds: pd.DataFrame, l0: pd.DataFrame, features: pd.DataFrame, targets: pd.DataFrame,
                   meta: Mapping[str, Any] | None) -> pd.DataFrame:
    """L2: the calibrated final distribution (long format, model ``zl_ensemble``), OOF and live."""
    from zlcast.ensemble import EnsembleSettings, ensemble_forecast

    _, zl, t = model_inputs(features, targets)
    es = EnsembleSettings(**_section(meta, "ensemble"))
    preds = pd.concat([_dates(meta_preds, "as_of_date", "target_date"),
                       _dates(l0[l0["model"] == "core_ts"], "as_of_date", "target_date")], ignore_index=True)
    final, _ = ensemble_forecast(preds, t, zl, es)
    return final


def distribution_table(final: pd.DataFrame, features: pd.DataFrame, meta: Mapping[str, Any] | None) -> pd.DataFrame:
    """Final forecast, wide, in prices: one row per (as_of_date, horizon_days, split).

    Columns: ``as_of_date, horizon_days, target_date, split, fold_id, spot_close`` (US cents/lb),
    ``q05..q95`` (h-day log-return quantiles), ``p05..p95`` (price quantiles, US cents/lb), ``expected_return``
    (expected simple return, from the piecewise-linear quantile function), ``prob_up`` (P(price at target > spot)),
    ``model_version``.
    """
    from zlcast.procurement import signal

    zl = zl_series(features)
    f = _dates(final, "as_of_date", "target_date")
    f["quantile"] = f["quantile"].round(4)
    wide = f.pivot_table(index=["as_of_date", "horizon_days", "split"], columns="quantile", values="value").reset_index()
    info = f.groupby(["as_of_date", "horizon_days", "split"], as_index=False).agg(target_date=("target_date", "max"),
                                                                              fold_id=("fold_id", "max"))
    wide = wide.merge(info, on=["as_of_date", "horizon_days", "split"])
    wide = wide.rename(columns={q: f"q{SUFFIX[q]}" for q in LEVELS})
    spot = zl.assign(spot_close=np.exp(zl["log_close"]))[["trade_date", "spot_close"]]
    wide = wide.merge(spot.rename(columns={"trade_date": "as_of_date"}), on="as_of_date", how="left")
    qcols = [f"q{SUFFIX[q]}" for q in LEVELS]
    prices = wide["spot_close"].to_numpy()[:, None] * np.exp(wide[qcols].to_numpy())
    for j, q in enumerate(LEVELS):
        wide[f"p{SUFFIX[q]}"] = prices[:, j]
    sig = signal(wide["spot_close"].to_numpy(), prices, wide["horizon_days"].to_numpy(), LEVELS)
    wide["expected_return"] = sig["expected_price"].to_numpy() / wide["spot_close"].to_numpy() - 1.0
    wide["prob_up"] = 1.0 - sig["p_lower"].to_numpy()
    wide["model_version"] = model_version(meta)
    return wide.sort_values(["split", "horizon_days", "as_of_date"]).reset_index(drop=True)


def _daily_returns(zl: pd.DataFrame) -> pd.Series:
    r = zl.set_index("trade_date")["log_close"].diff().dropna()
    return r


def risk_tables(dist: pd.DataFrame, features: pd.DataFrame, meta: Mapping[str, Any] | None,
                n_paths: int = 10_000, n_sample: int = 50) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Monte Carlo for the latest live forecast: (scenario summary per horizon, compact path sample).

    Paths come from filtered historical simulation of a GARCH(1,1)-t fitted on ZL's daily log returns up to the
    as-of date, mapped so that their 5/20/60-day marginals reproduce the forecast quantiles (seeded).
    """
    from zlcast.montecarlo import fit_dynamics, path_sample, scenario_summary, simulate_paths

    key = "|".join([frame_digest(dist), repr(sorted((meta or {}).items())), str(n_paths), str(n_sample)])
    if key in _RISK_CACHE:
        return _RISK_CACHE[key]
    settings = settings_from_meta(meta)
    zl = zl_series(features)
    live = dist[dist["split"] == "live"]
    as_of = live["as_of_date"].max()
    rows = live[live["as_of_date"] == as_of].sort_values("horizon_days")
    r = _daily_returns(zl)
    r = r[r.index <= as_of].to_numpy()
    qcols = [f"q{SUFFIX[q]}" for q in LEVELS]
    anchors = {int(h): row[qcols].to_numpy(dtype="float64") for h, row in rows.set_index("horizon_days").iterrows()}
    rng = np.random.default_rng(settings.seed)
    paths = simulate_paths(anchors, LEVELS, r, n_paths=n_paths, horizon=max(anchors), rng=rng,
                           dynamics=fit_dynamics(r))
    spot = float(rows["spot_close"].iloc[0])
    summary = scenario_summary(paths, spot, sorted(anchors))
    summary.insert(0, "as_of_date", as_of)
    summary["spot_close"] = spot
    summary["n_paths"] = n_paths
    summary["model_version"] = model_version(meta)
    sample = path_sample(paths, spot, n=n_sample, rng=rng)
    sample.insert(0, "as_of_date", as_of)
    _RISK_CACHE.clear()
    _RISK_CACHE[key] = (summary, sample)
    return summary, sample


def var_backtest_table(dist: pd.DataFrame, features: pd.DataFrame, targets: pd.DataFrame,
                       meta: Mapping[str, Any] | None, n_paths: int = 2_000) -> pd.DataFrame:
    """VaR backtest of the final forecast over the OOF origins from ``eval_start`` (long position, losses vs spot).

    VaR95/VaR99 per origin come from the Monte Carlo distribution of that origin (paths matched to its forecast
    quantiles; GARCH dynamics refitted once a year on data up to the origin's year start).
    """
    from zlcast.montecarlo import fit_dynamics, simulate_paths
    from zlcast.risk import var_backtest

    settings = settings_from_meta(meta)
    zl = zl_series(features)
    _, _, t = model_inputs(features, targets)
    eval_start = pd.Timestamp(((meta or {}).get("forecast") or {}).get("eval_start") or "2020-01-01")
    oof = dist[(dist["split"] == "oof") & (dist["as_of_date"] >= eval_start)]
    r = _daily_returns(zl)
    rng = np.random.default_rng(settings.seed)
    qcols = [f"q{SUFFIX[q]}" for q in LEVELS]
    out, dyn_year, dyn = [], None, None
    for as_of, g in oof.groupby("as_of_date", sort=True):
        hist = r[r.index <= as_of].to_numpy()
        if dyn_year != as_of.year:
            dyn = fit_dynamics(r[r.index < pd.Timestamp(as_of.year, 1, 1)].to_numpy())
            dyn_year = as_of.year
        g = g.sort_values("horizon_days")
        anchors = {int(h): row[qcols].to_numpy(dtype="float64") for h, row in g.set_index("horizon_days").iterrows()}
        paths = simulate_paths(anchors, LEVELS, hist, n_paths=n_paths, horizon=max(anchors), rng=rng, dynamics=dyn)
        spot = float(g["spot_close"].iloc[0])
        for h in anchors:
            pnl = spot * (np.exp(paths[:, h - 1]) - 1.0)
            out.append({"as_of_date": as_of, "horizon_days": h, "var95_loss": -np.quantile(pnl, 0.05),
                        "var99_loss": -np.quantile(pnl, 0.01)})
    v = pd.DataFrame(out)
    realized = t.rename(columns={"trade_date": "as_of_date"})[["as_of_date", "horizon_days", "fwd_log_return"]]
    v = v.merge(realized, on=["as_of_date", "horizon_days"], how="left")
    spot = oof[["as_of_date", "horizon_days", "spot_close"]]
    v = v.merge(spot, on=["as_of_date", "horizon_days"])
    v["realized_loss"] = -v["spot_close"] * (np.exp(v["fwd_log_return"]) - 1.0)
    return var_backtest(v[["as_of_date", "horizon_days", "var95_loss", "var99_loss", "realized_loss"]])


def procurement_tables(dist: pd.DataFrame, meta: Mapping[str, Any] | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Buyer's signal for every forecast row (live and backtest) and the backtest against a fixed schedule."""
    from zlcast.procurement import backtest_signal, signal

    pcols = [f"p{SUFFIX[q]}" for q in LEVELS]
    sig = signal(dist["spot_close"].to_numpy(), dist[pcols].to_numpy(), dist["horizon_days"].to_numpy(), LEVELS)
    signals = pd.concat([dist[["as_of_date", "horizon_days", "target_date", "split", "spot_close"]].reset_index(drop=True),
                         sig.reset_index(drop=True)], axis=1)
    eval_start = pd.Timestamp(((meta or {}).get("forecast") or {}).get("eval_start") or "2020-01-01")
    hist = signals[(signals["split"] == "oof") & (signals["as_of_date"] >= eval_start)]
    backtests = []
    for h, g in hist.groupby("horizon_days"):
        g = g.sort_values("as_of_date").rename(columns={"spot_close": "spot"})
        if len(g) > int(h):
            backtests.append(backtest_signal(g[["as_of_date", "spot", "signal"]].reset_index(drop=True), int(h)))
    bt = pd.concat(backtests, ignore_index=True) if backtests else pd.DataFrame()
    return signals, bt


def attribution_table(l0: pd.DataFrame, rw: pd.DataFrame, features: pd.DataFrame, targets: pd.DataFrame,
                      final: pd.DataFrame, meta: Mapping[str, Any] | None) -> pd.DataFrame:
    """Per as_of_date and horizon: how much each Big 8 bucket (and core, rw, L2) moved the final median."""
    from zlcast.meta import attribution

    preds, weights, members = meta_tables(l0, rw, features, targets, meta)
    zl = zl_series(features)
    return attribution(members, preds, weights, zl, _dates(final, "as_of_date", "target_date"))
