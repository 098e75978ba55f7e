"""dbt glue of the layers above L0: what the thin dbt Python models of L1-L3 call.

L1 meta (:mod:`zlcast.forecast.meta`: members -> weights -> predictions) -> L2 ensemble
(:mod:`zlcast.forecast.ensemble`) -> final distribution (wide, prices) -> L3: Monte Carlo paths
(:mod:`zlcast.risk.montecarlo`) and their scenarios, VaR backtest (:mod:`zlcast.risk.var`), calibration of the
whole distribution beside the walk (:mod:`zlcast.forecast.calibration`), the buyer's calls -> their backtest ->
the published signal (:mod:`zlcast.risk.procurement`), driver attribution.

Every step reads the tables of the steps before it and returns one table: what a later model needs is
persisted by dbt (``ml_meta_members``, ``ml_meta_weights``, ``ml_monte_carlo``, ``ml_procurement_calls``), never
cached in the process, so any node can be rebuilt alone (``dbt build --select ml_meta``) and the order dbt runs
them in does not matter. The package never imports dbt.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from zlcast.forecast.frames import as_datetime
from zlcast.glue.l0 import project_from_meta, targets_frame, vol_scale, zl_series
from zlcast.settings import ProjectSettings

FINAL_MODEL = "zl_ensemble"
#: Columns of ``ml_monte_carlo``: one row per (path, day 1..n): cumulative log return and price of each path.
MONTE_CARLO_COLUMNS: tuple[str, ...] = (
    "as_of_date",
    "path_id",
    "day",
    "cum_log_return",
    "price",
    "spot_close",
    "in_sample",
)


def suffix(q: float) -> str:
    """Column suffix of a quantile level: 0.05 -> ``05``, 0.5 -> ``50``.

    Parameters
    ----------
    q : float

    Returns
    -------
    str
    """
    return f"{round(q * 100):02d}"


def quantile_columns(project: ProjectSettings, prefix: str) -> list[str]:
    """Wide column names of the project's quantiles (``q05 .. q95`` for log returns, ``p05 .. p95`` for prices).

    Parameters
    ----------
    project : ProjectSettings
    prefix : str

    Returns
    -------
    list of str
    """
    return [f"{prefix}{suffix(q)}" for q in project.quantiles]


def model_version(meta: Mapping[str, Any] | None) -> str:
    """A readable model version: package version, preset and seed (e.g. ``zlcast-0.1.0/fast/seed0``)."""
    return project_from_meta(meta).model_version


# --------------------------------------------------------------------------- L1
def meta_members_table(
    l0: pd.DataFrame, rw: pd.DataFrame, features: pd.DataFrame, vol: pd.DataFrame, meta: Mapping[str, Any] | None
) -> pd.DataFrame:
    """Every member of the meta model, long: the L0 models, ``rw_ewma``, the two computed vol baselines and, when
    ``vol_scale`` is ``har``, ``rw_har`` (the HAR scale of ``ml_vol_forecast`` times Student-t(6) quantiles)."""
    from zlcast.forecast.meta import meta_members
    from zlcast.forecast.volatility import har_walk_quantiles

    project = project_from_meta(meta)
    har = har_walk_quantiles(vol, project.quantiles) if project.vol_scale == "har" else None
    return meta_members(
        as_datetime(l0, "as_of_date", "target_date"),
        zl_series(features),
        as_datetime(rw, "as_of_date", "target_date"),
        project.meta_settings(),
        har,
    )


def meta_weights_table(
    members: pd.DataFrame,
    features: pd.DataFrame,
    targets: pd.DataFrame,
    vol: pd.DataFrame,
    existing: pd.DataFrame | None,
    meta: Mapping[str, Any] | None,
) -> pd.DataFrame:
    """L1 fits: member weights and intercepts per walk-forward block, horizon and quantile (block -1: live).

    Incremental: blocks of ``existing`` (the stored table) whose training inputs are unchanged are not refitted;
    the result holds the new, changed and live blocks, which dbt merges on ``(fold_id, horizon_days)``.
    """
    from zlcast.forecast.meta import fit_meta_weights

    zl, t = targets_frame(features, targets)
    return fit_meta_weights(members, t, zl, project_from_meta(meta).meta_settings(), existing, vol_scale(vol, meta))


def meta_table(
    members: pd.DataFrame,
    weights: pd.DataFrame,
    features: pd.DataFrame,
    targets: pd.DataFrame,
    vol: pd.DataFrame,
    meta: Mapping[str, Any] | None,
) -> pd.DataFrame:
    """L1 predictions (model ``zl_meta``, OOF and live) from the fitted weights."""
    from zlcast.forecast.meta import predict_meta

    zl, t = targets_frame(features, targets)
    return predict_meta(members, weights, t, zl, project_from_meta(meta).meta_settings(), vol_scale(vol, meta))


# --------------------------------------------------------------------------- L2
def ensemble_table(
    meta_preds: pd.DataFrame,
    l0: pd.DataFrame,
    features: pd.DataFrame,
    targets: pd.DataFrame,
    vol: pd.DataFrame,
    meta: Mapping[str, Any] | None,
) -> pd.DataFrame:
    """L2: the calibrated final distribution (long format, model ``zl_ensemble``), OOF and live."""
    from zlcast.forecast.ensemble import ensemble_forecast

    zl, t = targets_frame(features, targets)
    preds = pd.concat(
        [
            as_datetime(meta_preds, "as_of_date", "target_date"),
            as_datetime(l0[l0["model"] == "core_ts"], "as_of_date", "target_date"),
        ],
        ignore_index=True,
    )
    final, _ = ensemble_forecast(preds, t, zl, project_from_meta(meta).ensemble_settings(), vol_scale(vol, meta))
    return final


def distribution_table(final: pd.DataFrame, features: pd.DataFrame, meta: Mapping[str, Any] | None) -> pd.DataFrame:
    """Final forecast, wide, in prices: one row per (as_of_date, horizon_days, split).

    Columns: ``as_of_date, horizon_days, target_date, split, fold_id, spot_close`` (US cents/lb),
    ``q05..q95`` (h-day log-return quantiles), ``p05..p95`` (price quantiles, US cents/lb), ``expected_return``
    (expected simple return, from the piecewise-linear quantile function), ``prob_up`` (P(price at target > spot)),
    ``model_version``.
    """
    from zlcast.risk.procurement import signal

    project = project_from_meta(meta)
    levels = project.quantiles
    zl = zl_series(features)
    f = as_datetime(final, "as_of_date", "target_date")
    f["quantile"] = f["quantile"].round(4)
    wide = f.pivot_table(
        index=["as_of_date", "horizon_days", "split"], columns="quantile", values="value"
    ).reset_index()
    info = f.groupby(["as_of_date", "horizon_days", "split"], as_index=False).agg(
        target_date=("target_date", "max"), fold_id=("fold_id", "max")
    )
    wide = wide.merge(info, on=["as_of_date", "horizon_days", "split"])
    qcols, pcols = quantile_columns(project, "q"), quantile_columns(project, "p")
    wide = wide.rename(columns=dict(zip(levels, qcols, strict=True)))
    spot = zl.assign(spot_close=np.exp(zl["log_close"]))[["trade_date", "spot_close"]]
    wide = wide.merge(spot.rename(columns={"trade_date": "as_of_date"}), on="as_of_date", how="left")
    prices = wide["spot_close"].to_numpy()[:, None] * np.exp(wide[qcols].to_numpy())
    for j, col in enumerate(pcols):
        wide[col] = prices[:, j]
    sig = signal(wide["spot_close"].to_numpy(), prices, wide["horizon_days"].to_numpy(), levels)
    wide["expected_return"] = sig["expected_price"].to_numpy() / wide["spot_close"].to_numpy() - 1.0
    wide["prob_up"] = 1.0 - sig["p_lower"].to_numpy()
    wide["model_version"] = project.model_version
    return wide.sort_values(["split", "horizon_days", "as_of_date"]).reset_index(drop=True)


# --------------------------------------------------------------------------- L3
def _daily_returns(zl: pd.DataFrame) -> pd.Series:
    """Daily log returns of the ZL series, indexed by the session they end on."""
    return zl.set_index("trade_date")["log_close"].diff().dropna()


def _anchors(rows: pd.DataFrame, qcols: list[str]) -> dict[int, np.ndarray]:
    """Forecast log-return quantiles per horizon of one origin's rows."""
    return {int(h): np.asarray(q, dtype="float64") for h, q in zip(rows["horizon_days"], rows[qcols].to_numpy())}


def monte_carlo_table(
    dist: pd.DataFrame,
    features: pd.DataFrame,
    meta: Mapping[str, Any] | None,
    n_paths: int = 10_000,
    n_sample: int = 50,
) -> pd.DataFrame:
    """Monte Carlo paths of the latest live forecast, long (columns :data:`MONTE_CARLO_COLUMNS`).

    Paths come from filtered historical simulation of a GARCH(1,1)-t fitted on ZL's daily log returns up to the
    as-of date, mapped so that their marginals at the forecast horizons reproduce the forecast quantiles (seeded
    by the project's seed). ``price`` is ``spot_close * exp(cum_log_return)`` (US cents/lb); ``in_sample`` marks
    ``n_sample`` paths drawn for charts (``zl_risk_paths``).
    """
    from zlcast.risk.montecarlo import fit_dynamics, sample_path_ids, simulate_paths

    project = project_from_meta(meta)
    zl = zl_series(features)
    live = as_datetime(dist, "as_of_date")
    live = live[live["split"] == "live"]
    as_of = live["as_of_date"].max()
    rows = live[live["as_of_date"] == as_of].sort_values("horizon_days")
    r = _daily_returns(zl)
    r = r[r.index <= as_of].to_numpy()
    anchors = _anchors(rows, quantile_columns(project, "q"))
    rng = np.random.default_rng(project.seed)
    paths = simulate_paths(
        anchors, project.quantiles, r, n_paths=n_paths, horizon=max(anchors), rng=rng, dynamics=fit_dynamics(r)
    )
    sample = np.zeros(n_paths, dtype=bool)
    sample[sample_path_ids(n_paths, n_sample, rng=rng)] = True
    n, days = paths.shape
    spot = float(rows["spot_close"].iloc[0])
    return pd.DataFrame(
        {
            "as_of_date": as_of,
            "path_id": np.repeat(np.arange(n, dtype="int64"), days),
            "day": np.tile(np.arange(1, days + 1, dtype="int64"), n),
            "cum_log_return": paths.ravel(),
            "price": (spot * np.exp(paths)).ravel(),
            "spot_close": spot,
            "in_sample": np.repeat(sample, days),
        }
    )


def _paths(mc: pd.DataFrame) -> tuple[pd.Timestamp, float, np.ndarray]:
    """(as_of_date, spot, paths ``(n_paths, n_days)``) of ``ml_monte_carlo``."""
    m = mc.sort_values(["path_id", "day"])
    n_days = int(m["day"].max())
    paths = m["cum_log_return"].to_numpy(dtype="float64").reshape(-1, n_days)
    return pd.Timestamp(m["as_of_date"].iloc[0]), float(m["spot_close"].iloc[0]), paths


def risk_scenarios_table(mc: pd.DataFrame, meta: Mapping[str, Any] | None) -> pd.DataFrame:
    """Risk summary of the latest forecast per horizon from its Monte Carlo paths (VaR/CVaR, move odds, drawdowns)."""
    from zlcast.risk.montecarlo import scenario_summary

    project = project_from_meta(meta)
    as_of, spot, paths = _paths(mc)
    summary = scenario_summary(paths, spot, project.horizons)
    summary.insert(0, "as_of_date", as_of)
    summary["spot_close"] = spot
    summary["n_paths"] = paths.shape[0]
    summary["model_version"] = project.model_version
    return summary


#: Columns of ``ml_var_forecasts``: one row per scored origin and horizon.
VAR_FORECAST_COLUMNS: tuple[str, ...] = (
    "as_of_date",
    "horizon_days",
    "spot_close",
    "var95_loss",
    "var99_loss",
    "realized_loss",
    "row_digest",
)


def _row_digests(frame: pd.DataFrame, columns: list[str], salt: str) -> pd.Series:
    """A digest per row of the given columns (hex text), salted with what else defines the row's result."""
    hashed = pd.util.hash_pandas_object(frame[columns], index=False).to_numpy(dtype="uint64")
    return pd.Series([f"{salt}:{h:016x}" for h in hashed], index=frame.index)


def var_forecasts_table(
    dist: pd.DataFrame,
    features: pd.DataFrame,
    targets: pd.DataFrame,
    existing: pd.DataFrame | None,
    meta: Mapping[str, Any] | None,
    n_paths: int = 2_000,
) -> pd.DataFrame:
    """VaR95/VaR99 of a long position for every scored origin (OOF, from ``eval_start``) and horizon.

    Each origin's VaR comes from its own Monte Carlo distribution: ``n_paths`` paths matched to its forecast
    quantiles, GARCH(1,1)-t dynamics fitted on the returns before the origin's year, seeded by (seed, origin
    date) so that an origin's result does not depend on which other origins are computed in the same run.

    Incremental: rows of ``existing`` (the table as stored by the previous build) whose forecast row is unchanged
    (same ``row_digest`` of quantiles, spot and settings) are not recomputed; the result holds only the origins
    that are new or changed (every horizon of such an origin), which dbt merges on ``(as_of_date,
    horizon_days)``. A full refresh recomputes everything and gives the same rows.
    """
    from zlcast.risk.montecarlo import fit_dynamics, simulate_paths

    project = project_from_meta(meta)
    zl, t = targets_frame(features, targets)
    d = as_datetime(dist, "as_of_date")
    oof = d[(d["split"] == "oof") & (d["as_of_date"] >= project.eval_start)].sort_values(["as_of_date", "horizon_days"])
    qcols = quantile_columns(project, "q")
    oof = oof.assign(row_digest=_row_digests(oof, [*qcols, "spot_close", "horizon_days"], f"n{n_paths}s{project.seed}"))
    todo = oof
    if existing is not None and len(existing):
        known = as_datetime(existing, "as_of_date")[["as_of_date", "horizon_days", "row_digest"]]
        merged = oof.merge(known, on=["as_of_date", "horizon_days", "row_digest"], how="left", indicator=True)
        changed = set(merged.loc[merged["_merge"] == "left_only", "as_of_date"])
        todo = oof[oof["as_of_date"].isin(changed)]
    r = _daily_returns(zl)
    realized = t.rename(columns={"trade_date": "as_of_date"})[["as_of_date", "horizon_days", "fwd_log_return"]]
    out, dynamics = [], {}
    for key, g in todo.groupby("as_of_date", sort=True):
        as_of = pd.Timestamp(key)  # type: ignore[arg-type]  # group keys of a datetime column
        if as_of.year not in dynamics:
            dynamics[as_of.year] = fit_dynamics(r[r.index < pd.Timestamp(as_of.year, 1, 1)].to_numpy())
        rng = np.random.default_rng([project.seed, as_of.toordinal()])
        anchors = _anchors(g, qcols)
        paths = simulate_paths(
            anchors,
            project.quantiles,
            r[r.index <= as_of].to_numpy(),
            n_paths=n_paths,
            horizon=max(anchors),
            rng=rng,
            dynamics=dynamics[as_of.year],
        )
        spot = float(g["spot_close"].iloc[0])
        for h, digest in zip(g["horizon_days"], g["row_digest"]):
            pnl = spot * (np.exp(paths[:, int(h) - 1]) - 1.0)
            out.append(
                {
                    "as_of_date": as_of,
                    "horizon_days": int(h),
                    "spot_close": spot,
                    "var95_loss": -np.quantile(pnl, 0.05),
                    "var99_loss": -np.quantile(pnl, 0.01),
                    "row_digest": digest,
                }
            )
    v = pd.DataFrame(out, columns=[c for c in VAR_FORECAST_COLUMNS if c != "realized_loss"])
    v = v.merge(realized, on=["as_of_date", "horizon_days"], how="left")
    v["realized_loss"] = -v["spot_close"] * (np.exp(v["fwd_log_return"]) - 1.0)
    return v[list(VAR_FORECAST_COLUMNS)].astype({"horizon_days": "int64"})


def var_backtest_table(var_forecasts: pd.DataFrame) -> pd.DataFrame:
    """VaR backtest of the final forecast per horizon and level (exceedances, Kupiec, Christoffersen, Basel)."""
    from zlcast.risk.var import var_backtest

    v = as_datetime(var_forecasts, "as_of_date")
    return var_backtest(v[["as_of_date", "horizon_days", "var95_loss", "var99_loss", "realized_loss"]])


def calibration_table(
    dist: pd.DataFrame,
    rw: pd.DataFrame,
    features: pd.DataFrame,
    targets: pd.DataFrame,
    meta: Mapping[str, Any] | None,
) -> pd.DataFrame:
    """Scores of the whole distribution of the final forecast and of the EWMA walk, by group, on the same origins.

    Origins: OOF rows of ``ml_forecast_distribution`` from ``eval_start`` that the walk (``ml_rw_ewma``, OOF)
    and a realised target (``fct_zl_targets``) also have. Both models are scored on the h-day log-return
    quantiles at the project's levels; the volatility groups use the EWMA daily vol at the origin (the
    project's lambda, :func:`zlcast.forecast.baselines.ewma_sigma`). See
    :func:`zlcast.forecast.calibration.calibration_scores`.
    """
    from zlcast.forecast.baselines import ewma_sigma
    from zlcast.forecast.calibration import calibration_scores

    project = project_from_meta(meta)
    qcols = quantile_columns(project, "q")
    keys = ["as_of_date", "horizon_days"]
    d = as_datetime(dist, "as_of_date")
    ens = d.loc[(d["split"] == "oof") & (d["as_of_date"] >= project.eval_start), [*keys, *qcols]]
    ens = ens.assign(model=FINAL_MODEL)
    r = as_datetime(rw, "as_of_date")
    r = r[(r["split"] == "oof") & (r["as_of_date"] >= project.eval_start)].assign(quantile=r["quantile"].round(4))
    walk = r.pivot_table(index=keys, columns="quantile", values="value", aggfunc="first")
    walk = walk.reindex(columns=[round(q, 4) for q in project.quantiles])
    walk.columns = qcols
    walk = walk.reset_index().assign(model="rw_ewma")
    t = as_datetime(targets, "trade_date").rename(columns={"trade_date": "as_of_date", "fwd_log_return": "actual"})
    zl = zl_series(features)
    vol = ewma_sigma(zl, project.ewma_lambda).rename("vol").reset_index()
    vol = vol.rename(columns={"trade_date": "as_of_date"})
    scored = pd.concat([ens, walk], ignore_index=True).astype({"horizon_days": "int64"})
    scored = scored.merge(t[[*keys, "actual"]].astype({"horizon_days": "int64"}), on=keys).merge(vol, on="as_of_date")
    return calibration_scores(scored, project.quantiles, reference="rw_ewma")


def procurement_calls_table(dist: pd.DataFrame, meta: Mapping[str, Any] | None) -> pd.DataFrame:
    """The model's call (BUY NOW / WAIT / LADDER) with its reasoning for every forecast row, live and backtest.

    Columns: ``as_of_date, horizon_days, target_date, split, spot_close``, ``model_call``, the figures of
    :func:`zlcast.risk.procurement.signal` and ``model_reason`` (the rule that fired).
    """
    from zlcast.risk.procurement import signal

    project = project_from_meta(meta)
    pcols = quantile_columns(project, "p")
    sig = signal(
        dist["spot_close"].to_numpy(), dist[pcols].to_numpy(), dist["horizon_days"].to_numpy(), project.quantiles
    )
    sig = sig.rename(columns={"signal": "model_call", "reason": "model_reason"})
    return pd.concat(
        [
            dist[["as_of_date", "horizon_days", "target_date", "split", "spot_close"]].reset_index(drop=True),
            sig.reset_index(drop=True),
        ],
        axis=1,
    )


def _call_history(calls: pd.DataFrame, eval_start: pd.Timestamp) -> dict[int, pd.DataFrame]:
    """Per horizon, the backtest's history of calls: OOF rows from ``eval_start`` (``as_of_date, spot, signal``)."""
    s = as_datetime(calls, "as_of_date")
    hist = s[(s["split"] == "oof") & (s["as_of_date"] >= eval_start)]
    out = {}
    for key, g in hist.groupby("horizon_days"):
        h = int(key)  # type: ignore[arg-type]  # group keys of an integer column
        g = g.sort_values("as_of_date").rename(columns={"spot_close": "spot", "model_call": "signal"})
        out[h] = g[["as_of_date", "spot", "signal"]].reset_index(drop=True)
    return out


def procurement_backtest_table(calls: pd.DataFrame, meta: Mapping[str, Any] | None) -> pd.DataFrame:
    """Following the model's calls versus buying on a fixed schedule, per horizon, from ``eval_start``.

    One row per horizon with enough history (:func:`zlcast.risk.procurement.backtest_signal`): average prices,
    the distribution of the per-decision extra cost, and the verdict (``edge`` / ``no_edge``).
    """
    from zlcast.risk.procurement import BACKTEST_COLUMNS, backtest_signal

    project = project_from_meta(meta)
    backtests = [backtest_signal(g, h) for h, g in _call_history(calls, project.eval_start).items() if len(g) > h]
    return pd.concat(backtests, ignore_index=True) if backtests else pd.DataFrame(columns=list(BACKTEST_COLUMNS))


#: Backtest figures carried onto every row of ``ml_procurement_signal`` (``backtest_`` + name).
_VERDICT_FIGURES = ("n_decisions", "extra_cost_mean_pct", "extra_cost_p95_pct", "saving_t_stat")


def procurement_signal_table(
    calls: pd.DataFrame, backtest: pd.DataFrame, meta: Mapping[str, Any] | None
) -> pd.DataFrame:
    """The published buyer's signal: the model's call where its backtest shows an edge, else NO EDGE.

    Each OOF row is judged on the backtest as it stood at its as_of_date: the decisions of the horizon's backtest
    (OOF rows from ``eval_start``, every h sessions) whose last purchase day precedes the as_of_date
    (:func:`zlcast.risk.procurement.causal_verdicts`); a live row on the whole backtest (``backtest``, the table
    of ``ml_procurement_backtest``), whose decisions all completed before it. Columns: those of
    :func:`procurement_calls_table`, ``signal``, ``reason``, ``backtest_verdict`` and ``backtest_n_decisions``,
    ``backtest_extra_cost_mean_pct``, ``backtest_extra_cost_p95_pct``, ``backtest_saving_t_stat``.
    """
    from zlcast.risk.procurement import causal_verdicts, decision_outcomes, publish_signal

    project = project_from_meta(meta)
    c = as_datetime(calls, "as_of_date").reset_index(drop=True)
    history = _call_history(c, project.eval_start)
    whole = backtest.set_index("horizon_days") if len(backtest) else pd.DataFrame()
    columns = ["verdict", "verdict_reason", *_VERDICT_FIGURES]
    empty = pd.DataFrame({"as_of_date": pd.to_datetime([]), "spot": [], "signal": []})
    verdicts = []
    for key, rows in c.groupby("horizon_days"):
        h = int(key)  # type: ignore[arg-type]  # group keys of an integer column
        decisions = decision_outcomes(history.get(h, empty), h)
        v = causal_verdicts(decisions, rows["as_of_date"], h)[columns].set_index(rows.index)
        live = rows.index[rows["split"] == "live"]
        if len(live) and h in whole.index:  # the published backtest (the same decisions, all completed before)
            v.loc[live, columns] = [whole.loc[h, f] for f in columns]
        verdicts.append(v)
    v = pd.concat(verdicts).reindex(c.index)
    published = publish_signal(c["model_call"], c["model_reason"], v["verdict"], v["verdict_reason"])
    out = pd.concat([c, published, v[["verdict", *_VERDICT_FIGURES]].add_prefix("backtest_")], axis=1)
    return out.astype({"backtest_n_decisions": "int64"})


def attribution_table(
    members: pd.DataFrame,
    meta_preds: pd.DataFrame,
    weights: pd.DataFrame,
    features: pd.DataFrame,
    final: pd.DataFrame,
    vol: pd.DataFrame,
    meta: Mapping[str, Any] | None,
) -> pd.DataFrame:
    """Per as_of_date and horizon: how much each Big 8 bucket (and core, rw, L2) moved the final median."""
    from zlcast.forecast.meta import attribution

    project = project_from_meta(meta)
    return attribution(
        members,
        meta_preds,
        weights,
        zl_series(features),
        as_datetime(final, "as_of_date", "target_date"),
        project.ewma_lambda,
        vol_scale(vol, meta),
    )
