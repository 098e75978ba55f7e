"""Plausibility gates: a unit slip, a date in the future and stale data, on the demo data set."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from zlcast.data.gates import (
    GateSettings,
    PlausibilityError,
    check_data_dir,
    check_gates,
    feature_roots,
    move_bounds,
    session_moves,
)

REPO = Path(__file__).resolve().parents[3]
ROOTS_SEED = REPO / "seeds" / "futures_roots.csv"
MACRO_SEED = REPO / "seeds" / "macro_series.csv"
RUN_DATE = dt.date(2025, 7, 2)


@pytest.fixture
def data(demo_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the demo data (the tests corrupt it)."""
    return Path(shutil.copytree(demo_dir, tmp_path / "data"))


def _edit_futures(data: Path, edit) -> None:  # type: ignore[no-untyped-def]
    path = data / "futures_daily.parquet"
    frame = pd.read_parquet(path)
    edit(frame).to_parquet(path, index=False)


def test_the_demo_data_passes_every_gate(data: Path) -> None:
    contract, gates = check_data_dir(data, ROOTS_SEED, MACRO_SEED, RUN_DATE)
    assert gates.ok and contract.futures_rows > 0
    assert not [w for w in gates.warnings if "STALE" in w]


def test_prices_divided_by_100_for_30_sessions_are_refused_naming_root_and_row(data: Path) -> None:
    def slip(f: pd.DataFrame) -> pd.DataFrame:
        zl = f.index[f["root"] == "ZL"][-30:]
        f.loc[zl, ["open", "high", "low", "close"]] /= 100.0
        return f

    _edit_futures(data, slip)
    with pytest.raises(PlausibilityError) as err:
        check_gates(data, RUN_DATE, feature_roots=feature_roots(ROOTS_SEED)).enforce()
    text = str(err.value)
    first = pd.read_parquet(data / "futures_daily.parquet").query("root == 'ZL'")["trade_date"].iloc[-30]
    assert "futures_daily.parquet: root ZL" in text and str(pd.Timestamp(first).date()) in text
    assert "log move -4.6" in text


def test_consecutive_limit_moves_pass(data: Path) -> None:
    """ZL's limit-up sessions of June 2025 (+6.5 %, +8.9 %) are real moves, not errors."""

    def limit_up(f: pd.DataFrame) -> pd.DataFrame:
        zl = f.index[f["root"] == "ZL"]
        same = f.loc[zl[-3:], "instrument_id"].nunique() == 1
        assert same
        for k, factor in ((-2, 1.065), (-1, 1.065 * 1.089)):
            f.loc[zl[k], ["open", "high", "low", "close"]] = f.loc[zl[-3], "close"] * factor
        return f

    _edit_futures(data, limit_up)
    assert check_gates(data, RUN_DATE, feature_roots=feature_roots(ROOTS_SEED)).ok


def test_a_macro_row_dated_after_the_run_date_is_refused_naming_file_and_line(data: Path) -> None:
    path = data / "macro" / "DGS10.csv"
    lines = path.read_text().splitlines()
    lines.append("DGS10,2031-01-02,4.1")
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(
        PlausibilityError,
        match=rf"macro/DGS10.csv: column date: 1 row\(s\) dated after the run date "
        rf"{RUN_DATE}: line {len(lines)} \(2031-01-02\)",
    ):
        check_gates(data, RUN_DATE).enforce()


def test_a_futures_session_after_the_run_date_is_refused(data: Path) -> None:
    report = check_gates(data, dt.date(2025, 6, 1))
    assert any("column trade_date" in p and "after the run date 2025-06-01" in p for p in report.problems)


def test_stale_data_is_a_loud_warning_not_a_refusal(data: Path) -> None:
    report = check_gates(data, dt.date(2025, 8, 1))
    assert report.ok
    assert any(w.startswith("STALE DATA: futures_daily.parquet: root ZL") for w in report.warnings)


def test_implausible_prices_of_a_root_the_features_do_not_read_only_warn(data: Path) -> None:
    def slip(f: pd.DataFrame) -> pd.DataFrame:
        es = f.index[f["root"] == "ES"][-5:]
        f.loc[es, ["open", "high", "low", "close"]] *= 50.0
        return f

    _edit_futures(data, slip)
    report = check_gates(data, RUN_DATE, feature_roots=feature_roots(ROOTS_SEED))
    assert report.ok
    assert any("(root not used by features)" in w and "root ES" in w for w in report.warnings)


def test_bounds_are_learned_from_each_roots_own_moves() -> None:
    rng = np.random.default_rng(0)
    frames = []
    for root, vol in (("AA", 0.01), ("BB", 0.04)):
        close = 50 * np.exp(np.cumsum(rng.normal(0, vol, 2000)))
        frames.append(
            pd.DataFrame(
                {
                    "root": root,
                    "trade_date": pd.bdate_range("2015-01-01", periods=2000),
                    "instrument_id": 1,
                    "close": close,
                    "low_volume": False,
                }
            )
        )
    bounds = move_bounds(session_moves(pd.concat(frames)), GateSettings(floor=0.0))
    assert bounds["BB"] == pytest.approx(4 * bounds["AA"], rel=0.25)


def test_rolls_and_low_volume_sessions_are_not_moves() -> None:
    bars = pd.DataFrame(
        {
            "root": "ZL",
            "trade_date": pd.bdate_range("2025-01-01", periods=4),
            "instrument_id": [1, 1, 2, 2],
            "close": [50.0, 51.0, 40.0, 41.0],
            "low_volume": [False, False, False, True],
        }
    )
    moves = session_moves(bars)
    assert list(moves["trade_date"].dt.day) == [2]  # day 3 is a roll, day 6 is low volume
