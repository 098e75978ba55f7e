"""Self-contained HTML forecast report with PNG charts, from a built or published warehouse.

``zlcast report [--warehouse PATH | --published DIR] [--out DIR]`` writes ``report.html`` (PNG charts embedded as
base64, so the file can be mailed) plus the PNG files:

1. fan chart of the latest forecast over the last year of ZL prices;
2. backtest coverage of [P10, P90] over time (rolling 120 origins) per horizon, against the 80% target;
3. VaR exceedances: realised 20-day losses of a long position against the backtest VaR95;
4. bucket attribution of the latest forecast's median (US cents/lb);
5. buyer's signal history at 20 days over the price: the model's calls and the days the published signal said NO EDGE;
6. coverage of [P10, P90] by calendar half-year, the final forecast beside the EWMA random walk, per horizon
   (``zl_forecast_calibration``), against the 80% target;
7. PIT histograms of both models per horizon (flat at 10% per bin when calibrated).
"""

from __future__ import annotations

import argparse
import base64
import html
from collections.abc import Sequence
from pathlib import Path

import duckdb
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

from zlcast.risk.procurement import NO_EDGE

SIGNAL_COLORS = {"BUY NOW": "tab:red", "WAIT": "tab:green", "LADDER": "tab:orange"}


def _q(con: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    return con.sql(sql).df()


def fan_chart(prices: pd.DataFrame, forecast: pd.DataFrame, path: Path) -> Path:
    """Last year of ZL closes and the latest forecast's P05-P95 / P10-P90 / P25-P75 bands and median."""
    fig, ax = plt.subplots(figsize=(9, 4.5))
    ax.plot(prices["trade_date"], prices["close"], color="black", lw=1, label="ZL close")
    f = forecast.sort_values("horizon_days")
    x = [f["as_of_date"].iloc[0], *f["target_date"]]
    spot = f["spot_close"].iloc[0]
    for lo, hi, alpha, label in (
        ("p05", "p95", 0.15, "P05-P95"),
        ("p10", "p90", 0.25, "P10-P90"),
        ("p25", "p75", 0.35, "P25-P75"),
    ):
        ax.fill_between(x, [spot, *f[lo]], [spot, *f[hi]], color="tab:blue", alpha=alpha, label=label, lw=0)
    ax.plot(x, [spot, *f["p50"]], color="tab:blue", marker="o", lw=1.5, label="median")
    ax.set_title(f"ZL forecast as of {f['as_of_date'].iloc[0]:%Y-%m-%d} (5/20/60 sessions)")
    ax.set_ylabel("US cents/lb")
    ax.legend(loc="upper left", fontsize=8)
    ax.grid(alpha=0.3)
    fig.autofmt_xdate()
    return _save(fig, path)


def coverage_chart(backtest: pd.DataFrame, path: Path, window: int = 120) -> Path:
    """Rolling share of realised prices inside [P10, P90] per horizon."""
    fig, ax = plt.subplots(figsize=(9, 4))
    for h, g in backtest.sort_values("as_of_date").groupby("horizon_days"):
        roll = g["realized_in_p10_p90"].astype(float).rolling(window, min_periods=window // 2).mean()
        ax.plot(g["as_of_date"], roll, lw=1.2, label=f"{h} sessions")
    ax.axhline(0.8, color="black", ls="--", lw=1, label="target 80%")
    ax.set_ylim(0, 1)
    ax.set_title(f"Backtest coverage of [P10, P90], rolling {window} origins")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return _save(fig, path)


def var_chart(backtest: pd.DataFrame, path: Path, horizon: int = 20) -> Path:
    """Realised h-session loss of one long position against VaR95 (spot - P05); exceedances marked."""
    g = backtest[backtest["horizon_days"] == horizon].sort_values("as_of_date")
    loss = g["spot_close"] - g["realized_close"]
    var95 = g["spot_close"] - g["p05"]
    hit = loss > var95
    fig, ax = plt.subplots(figsize=(9, 4))
    ax.plot(g["as_of_date"], loss, color="grey", lw=0.8, label="realised loss (long)")
    ax.plot(g["as_of_date"], var95, color="tab:red", lw=1.2, label="VaR95 = spot - P05")
    ax.scatter(
        g["as_of_date"][hit],
        loss[hit],
        color="tab:red",
        s=10,
        zorder=3,
        label=f"exceedances: {int(hit.sum())} of {len(g)} ({hit.mean():.1%}; expected 5%)",
    )
    ax.set_title(f"{horizon}-session VaR95 backtest, US cents/lb")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return _save(fig, path)


def attribution_chart(attr: pd.DataFrame, path: Path) -> Path:
    """Contribution of each bucket to the latest forecast's median shift versus the random walk, per horizon."""
    latest = attr[attr["as_of_date"] == attr["as_of_date"].max()]
    pivot = latest.pivot_table(index="bucket", columns="horizon_days", values="contribution_cents", aggfunc="sum")
    fig, ax = plt.subplots(figsize=(9, 4))
    pivot.plot.barh(ax=ax)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel("US cents/lb moved versus the random walk's median")
    ax.set_title(f"Driver attribution of the median, as of {latest['as_of_date'].max():%Y-%m-%d}")
    ax.grid(alpha=0.3)
    return _save(fig, path)


def signal_chart(signals: pd.DataFrame, path: Path, horizon: int = 20) -> Path:
    """Buyer's signal history at one horizon over the spot price: the model's calls, and where it was published.

    Dots: the model's call (``model_call``) per day; the grey strip at the bottom marks the days whose published
    signal was NO EDGE: BUY ON SCHEDULE (the backtest, as it stood that day, showed no edge).
    """
    g = signals[signals["horizon_days"] == horizon].sort_values("as_of_date")
    fig, ax = plt.subplots(figsize=(9, 4.2))
    ax.plot(g["as_of_date"], g["spot_close"], color="black", lw=0.8)
    for label, color in SIGNAL_COLORS.items():
        s = g[g["model_call"] == label]
        ax.scatter(s["as_of_date"], s["spot_close"], color=color, s=6, label=f"model: {label} ({len(s)})")
    no_edge = (g["signal"] == NO_EDGE).to_numpy()
    ax.fill_between(
        g["as_of_date"],
        0,
        0.04,
        where=no_edge,
        step="mid",
        color="tab:gray",
        alpha=0.6,
        transform=ax.get_xaxis_transform(),
        label=f"published: {NO_EDGE} ({int(no_edge.sum())} of {len(g)} days)",
    )
    last = g.iloc[-1] if len(g) else None
    verdict = f"\nlatest: {last['reason'][:110]}" if last is not None else ""
    ax.set_title(f"Buyer's signal at {horizon} sessions{verdict}", fontsize=9)
    ax.set_ylabel("US cents/lb")
    ax.legend(fontsize=7, loc="upper left")
    ax.grid(alpha=0.3)
    return _save(fig, path)


#: Display names and colours of the models of ``zl_forecast_calibration``.
CALIBRATION_MODELS = {"zl_ensemble": ("final forecast", "tab:blue"), "rw_ewma": ("random walk, EWMA vol", "tab:gray")}


def calibration_coverage_chart(cal: pd.DataFrame, path: Path) -> Path:
    """Coverage of [P10, P90] per calendar half-year, both models, one panel per horizon, with the 80% target."""
    half = cal[cal["group_kind"] == "half_year"]
    horizons = sorted(half["horizon_days"].unique())
    fig, axes = plt.subplots(1, max(len(horizons), 1), figsize=(11, 3.8), sharey=True, squeeze=False)
    for ax, h in zip(axes[0], horizons):
        for model, (label, color) in CALIBRATION_MODELS.items():
            g = half[(half["horizon_days"] == h) & (half["model"] == model)].sort_values("group_label")
            overall = cal[(cal["group_kind"] == "overall") & (cal["horizon_days"] == h) & (cal["model"] == model)]
            total = f" ({overall['coverage80'].iloc[0]:.0%} overall)" if len(overall) else ""
            ax.plot(g["group_label"], g["coverage80"], marker="o", lw=1.2, color=color, label=label + total)
        ax.axhline(0.8, color="black", ls="--", lw=1, label="target 80%")
        ax.set_ylim(0, 1.02)
        ax.set_title(f"{h} sessions", fontsize=10)
        ax.tick_params(axis="x", labelrotation=90, labelsize=7)
        ax.legend(fontsize=7, loc="lower right")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("share inside [P10, P90]")
    fig.suptitle("Coverage of the 80% band by half-year of the origin", fontsize=11)
    return _save(fig, path)


def pit_chart(cal: pd.DataFrame, path: Path) -> Path:
    """PIT histograms (share of outcomes per tenth of the forecast distribution) of both models per horizon."""
    pit = cal[cal["group_kind"] == "pit_bin"]
    horizons = sorted(pit["horizon_days"].unique())
    fig, axes = plt.subplots(1, max(len(horizons), 1), figsize=(11, 3.4), sharey=True, squeeze=False)
    width = 0.04
    for ax, h in zip(axes[0], horizons):
        for k, (model, (label, color)) in enumerate(CALIBRATION_MODELS.items()):
            g = pit[(pit["horizon_days"] == h) & (pit["model"] == model)].sort_values("group_lower")
            centre = (g["group_lower"] + g["group_upper"]) / 2 + (k - 0.5) * width
            ax.bar(centre, g["pit_share"], width=width, color=color, label=label)
        ax.axhline(0.1, color="black", ls="--", lw=1, label="calibrated (10%)")
        ax.set_xlim(0, 1)
        ax.set_title(f"{h} sessions", fontsize=10)
        ax.set_xlabel("PIT (where the outcome fell in the forecast distribution)", fontsize=7)
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("share of outcomes")
    fig.suptitle("PIT histograms, out of fold (U shape: bands too narrow; hump: too wide)", fontsize=11)
    return _save(fig, path)


def _save(fig: plt.Figure, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _table(df: pd.DataFrame) -> str:
    return df.to_html(index=False, float_format=lambda v: f"{v:,.4f}", border=0)


def render_report(con: duckdb.DuckDBPyConnection, out_dir: Path) -> Path:
    """Write the charts and ``report.html`` into ``out_dir`` from a connection holding the marts."""
    out_dir.mkdir(parents=True, exist_ok=True)
    forecast = _q(con, "select * from zl_forecast where as_of_date = (select max(as_of_date) from zl_forecast)")
    as_of = forecast["as_of_date"].max()
    prices = _q(
        con,
        f"""select trade_date, exp(core__zl_log_close) as close from fct_zl_features
                         where is_valid_origin and trade_date > date '{as_of:%Y-%m-%d}' - interval 365 day""",
    )
    backtest = _q(con, "select * from zl_forecast_backtest")
    charts = [
        ("Latest forecast", fan_chart(prices, forecast, out_dir / "fan_chart.png")),
        ("Backtest coverage", coverage_chart(backtest, out_dir / "coverage.png")),
        ("VaR exceedances", var_chart(backtest, out_dir / "var_exceedances.png")),
        (
            "Driver attribution",
            attribution_chart(
                _q(con, "select * from zl_driver_attribution where split = 'live'"), out_dir / "attribution.png"
            ),
        ),
        (
            "Procurement signal",
            signal_chart(
                _q(con, "select * from zl_procurement_signal where split = 'oof'"), out_dir / "procurement.png"
            ),
        ),
    ]
    calibration = _q(con, "select * from zl_forecast_calibration")
    procurement = _q(
        con,
        """select horizon_days, n_decisions, n_buy_now, n_wait, n_ladder, saving_pct, extra_cost_mean_pct,
                  extra_cost_std_pct, extra_cost_p95_pct, extra_cost_worst_pct, share_cheaper, saving_t_stat, verdict
           from zl_procurement_backtest order by horizon_days""",
    )
    charts += [
        ("Calibration by half-year", calibration_coverage_chart(calibration, out_dir / "calibration_coverage.png")),
        ("PIT histograms", pit_chart(calibration, out_dir / "calibration_pit.png")),
    ]
    overall = calibration[calibration["group_kind"] == "overall"]
    tables = [
        ("Forecast (US cents/lb)", forecast),
        (
            "Calibration of the whole distribution (out of fold; scores in log-price units)",
            overall[
                [
                    "model",
                    "horizon_days",
                    "n_origins",
                    "pinball_10_50_90",
                    "skill_vs_rw_10_50_90",
                    "crps_approx",
                    "skill_vs_rw",
                    "coverage80",
                    "coverage90",
                    "winkler80",
                    "winkler90",
                ]
            ].sort_values(["horizon_days", "model"]),
        ),
        (
            "Model evaluation (out of fold)",
            _q(con, "select * from fct_model_evaluation order by horizon_days, skill_vs_rw desc"),
        ),
        ("VaR backtest", _q(con, "select * from zl_var_backtest")),
        ("Buyer's signal backtest (following the model versus a fixed schedule)", procurement),
    ]
    parts = [
        f"<h1>ZL soybean-oil forecast, as of {as_of:%Y-%m-%d}</h1>",
        "<p>Prices in US cents/lb; horizons in ZL trading sessions. Out-of-fold backtest: every row was made by "
        "models that never saw its outcome.</p>",
    ]
    for title, df in tables[:1]:
        parts.append(f"<h2>{html.escape(title)}</h2>{_table(df)}")
    for title, png in charts:
        b64 = base64.b64encode(png.read_bytes()).decode("ascii")
        parts.append(f"<h2>{html.escape(title)}</h2><img alt='{html.escape(title)}' src='data:image/png;base64,{b64}'>")
    for title, df in tables[1:]:
        parts.append(f"<h2>{html.escape(title)}</h2>{_table(df)}")
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>ZL forecast report</title><style>"
        "body{font-family:sans-serif;max-width:1000px;margin:auto}table{border-collapse:collapse;font-size:12px}"
        "td,th{padding:2px 6px;border-bottom:1px solid #ddd;text-align:right}img{max-width:100%}</style></head><body>"
        + "\n".join(parts)
        + "</body></html>"
    )
    out = out_dir / "report.html"
    out.write_text(page, encoding="utf-8")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """``zlcast report``: render the report from the published catalog (default) or a warehouse file."""
    parser = argparse.ArgumentParser(prog="zlcast report")
    add_arguments(parser)
    return run(parser.parse_args(argv))


def add_arguments(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Arguments of ``zlcast report``."""
    p.add_argument("--warehouse", default=None, help="DuckDB file with the marts (default: the published catalog)")
    p.add_argument("--published", default="state/published", help="publication root (used without --warehouse)")
    p.add_argument("--out", default="state/report", help="output folder")
    return p


def run(args: argparse.Namespace) -> int:
    """Render the report; print where it is."""
    if args.warehouse:
        con = duckdb.connect(args.warehouse, read_only=True)
    else:
        from zlcast.serve.publish import open_published

        con = open_published(Path(args.published))
    try:
        out = render_report(con, Path(args.out))
    finally:
        con.close()
    print(f"report: {out}")
    return 0
