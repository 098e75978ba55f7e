"""Tests of the synthetic demo data set (zlcast.data.demo_data)."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from zlcast.data.contract import validate_data_dir
from zlcast.data.demo_data import DEMO_MARKER, us_holidays, write_demo_data

REPO = Path(__file__).resolve().parents[3]
ROOTS_SEED = REPO / "seeds" / "futures_roots.csv"
MACRO_SEED = REPO / "seeds" / "macro_series.csv"
FEATURE_ROOTS = {"ZL", "ZS", "ZM", "HG", "6L", "CL", "HO", "RB", "ZQ"}


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_demo_data(tmp_path_factory.mktemp("demo") / "data")


@pytest.fixture(scope="module")
def futures(demo_dir: Path) -> pd.DataFrame:
    frame = pd.read_parquet(demo_dir / "futures_daily.parquet")
    frame["trade_date"] = pd.to_datetime(frame["trade_date"])
    return frame


@pytest.fixture(scope="module")
def closes(futures: pd.DataFrame) -> pd.DataFrame:
    return futures.pivot(index="trade_date", columns="root", values="close")


def _macro(demo_dir: Path, name: str) -> pd.DataFrame:
    frame = pd.read_csv(demo_dir / "macro" / name)
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


# ---------------------------------------------------------------------------- determinism


def test_two_writes_with_the_same_seed_are_byte_identical(tmp_path: Path, demo_dir: Path) -> None:
    other = write_demo_data(tmp_path / "again")
    assert _digest(other) == _digest(demo_dir)


def test_rewriting_identical_content_leaves_the_directory_untouched(tmp_path: Path) -> None:
    out = write_demo_data(tmp_path / "data")
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    write_demo_data(out)
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == before
    assert [p.name for p in tmp_path.iterdir()] == ["data"]  # no temp folders left behind


def test_another_seed_replaces_an_earlier_demo_set(tmp_path: Path, demo_dir: Path) -> None:
    out = write_demo_data(tmp_path / "data", seed=7)
    assert _digest(out)["futures_daily.parquet"] != _digest(demo_dir)["futures_daily.parquet"]
    write_demo_data(out)
    assert _digest(out) == _digest(demo_dir)
    assert [p.name for p in tmp_path.iterdir()] == ["data"]


def test_refuses_to_replace_a_directory_that_is_not_a_demo_set(tmp_path: Path) -> None:
    precious = tmp_path / "real"
    precious.mkdir()
    (precious / "futures_daily.parquet").write_bytes(b"not demo")
    with pytest.raises(FileExistsError, match="not a demo data set"):
        write_demo_data(precious)
    assert (precious / "futures_daily.parquet").read_bytes() == b"not demo"
    assert [p.name for p in tmp_path.iterdir()] == ["real"]


def test_readme_says_the_data_are_synthetic(demo_dir: Path) -> None:
    text = (demo_dir / "README.md").read_text(encoding="utf-8")
    assert text.startswith(DEMO_MARKER)
    assert "SYNTHETIC DATA" in text


# ---------------------------------------------------------------------------- contract


def test_demo_set_passes_the_data_contract(demo_dir: Path) -> None:
    report = validate_data_dir(demo_dir, ROOTS_SEED, MACRO_SEED)
    assert report.warnings == ()
    assert {r.root for r in report.roots} >= FEATURE_ROOTS | {"QM"}
    assert report.futures_first_date == date(2016, 1, 4)
    assert report.futures_last_date == date(2025, 6, 30)
    assert report.event_rows >= 20


def test_a_shorter_range_without_the_negative_day_also_passes(tmp_path: Path) -> None:
    out = write_demo_data(tmp_path / "short", seed=3, start="2022-01-03", end="2023-06-30")
    report = validate_data_dir(out, ROOTS_SEED, MACRO_SEED)
    assert report.futures_first_date == date(2022, 1, 3)
    assert report.futures_last_date == date(2023, 6, 30)
    frame = pd.read_parquet(out / "futures_daily.parquet")
    assert (frame["close"] > 0).all()


# ---------------------------------------------------------------------------- futures


def test_has_the_feature_roots_and_qm(futures: pd.DataFrame) -> None:
    assert set(futures["root"]) >= FEATURE_ROOTS | {"QM"}


def test_prices_are_consistent_bars(futures: pd.DataFrame) -> None:
    f = futures
    assert (f["low"] <= f[["open", "close"]].min(axis=1)).all()
    assert (f["high"] >= f[["open", "close"]].max(axis=1)).all()
    assert (f["volume"] > 0).all()
    assert not f.duplicated(["root", "trade_date"]).any()


def test_only_qm_has_a_negative_close_on_2020_04_20(futures: pd.DataFrame) -> None:
    nonpositive = futures[futures[["open", "high", "low", "close"]].min(axis=1) <= 0]
    assert nonpositive["root"].tolist() == ["QM"]
    assert nonpositive["trade_date"].tolist() == [pd.Timestamp("2020-04-20")]
    assert nonpositive["close"].item() == pytest.approx(-37.175)
    cl = futures[(futures["root"] == "CL") & (futures["trade_date"] == "2020-04-20")]
    assert cl["close"].item() > 0


@pytest.mark.parametrize(
    ("root", "low", "high"),
    [
        ("ZL", 24.0, 92.0),
        ("ZS", 750.0, 1760.0),
        ("ZM", 250.0, 545.0),
        ("CL", 19.0, 125.0),
        ("HO", 0.7, 4.6),
        ("RB", 0.5, 4.4),
        ("HG", 1.9, 5.3),
        ("6L", 0.15, 0.45),
        ("ZQ", 94.5, 99.99),
    ],
)
def test_closes_stay_in_realistic_unit_ranges(futures: pd.DataFrame, root: str, low: float, high: float) -> None:
    close = futures.loc[futures["root"] == root, "close"]
    assert close.between(low, high).all(), (close.min(), close.max())


def test_board_crush_and_oil_share_stay_in_realistic_ranges(closes: pd.DataFrame) -> None:
    crush = (0.022 * closes["ZM"] + 0.11 * closes["ZL"] - closes["ZS"] / 100).dropna()
    share = (0.11 * closes["ZL"] / (0.11 * closes["ZL"] + 0.022 * closes["ZM"])).dropna()
    assert crush.between(0.5, 3.0).mean() >= 0.95
    assert crush.between(0.0, 4.0).all()
    assert share.between(0.25, 0.6, inclusive="neither").all()


def test_soy_complex_returns_are_correlated(closes: pd.DataFrame) -> None:
    returns = np.log(closes[["ZS", "ZM", "ZL"]]).diff().dropna()
    corr = returns.corr()
    assert corr.loc["ZS", "ZM"] > 0.3
    assert corr.loc["ZS", "ZL"] > 0.2


def test_zl_has_realistic_clustered_volatility(closes: pd.DataFrame) -> None:
    returns = np.log(closes["ZL"].dropna()).diff().dropna()
    assert 0.2 < returns.std() * np.sqrt(252) < 0.35
    assert returns.abs().autocorr(1) > 0.03  # volatility clustering


def test_is_roll_marks_every_instrument_change(futures: pd.DataFrame) -> None:
    for _, g in futures.groupby("root"):
        inst = g["instrument_id"].to_numpy()
        expected = np.concatenate([[False], inst[1:] != inst[:-1]])
        assert (g["is_roll"].to_numpy() == expected).all()


def _roll_backs(g: pd.DataFrame) -> int:
    inst = g["instrument_id"].to_numpy()
    rolls = np.flatnonzero(g["is_roll"].to_numpy())
    return sum(any(i - k >= 0 and inst[i - k] == inst[i] for k in (2, 3, 4)) for i in rolls)


def _lasting_rolls_per_year(g: pd.DataFrame, min_run: int = 5) -> pd.Series:
    """Count switches to a contract that is then held for at least ``min_run`` sessions."""
    run_id = g["is_roll"].cumsum()
    runs = g.groupby(run_id).agg(start=("trade_date", "first"), length=("trade_date", "size"))
    lasting = runs[(runs["length"] >= min_run) & (runs.index > 0)]
    return lasting.groupby(lasting["start"].dt.year).size()


@pytest.mark.parametrize(("root", "low", "high"), [("ZL", 5, 8), ("ZS", 5, 8), ("ZM", 5, 8), ("CL", 11, 13)])
def test_rolls_follow_a_realistic_schedule(futures: pd.DataFrame, root: str, low: int, high: int) -> None:
    g = futures[futures["root"] == root]
    per_year = _lasting_rolls_per_year(g).loc[2016:2024]
    assert per_year.between(low, high).all(), per_year.to_dict()


def test_has_roll_backs(futures: pd.DataFrame) -> None:
    counts = {root: _roll_backs(g) for root, g in futures.groupby("root")}
    assert counts["ZL"] >= 3
    assert counts["ZQ"] > counts["CL"]


def test_rolls_jump_by_the_calendar_spread(futures: pd.DataFrame) -> None:
    g = futures[futures["root"] == "ZL"]
    move = np.log(g["close"]).diff().abs()
    assert move[g["is_roll"]].median() > move[~g["is_roll"]].median()


def test_low_volume_follows_the_real_data_rule(futures: pd.DataFrame) -> None:
    for _, g in futures.groupby("root"):
        vol = g["volume"].astype(float)
        median = vol.shift(1).rolling(21, min_periods=5).median()
        assert ((vol < 0.1 * median).fillna(False).to_numpy() == g["low_volume"].to_numpy()).all()


def test_zl_has_illiquid_days_with_tiny_volume_and_an_outlier(futures: pd.DataFrame) -> None:
    zl = futures[futures["root"] == "ZL"]
    illiquid = zl[zl["low_volume"]]
    assert 3 <= len(illiquid) <= 12
    assert (illiquid["volume"] < 500).all()
    assert illiquid["is_roll"].all()  # a deferred contract picked for the day
    assert (illiquid["high"] / illiquid["close"]).max() > 1.15  # outlier high


def test_grains_skip_exchange_holidays_and_energy_trades_them(futures: pd.DataFrame) -> None:
    holidays = [d for y in range(2016, 2025) for d in us_holidays(y).values()]
    zl_days = set(futures.loc[futures["root"] == "ZL", "trade_date"].dt.date)
    assert not zl_days & set(holidays)
    cl = futures[futures["root"] == "CL"].set_index("trade_date")
    assert pd.Timestamp("2024-07-04") in cl.index
    assert cl.loc["2024-07-04", "n_bars"] < 23
    assert pd.Timestamp("2024-12-25") not in cl.index
    assert pd.Timestamp("2024-03-29") not in cl.index  # Good Friday


def test_grains_have_short_sessions_after_holidays(futures: pd.DataFrame) -> None:
    zl = futures[futures["root"] == "ZL"].set_index("trade_date")
    assert zl["n_bars"].median() == 19
    assert zl.loc["2023-12-26", "n_bars"] == 6
    assert zl.loc["2023-11-24", "n_bars"] == 5  # Friday after Thanksgiving
    energy = futures[futures["root"].isin(["CL", "HO", "RB"])]
    assert energy["n_bars"].median() == 23


def test_energy_sessions_per_year_exceed_grain_sessions(futures: pd.DataFrame) -> None:
    counts = futures[futures["trade_date"].dt.year == 2019].groupby("root").size()
    assert counts["ZL"] == 252
    assert counts["CL"] > counts["ZL"]


# ---------------------------------------------------------------------------- macro and events


def test_every_macro_seed_series_is_written(demo_dir: Path) -> None:
    seed = pd.read_csv(MACRO_SEED)
    files = {p.stem for p in (demo_dir / "macro").glob("*.csv")}
    fx = _macro(demo_dir, "fx_monthly_brl_cny.csv")
    written = files | set(fx["series_id"])
    assert set(seed["series_id"]) <= written
    assert set(fx["series_id"]) == {"BRL_PER_USD_MONTHLY", "CNY_PER_USD_MONTHLY"}


def test_weekly_series_are_fridays_and_nfci_ends_2024_12_27(demo_dir: Path) -> None:
    for name in ("STLFSI4.csv", "ANFCI.csv", "NFCI.csv"):
        frame = _macro(demo_dir, name)
        assert (frame["date"].dt.dayofweek == 4).all()
        assert (frame["date"].diff().dropna() == pd.Timedelta(days=7)).all()
    assert _macro(demo_dir, "NFCI.csv")["date"].max() == pd.Timestamp("2024-12-27")
    assert _macro(demo_dir, "ANFCI.csv")["date"].max() == pd.Timestamp("2025-06-27")


def test_monthly_series_are_dated_the_first(demo_dir: Path) -> None:
    for name in ("FEDFUNDS.csv", "fx_monthly_brl_cny.csv"):
        frame = _macro(demo_dir, name)
        assert (frame["date"].dt.day == 1).all()
        assert frame.groupby("series_id")["date"].apply(lambda d: d.diff().dt.days.max() <= 31).all()


def test_daily_series_skip_holidays_and_dff_has_every_day(demo_dir: Path) -> None:
    dgs10 = set(_macro(demo_dir, "DGS10.csv")["date"])
    assert pd.Timestamp("2024-12-25") not in dgs10
    assert pd.Timestamp("2024-07-04") not in dgs10
    assert pd.Timestamp("2024-07-05") in dgs10
    dff = _macro(demo_dir, "DFF.csv")["date"]
    assert (dff.diff().dropna() == pd.Timedelta(days=1)).all()


@pytest.mark.parametrize(
    ("name", "low", "high"),
    [
        ("VIXCLS.csv", 9.0, 82.0),
        ("DGS10.csv", 0.5, 5.0),
        ("DFF.csv", 0.0, 5.5),
        ("FEDFUNDS.csv", 0.0, 5.5),
        ("DTWEXBGS.csv", 100.0, 130.0),
        ("DEXCHUS.csv", 6.0, 7.3),
        ("DEXBZUS.csv", 3.0, 6.0),
    ],
)
def test_macro_levels_are_plausible(demo_dir: Path, name: str, low: float, high: float) -> None:
    assert _macro(demo_dir, name)["value"].between(low, high).all()


def test_term_spread_is_ten_minus_two_year(demo_dir: Path) -> None:
    merged = (
        _macro(demo_dir, "DGS10.csv")
        .merge(_macro(demo_dir, "DGS2.csv"), on="date")
        .merge(_macro(demo_dir, "T10Y2Y.csv"), on="date")
    )
    assert np.allclose(merged["value_x"] - merged["value_y"], merged["value"], atol=1e-9)


def test_events_include_a_weekend_announcement(demo_dir: Path) -> None:
    events = pd.read_csv(demo_dir / "trade_policy_events.csv", parse_dates=["event_date"])
    assert 18 <= len(events) <= 25
    assert set(events["direction"]) == {"escalation", "de-escalation"}
    assert (events["event_date"].dt.dayofweek >= 5).any()
    assert events["event_date"].between("2018-01-01", "2025-06-30").all()
