"""Score the final forecast of built warehouses side by side: skill vs the EWMA walk, [P10, P90] coverage, VaR.

    .venv/bin/python scripts/score_product.py ewma=state/real_ewma.duckdb har=state/real_har.duckdb

For each warehouse (opened read-only): the OOF rows of ``ml_ensemble`` (the final forecast) and of ``ml_rw_ewma``
(the yardstick) on the same origins with a realised target (``fct_zl_targets``); pinball = mean over quantiles
0.1/0.5/0.9 of the h-day log return, skill = 1 - pinball / pinball(EWMA walk), coverage = share strictly inside
(q0.1, q0.9). Periods: 2017-2019 (the meta / ensemble selection years), 2020-2025 (``--start``..``--end``) and each
calendar year of the latter (by origin). Then the issue-15 goals and ``zl_var_backtest`` (non-overlapping origins).
Prints markdown.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

LEVELS = (0.1, 0.5, 0.9)


def load(path: Path) -> pd.DataFrame:
    """OOF q0.1/0.5/0.9 of the final forecast and of the EWMA walk, with the realised h-day log return."""
    with duckdb.connect(str(path), read_only=True) as con:
        q = ", ".join(str(x) for x in LEVELS)
        sql = f"""
            select m.as_of_date::date as as_of_date, m.horizon_days::int as h, m.quantile, m.value as final,
                   r.value as walk, t.fwd_log_return as y
            from ml_ensemble m
            join ml_rw_ewma r using (as_of_date, horizon_days, quantile)
            join fct_zl_targets t on t.trade_date = m.as_of_date::date and t.horizon_days = m.horizon_days
            where m.split = 'oof' and r.split = 'oof' and round(m.quantile, 6) in ({q})
        """
        long = con.execute(sql).df()
    long["quantile"] = long["quantile"].round(6)
    wide = long.pivot_table(index=["as_of_date", "h", "y"], columns="quantile", values=["final", "walk"])
    wide.columns = [f"{a}_{b:g}" for a, b in wide.columns]
    out = wide.reset_index()
    out["as_of_date"] = pd.to_datetime(out["as_of_date"])
    return out


def pinball(y: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Mean pinball over :data:`LEVELS` per row (``q`` of shape (n, 3))."""
    u = y[:, None] - q
    lv = np.asarray(LEVELS)
    return np.mean(np.maximum(lv * u, (lv - 1.0) * u), axis=1)


def scores(d: pd.DataFrame) -> dict[str, float]:
    """n, skill vs the walk, coverage of the final forecast and of the walk."""
    y = d["y"].to_numpy()
    f = d[[f"final_{x:g}" for x in LEVELS]].to_numpy()
    w = d[[f"walk_{x:g}" for x in LEVELS]].to_numpy()
    return {
        "n": len(d),
        "skill": 1.0 - pinball(y, f).mean() / pinball(y, w).mean(),
        "cov": float(np.mean((y > f[:, 0]) & (y < f[:, 2]))),
        "cov_walk": float(np.mean((y > w[:, 0]) & (y < w[:, 2]))),
    }


def periods(start: str, end: str) -> list[tuple[str, pd.Timestamp, pd.Timestamp]]:
    """(label, first origin, last origin): 2017-2019, the report window and its calendar years."""
    s, e = pd.Timestamp(start), pd.Timestamp(end)
    out = [("2017-2019", pd.Timestamp("2017-01-01"), pd.Timestamp("2019-12-31")), (f"{s.year}-{e.year}", s, e)]
    out += [(str(y), max(s, pd.Timestamp(y, 1, 1)), min(e, pd.Timestamp(y, 12, 31))) for y in range(s.year, e.year + 1)]
    return out


def table(frames: dict[str, pd.DataFrame], start: str, end: str) -> pd.DataFrame:
    """One row per (period, horizon, warehouse)."""
    rows = []
    for label, a, b in periods(start, end):
        for name, d in frames.items():
            for h, g in d.groupby("h", sort=True):
                sel = g[(g["as_of_date"] >= a) & (g["as_of_date"] <= b)]
                if len(sel):
                    rows.append({"period": label, "h": int(h), "scale": name, **scores(sel)})
    return pd.DataFrame(rows)


def goals(t: pd.DataFrame, start: str, end: str) -> pd.DataFrame:
    """The issue-15 goals on the report window, per warehouse."""
    s, e = pd.Timestamp(start), pd.Timestamp(end)
    overall = f"{s.year}-{e.year}"
    years = [str(y) for y in range(s.year, e.year + 1)]
    rows = []
    for name, g in t.groupby("scale", sort=False):
        o = g[g["period"] == overall].set_index("h")
        y = g[g["period"].isin(years)]
        cov20 = y[y["h"] == 20]["cov"]
        cov60 = y[(y["h"] == 60) & (y["period"] != str(s.year))]["cov"]
        checks = [
            ("skill >= 0 at 5 d", o.loc[5, "skill"] >= 0, f"{o.loc[5, 'skill']:+.2%}"),
            ("skill >= +1% at 20 d", o.loc[20, "skill"] >= 0.01, f"{o.loc[20, 'skill']:+.2%}"),
            ("skill >= +1% at 60 d", o.loc[60, "skill"] >= 0.01, f"{o.loc[60, 'skill']:+.2%}"),
            ("20 d coverage 70-90% every year", cov20.between(0.7, 0.9).all(), f"{cov20.min():.1%}..{cov20.max():.1%}"),
            (
                f"60 d coverage 70-90% every year but {s.year}",
                cov60.between(0.7, 0.9).all(),
                f"{cov60.min():.1%}..{cov60.max():.1%}",
            ),
        ]
        for h in (5, 20, 60):
            c = o.loc[h, "cov"]
            checks.append((f"overall coverage 77-83% at {h} d", 0.77 <= c <= 0.83, f"{c:.1%}"))
        rows += [{"scale": name, "goal": k, "met": bool(m), "value": v} for k, m, v in checks]
    return pd.DataFrame(rows)


def var_table(paths: dict[str, Path]) -> pd.DataFrame:
    """``zl_var_backtest`` on non-overlapping origins, per warehouse."""
    rows = []
    for name, p in paths.items():
        with duckdb.connect(str(p), read_only=True) as con:
            v = con.execute(
                "select horizon_days as h, level, n_obs, n_exceed, expected, kupiec_p, christoffersen_p, traffic_light "
                "from zl_var_backtest where sample = 'non_overlapping' order by h, level"
            ).df()
        rows.append(v.assign(scale=name))
    return pd.concat(rows, ignore_index=True)


def markdown(df: pd.DataFrame) -> str:
    """A markdown table (index as leading columns); fractions as percent with one decimal, skill with two."""

    def cell(col: str, v: object) -> str:
        if isinstance(v, float):
            if "skill" in col:
                return f"{v:+.2%}"
            if "cov" in col or "exceed" in col or col.endswith("_p"):
                return f"{v:.1%}" if "cov" in col else f"{v:.3f}"
            return f"{v:.2f}"
        return str(v)

    d = df.reset_index() if not isinstance(df.index, pd.RangeIndex) else df
    cols = [" ".join(str(c) for c in col if str(c)) if isinstance(col, tuple) else str(col) for col in d.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(cell(c, v) for c, v in zip(cols, row)) + " |" for row in d.itertuples(index=False)]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the tables."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("warehouses", nargs="+", help="label=path of a built warehouse")
    p.add_argument("--start", default="2020-01-02")
    p.add_argument("--end", default="2025-06-30")
    args = p.parse_args(argv)
    paths = {w.split("=", 1)[0]: Path(w.split("=", 1)[1]) for w in args.warehouses}
    frames = {k: load(v) for k, v in paths.items()}
    t = table(frames, args.start, args.end)
    wide = t.pivot_table(index=["period", "h"], columns="scale", values=["skill", "cov"], sort=False)
    walk = t.groupby(["period", "h"], sort=False)["cov_walk"].first().rename(("cov", "walk"))
    n = t.groupby(["period", "h"], sort=False)["n"].first().rename(("n", ""))
    out = pd.concat([n, wide, walk], axis=1)
    print("## Final forecast (ml_ensemble OOF): skill vs the EWMA walk, [P10, P90] coverage\n")
    print(markdown(out))
    print("\n## Issue-15 goals\n")
    print(markdown(goals(t, args.start, args.end)))
    print("\n## VaR backtest (zl_var_backtest, non-overlapping origins)\n")
    print(markdown(var_table(paths)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
