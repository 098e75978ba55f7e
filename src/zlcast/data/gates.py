"""Plausibility gates: well-formed but implausible data never reaches a published forecast.

The input contract (:mod:`zlcast.data.contract`) checks that a data directory is well formed. These gates check
that its values are believable, with bounds learned from the data itself:

* **Price moves.** For every futures root the features read (others give warnings), the close-to-close log move
  between consecutive liquid sessions of the same contract (roll and low-volume sessions excluded) must stay
  within a bound learned from that root's own history: ``max(floor, k * quantile_q(|move|))``. A real limit
  move (ZL's consecutive limit-up sessions of June 2025, +6.5 % and +8.9 %) passes; a unit slip (prices divided
  by 100: a move of -460 %) does not.
* **Price levels.** A liquid close below ``min / level_factor`` or above ``max * level_factor`` of the root's
  other liquid closes is refused (catches a slip that starts on a roll session).
* **Dates after the run date.** Any row of the futures file, a macro file, the event calendar or an optional file
  dated after the run date is refused (a macro row dated 2031 is a typo or a corrupted file, not a forecast).
* **Stale data** (a warning, not a refusal): the latest session of a required root is more than
  ``max_stale_business_days`` business days older than the run date.

:func:`check_gates` returns a :class:`GateReport`; its :meth:`GateReport.enforce` raises
:class:`PlausibilityError` naming the file, the root and the rows. ``zlcast validate``, the dbt plugin (before every
build) and ``zlcast refresh`` (before the data directory is swapped) run them, so nothing is built or published from
data that failed a gate.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from zlcast.data.contract import ContractReport, validate_data_dir

__all__ = [
    "DATE_COLUMNS",
    "GateReport",
    "GateSettings",
    "PlausibilityError",
    "check_data_dir",
    "check_gates",
    "data_fingerprint",
    "dated_files",
    "feature_roots",
    "implausible_levels",
    "implausible_moves",
    "move_bounds",
    "session_moves",
]

FUTURES_FILE = "futures_daily.parquet"
_MAX_EXAMPLES = 5


class PlausibilityError(ValueError):
    """The data directory holds implausible values; the message lists every failed gate with example rows."""

    def __init__(self, problems: Sequence[str], data_dir: Path | None = None) -> None:
        self.problems = list(problems)
        where = f" in {data_dir}" if data_dir is not None else ""
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} plausibility gate(s) failed{where}:\n{lines}")


@dataclass(frozen=True)
class GateSettings:
    """Bounds of the gates.

    Parameters
    ----------
    k_move : float
        Multiple of the root's ``quantile`` absolute log move that a move may reach.
    quantile : float
        Quantile of the root's absolute log moves the bound is learned from (robust to a few bad rows).
    floor : float
        Smallest bound (log move); also used for roots with fewer than ``min_history`` moves.
    min_history : int
        Moves needed before a root's bound is learned from its own history.
    level_factor : float
        A close outside ``[min / level_factor, max * level_factor]`` of the root's other closes is refused.
    max_stale_business_days : int
        Business days the latest session of a required root may lag the run date before a warning.
    """

    k_move: float = 6.0
    quantile: float = 0.999
    floor: float = 0.15
    min_history: int = 250
    level_factor: float = 3.0
    max_stale_business_days: int = 4


@dataclass(frozen=True)
class GateReport:
    """What :func:`check_gates` found.

    Attributes
    ----------
    problems : tuple of str
        Failed gates (file, root, example rows); empty when the data passed.
    warnings : tuple of str
        Stale data and other findings that do not block a build.
    bounds : dict
        Learned move bound (absolute log move) per root.
    data_dir : Path or None
        The directory checked (named by the error).
    """

    problems: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    bounds: dict[str, float] = field(default_factory=dict)
    data_dir: Path | None = None

    @property
    def ok(self) -> bool:
        """True when no gate failed."""
        return not self.problems

    def enforce(self) -> GateReport:
        """This report when every gate passed (warnings may be present).

        Returns
        -------
        GateReport

        Raises
        ------
        PlausibilityError
            Listing every failed gate.
        """
        if self.problems:
            raise PlausibilityError(self.problems, self.data_dir)
        return self


# ---------------------------------------------------------------------------------------------------- futures
def session_moves(bars: pd.DataFrame) -> pd.DataFrame:
    """Close-to-close log moves between consecutive liquid sessions of the same contract.

    Parameters
    ----------
    bars : pandas.DataFrame
        ``root, trade_date, instrument_id, close, low_volume`` (the futures file's columns).

    Returns
    -------
    pandas.DataFrame
        ``root, trade_date, close, previous_date, previous_close, move`` for every liquid session whose previous
        liquid session of the root traded the same instrument and both closes are positive (``move`` = log ratio).
    """
    b = bars.loc[~bars["low_volume"].astype(bool), ["root", "trade_date", "instrument_id", "close"]]
    b = b.sort_values(["root", "trade_date"], kind="stable")
    prev = b.groupby("root", sort=False)[["trade_date", "instrument_id", "close"]].shift(1)
    same = (b["instrument_id"] == prev["instrument_id"]) & (b["close"] > 0) & (prev["close"] > 0)
    out = pd.DataFrame(
        {
            "root": b["root"],
            "trade_date": b["trade_date"],
            "close": b["close"],
            "previous_date": prev["trade_date"],
            "previous_close": prev["close"],
        }
    )[same.to_numpy()]
    out["move"] = np.log(out["close"].to_numpy(dtype="float64") / out["previous_close"].to_numpy(dtype="float64"))
    return out.reset_index(drop=True)


def move_bounds(moves: pd.DataFrame, settings: GateSettings | None = None) -> dict[str, float]:
    """Largest plausible absolute log move per root, learned from the root's own moves.

    Parameters
    ----------
    moves : pandas.DataFrame
        Output of :func:`session_moves`.
    settings : GateSettings, optional

    Returns
    -------
    dict
        Root -> ``max(floor, k_move * quantile(|move|))`` (``floor`` below ``min_history`` moves).
    """
    s = settings or GateSettings()
    bounds: dict[str, float] = {}
    for root, g in moves.groupby("root", sort=True):
        a = np.abs(g["move"].to_numpy(dtype="float64"))
        learned = s.k_move * float(np.quantile(a, s.quantile)) if len(a) >= s.min_history else 0.0
        bounds[str(root)] = max(s.floor, learned)
    return bounds


def implausible_moves(moves: pd.DataFrame, bounds: dict[str, float]) -> pd.DataFrame:
    """The moves beyond their root's bound.

    Parameters
    ----------
    moves : pandas.DataFrame
        Output of :func:`session_moves`.
    bounds : dict
        Output of :func:`move_bounds`.

    Returns
    -------
    pandas.DataFrame
        The offending rows of ``moves`` with their ``bound``.
    """
    bound = moves["root"].map(bounds).astype("float64")
    bad = moves[np.abs(moves["move"].to_numpy(dtype="float64")) > bound.to_numpy()].copy()
    bad["bound"] = bound[bad.index]
    return bad


def implausible_levels(bars: pd.DataFrame, factor: float) -> pd.DataFrame:
    """Liquid closes far outside the range of the root's other liquid closes.

    Parameters
    ----------
    bars : pandas.DataFrame
        ``root, trade_date, close, low_volume``.
    factor : float
        A close below ``min / factor`` or above ``max * factor`` of the other closes is implausible.

    Returns
    -------
    pandas.DataFrame
        ``root, trade_date, close, low, high`` of the offending sessions (positive prices only).
    """
    b = bars.loc[~bars["low_volume"].astype(bool) & (bars["close"] > 0), ["root", "trade_date", "close"]]
    rows = []
    for root, g in b.groupby("root", sort=True):
        c = g["close"].to_numpy(dtype="float64")
        if len(c) < 3:
            continue
        # the range of the *other* closes: leave-one-out min/max from the two smallest and two largest values
        order = np.sort(c)
        lo_other = np.where(c == order[0], order[1], order[0])
        hi_other = np.where(c == order[-1], order[-2], order[-1])
        mask = (c < lo_other / factor) | (c > hi_other * factor)
        if mask.any():
            rows.append(g[mask].assign(low=lo_other[mask], high=hi_other[mask], root=str(root)))
    if not rows:
        return pd.DataFrame(columns=["root", "trade_date", "close", "low", "high"])
    return pd.concat(rows, ignore_index=True)


def _futures(data_dir: Path) -> pd.DataFrame | None:
    path = data_dir / FUTURES_FILE
    if not path.is_file():
        return None
    with duckdb.connect() as con:
        df = con.execute(
            "select root, trade_date, instrument_id, close, low_volume from read_parquet(?)", [str(path)]
        ).df()
    df["trade_date"] = pd.to_datetime(df["trade_date"])
    return df


def _day(value: object) -> str:
    return str(pd.Timestamp(value).date())  # type: ignore[arg-type]


def _move_problems(bars: pd.DataFrame, settings: GateSettings) -> tuple[list[str], dict[str, float]]:
    moves = session_moves(bars)
    bounds = move_bounds(moves, settings)
    bad = implausible_moves(moves, bounds)
    problems = []
    for root, g in bad.groupby("root", sort=True):
        worst = g.reindex(g["move"].abs().sort_values(ascending=False).index)[:_MAX_EXAMPLES]
        examples = "; ".join(
            f"{_day(r.trade_date)} close {r.close:g} after {r.previous_close:g} on {_day(r.previous_date)} "
            f"(log move {r.move:+.3f})"
            for r in worst.itertuples(index=False)
        )
        problems.append(
            f"{FUTURES_FILE}: root {root}: {len(g)} session(s) move more than the plausible bound "
            f"{bounds[str(root)]:.3f} (log, learned from its history; a unit slip or a wrong contract?): {examples}"
        )
    return problems, bounds


def _level_problems(bars: pd.DataFrame, settings: GateSettings) -> list[str]:
    bad = implausible_levels(bars, settings.level_factor)
    problems = []
    for root, g in bad.groupby("root", sort=True):
        examples = "; ".join(
            f"{_day(r.trade_date)} close {r.close:g} (other closes {r.low:g}..{r.high:g})"
            for r in g.head(_MAX_EXAMPLES).itertuples(index=False)
        )
        problems.append(
            f"{FUTURES_FILE}: root {root}: {len(g)} close(s) outside {settings.level_factor:g}x the range of its "
            f"other closes: {examples}"
        )
    return problems


def _stale_warning(bars: pd.DataFrame, run_date: dt.date, roots: Iterable[str], max_days: int) -> list[str]:
    out = []
    for root in roots:
        last = bars.loc[bars["root"] == root, "trade_date"].max()
        if pd.isna(last):
            continue
        lag = int(np.busday_count(pd.Timestamp(last).date(), run_date))
        if lag > max_days:
            out.append(
                f"STALE DATA: {FUTURES_FILE}: root {root}: latest session {_day(last)} is {lag} business days "
                f"before the run date {run_date} (more than {max_days}); the forecast is as of {_day(last)}"
            )
    return out


# ------------------------------------------------------------------------------------------------------- dates
#: Date columns of the files of a data directory: (glob, column, strptime format or None for ISO).
DATE_COLUMNS: tuple[tuple[str, str, str | None], ...] = (
    ("macro/*.csv", "date", None),
    ("macro/*.csv", "observation_date", None),
    ("macro/*.csv", "realtime_start", None),
    ("trade_policy_events.csv", "event_date", None),
    ("rins.csv", "date", None),
    ("cftc_cot.csv", "report_date", None),
    ("export_sales.csv", "week_ending", None),
    ("epa_rin_prices_d6.csv", "Transfer Date by Week", "%m/%d/%Y"),
)


def dated_files(data_dir: Path) -> list[tuple[Path, str, str | None]]:
    """The files of ``data_dir`` that carry a known date column, with that column and its format.

    Parameters
    ----------
    data_dir : Path

    Returns
    -------
    list of (Path, str, str or None)
    """
    out = []
    for pattern, column, fmt in DATE_COLUMNS:
        for path in sorted(data_dir.glob(pattern)):
            with path.open(newline="", encoding="utf-8", errors="replace") as fh:
                header = next(csv.reader(fh), [])
            if column in [h.strip() for h in header]:
                out.append((path, column, fmt))
    return out


def _future_rows(data_dir: Path, run_date: dt.date, bars: pd.DataFrame | None) -> list[str]:
    problems = []
    limit = pd.Timestamp(run_date)
    if bars is not None:
        late = bars[bars["trade_date"] > limit]
        if len(late):
            examples = ", ".join(f"{r.root} {_day(r.trade_date)}" for r in late.head(_MAX_EXAMPLES).itertuples())
            problems.append(
                f"{FUTURES_FILE}: column trade_date: {len(late)} row(s) dated after the run date {run_date}: {examples}"
            )
    for path, column, fmt in dated_files(data_dir):
        frame = pd.read_csv(path, dtype=str)
        frame.columns = [str(c).strip() for c in frame.columns]
        values = frame[column].str.strip()
        parsed = pd.Series(pd.to_datetime(values, format=fmt, errors="coerce"))
        after = (parsed > limit).fillna(False)
        if after.any():
            lines = (np.flatnonzero(after.to_numpy()) + 2)[:_MAX_EXAMPLES]  # header is line 1
            examples = ", ".join(f"line {n} ({values.iloc[n - 2]})" for n in lines)
            problems.append(
                f"{path.relative_to(data_dir)}: column {column}: {int(after.sum())} row(s) dated after the run date "
                f"{run_date}: {examples}"
            )
    return problems


# ------------------------------------------------------------------------------------------------------- entry
def check_gates(
    data_dir: Path,
    run_date: dt.date | None = None,
    required_roots: Sequence[str] = ("ZL",),
    settings: GateSettings | None = None,
    feature_roots: Sequence[str] | None = None,
) -> GateReport:
    """Run every gate on a data directory.

    Parameters
    ----------
    data_dir : Path
        A data directory (layout of ``../shared/data``).
    run_date : datetime.date, optional
        The date of the run (default: today); rows after it are refused, staleness is measured from it.
    required_roots : sequence of str
        Roots whose staleness is reported.
    settings : GateSettings, optional
    feature_roots : sequence of str, optional
        Roots the features read (seed ``futures_roots``, ``used_by_features``): their implausible prices block a
        build; those of other roots are reported as warnings (the data set carries 84 roots, most unused). None:
        every root blocks.

    Returns
    -------
    GateReport
    """
    s = settings or GateSettings()
    day = run_date or dt.date.today()
    data_dir = Path(data_dir)
    bars = _futures(data_dir)
    problems: list[str] = []
    warnings: list[str] = []
    bounds: dict[str, float] = {}
    if bars is not None and len(bars):
        move_problems, bounds = _move_problems(bars, s)
        for finding in move_problems + _level_problems(bars, s):
            root = finding.split("root ", 1)[1].split(":", 1)[0]
            blocking = feature_roots is None or root in feature_roots
            (problems if blocking else warnings).append(
                finding if blocking else f"(root not used by features) {finding}"
            )
        warnings += _stale_warning(bars, day, required_roots, s.max_stale_business_days)
    problems += _future_rows(data_dir, day, bars)
    return GateReport(tuple(problems), tuple(warnings), bounds, data_dir)


def feature_roots(roots_seed: Path) -> tuple[str, ...]:
    """Roots the features read (``used_by_features`` in the ``futures_roots`` seed).

    Parameters
    ----------
    roots_seed : Path
        ``seeds/futures_roots.csv``.

    Returns
    -------
    tuple of str
    """
    seed = pd.read_csv(roots_seed, dtype=str)
    return tuple(seed.loc[seed["used_by_features"].str.strip().str.lower() == "true", "root"].str.strip())


def check_data_dir(
    data_dir: Path, roots_seed: Path, macro_seed: Path, run_date: dt.date | None = None
) -> tuple[ContractReport, GateReport]:
    """The input contract, then the plausibility gates: what every reader of a data directory runs first.

    Parameters
    ----------
    data_dir : Path
    roots_seed, macro_seed : Path
        ``seeds/futures_roots.csv`` and ``seeds/macro_series.csv``.
    run_date : datetime.date, optional
        Default: today.

    Returns
    -------
    (ContractReport, GateReport)

    Raises
    ------
    DataContractError
        When the directory breaks the contract (the gates are not run then).
    PlausibilityError
        When a gate failed.
    """
    contract = validate_data_dir(Path(data_dir), Path(roots_seed), Path(macro_seed))
    gates = check_gates(Path(data_dir), run_date, feature_roots=feature_roots(Path(roots_seed))).enforce()
    return contract, gates


def data_fingerprint(data_dir: Path) -> str:
    """Digest of a data directory's files (path, size, modification time), raw source files left out.

    ``zlcast refresh`` validates a data version, then passes this fingerprint to the dbt plugin
    (``ZL_VALIDATED_FINGERPRINT``), which skips validating the same unchanged directory a second time.

    Parameters
    ----------
    data_dir : Path

    Returns
    -------
    str
    """
    import hashlib

    root = Path(data_dir).resolve()
    h = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if path.is_file() and rel.parts[0] != "raw":
            st = path.stat()
            h.update(f"{rel}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()
