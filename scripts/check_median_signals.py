"""Is there a drift to forecast? Median signals of the Big 8 features scored against the random walk.

Usage: python scripts/check_median_signals.py [--warehouse PATH] [--horizons 5 20 60]
(default warehouse: $ZL_DUCKDB_PATH, else state/zl.duckdb)

Reads a built warehouse (read-only): fct_zl_features, fct_zl_targets, ml_rw_ewma and the ZL rows of
int_futures__continuous. For each horizon it prints the skill (1 - pinball / pinball of the EWMA walk,
quantiles 0.1/0.5/0.9) of the walk shifted by a median tilt, on 2012-2015 and 2016-2019 (the years a
choice may look at) and on 2020-2025 (the years the product is judged on):

* combination of the walk-forward univariate forecasts of every feature (Rapach-Strauss-Zhou), and of
  each bucket's features alone;
* the single feature with the best skill on 2012-2019 (worse of the two periods), chosen without
  looking at 2020-2025;
* the roll carry of the front-month series (trailing 250 sessions of roll gaps).

See zlcast.forecast.signals for the method. Takes about 6 s on the real data.
"""

from __future__ import annotations

import argparse
import math
import os
import sys

import duckdb
import pandas as pd

from zlcast.forecast.evaluation import EVAL_QUANTILES, wide_quantiles
from zlcast.forecast.frames import feature_columns
from zlcast.forecast.signals import combination_tilt, roll_carry_tilt, tilt_skill, univariate_tilts

PERIODS = {
    "2012-2015": ("2012-01-01", "2015-12-31"),
    "2016-2019": ("2016-01-01", "2019-12-31"),
    "2020-2025": ("2020-01-01", "2025-12-31"),
}
PRE = ("2012-2015", "2016-2019")


def _load(path: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    con = duckdb.connect(path, read_only=True)
    try:
        features = con.sql("select * from fct_zl_features where is_valid_origin order by trade_date").df()
        targets = con.sql("select trade_date, horizon_days, target_date, fwd_log_return from fct_zl_targets").df()
        rw = con.sql(
            "select model, as_of_date, horizon_days, quantile, value, split from ml_rw_ewma where split = 'oof'"
        ).df()
        bars = con.sql(
            "select trade_date, close_price, is_roll from int_futures__continuous"
            " where root = 'ZL' and is_valid order by trade_date"
        ).df()
    finally:
        con.close()
    return features, targets, rw, bars


def _pre_score(skill: dict[str, float]) -> float:
    """Worse skill of the pre-2020 periods that have origins (-inf when none has)."""
    pre = [skill[p] for p in PRE if math.isfinite(skill[p])]
    return min(pre) if pre else -math.inf


def _rows(
    features: pd.DataFrame, targets: pd.DataFrame, rw: pd.DataFrame, bars: pd.DataFrame, h: int
) -> list[dict[str, object]]:
    cols = feature_columns(features)
    w = wide_quantiles(rw[rw["horizon_days"] == h], EVAL_QUANTILES)
    q = w.set_index(pd.DatetimeIndex(pd.to_datetime(w["as_of_date"]))).drop(
        columns=["model", "as_of_date", "horizon_days"]
    )
    t = targets[targets["horizon_days"] == h]
    actual = pd.Series(t["fwd_log_return"].to_numpy(), index=pd.DatetimeIndex(pd.to_datetime(t["trade_date"])))
    tilts = univariate_tilts(features, targets, h, cols)
    rows: list[dict[str, object]] = [
        {"signal": "combination, all features", **tilt_skill(q, actual, combination_tilt(tilts), PERIODS)}
    ]
    for bucket in sorted({c.split("__", 1)[0] for c in cols}):
        sub = tilts[[c for c in cols if c.startswith(f"{bucket}__")]]
        rows.append({"signal": f"combination, {bucket}", **tilt_skill(q, actual, combination_tilt(sub), PERIODS)})
    single = {c: tilt_skill(q, actual, tilts[c], PERIODS) for c in cols}
    best = max(cols, key=lambda c: _pre_score(single[c]))
    rows.append({"signal": f"best single on 2012-2019: {best}", **single[best]})
    rows.append(
        {"signal": "roll carry, trailing 250 sessions", **tilt_skill(q, actual, roll_carry_tilt(bars, h), PERIODS)}
    )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--warehouse", default=os.environ.get("ZL_DUCKDB_PATH", "state/zl.duckdb"))
    parser.add_argument("--horizons", type=int, nargs="+", default=[5, 20, 60])
    args = parser.parse_args()
    features, targets, rw, bars = _load(args.warehouse)
    for h in args.horizons:
        print(f"\n#### {h} sessions: skill vs the EWMA walk (%), walk quantiles shifted by the tilt\n")
        print("| signal | " + " | ".join(PERIODS) + " |")
        print("|---|" + "---:|" * len(PERIODS))
        for r in _rows(features, targets, rw, bars, h):
            cells = [f"{100 * v:+.2f}" if math.isfinite(v := float(r[p])) else "n/a" for p in PERIODS]  # type: ignore[arg-type]
            print(f"| {r['signal']} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
