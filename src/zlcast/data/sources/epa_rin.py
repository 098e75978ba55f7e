"""EPA D6 RIN prices: a newer EMTS export dropped into the data directory replaces the current one, as exported.

EPA publishes RIN prices only as an export of its EMTS "RIN Trades and Price Information" dashboard (no API). The
input is that export, unchanged: ``epa_rin_prices_d6.csv`` in its raw layout (checked by
:func:`zlcast.data.contract.check_epa_rin_export`). The rule for picking up a newer export:

* candidates are the files ``epa_rin_prices_d6*.csv`` at the top of the data directory other than
  ``epa_rin_prices_d6.csv`` itself (``epa_rin_prices_d6_2025-09.csv``, a browser's ``epa_rin_prices_d6 (1).csv``);
* each must pass the raw-layout check, or the source fails naming it (optional source: reported, the current
  export stays);
* the candidate with the latest transfer week (then the most rows) is adopted when it is newer than the current
  export (a later last week, or the same last week with more rows) and starts no later than it (so no history is
  lost): its bytes become ``epa_rin_prices_d6.csv`` and the dropped copy is removed; otherwise nothing changes;
* a current export overwritten in place with newer content needs nothing: it is checked and used as it is.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from zlcast.data.contract import EPA_RIN_FILE, check_epa_rin_export
from zlcast.data.sources.base import FetchResult, SourceError, write_atomic

__all__ = ["PATTERN", "EpaRinSource"]

PATTERN = "epa_rin_prices_d6*.csv"
ENDPOINT = f"no API: EPA EMTS D6 export dropped into the data directory ({PATTERN})"


@dataclass(frozen=True)
class _Export:
    path: Path
    rows: int
    first_week: dt.date
    last_week: dt.date


def _read(path: Path, name: str) -> _Export:
    """Check an export; SourceError naming the file and its first problem."""
    problems, _, _ = check_epa_rin_export(path, path.name)
    if problems:
        more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
        raise SourceError(f"{name}: {problems[0]}{more}")
    weeks = pd.to_datetime(pd.read_csv(path, dtype=str)["Transfer Date by Week"].str.strip(), format="%m/%d/%Y")
    if weeks.empty:
        raise SourceError(f"{name}: {path.name} has no rows")
    return _Export(path, len(weeks), weeks.min().date(), weeks.max().date())


def _rows(path: Path) -> Counter[tuple[str, ...]]:
    """The export's rows as a multiset of stripped text tuples."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    return Counter(tuple(v.strip() for v in row) for row in frame.itertuples(index=False, name=None))


class EpaRinSource:
    """Optional source: the newest EPA D6 RIN export found in the data directory (see the module docstring)."""

    name = "epa_rin"
    required = False

    def fetch(self, data_dir: Path, work_dir: Path, today: dt.date) -> FetchResult:
        """Adopt a newer export dropped into ``data_dir``; write it to ``work_dir/epa_rin_prices_d6.csv``.

        Raises
        ------
        SourceError
            If an export does not have EPA's layout, or a newer one would drop history.
        """
        data_dir, work_dir = Path(data_dir), Path(work_dir)
        current_path = data_dir / EPA_RIN_FILE
        current = _read(current_path, self.name) if current_path.is_file() else None
        dropped = [_read(p, self.name) for p in sorted(data_dir.glob(PATTERN)) if p.name != EPA_RIN_FILE]
        dropped = [d for d in dropped if d.last_week <= today]
        if not dropped:
            detail = (
                f"{EPA_RIN_FILE}: transfer weeks {current.first_week} .. {current.last_week}, no newer export dropped"
                if current
                else "no EPA D6 export in the data directory"
            )
            return FetchResult(self.name, ENDPOINT, {}, detail)
        best = max(dropped, key=lambda d: (d.last_week, d.rows, d.path.name))
        if current is not None and (best.last_week, best.rows) <= (current.last_week, current.rows):
            return FetchResult(
                self.name,
                ENDPOINT,
                {},
                f"{best.path.name} (to {best.last_week}) is not newer than {EPA_RIN_FILE} (to {current.last_week})",
            )
        if current is not None and best.first_week > current.first_week:
            raise SourceError(
                f"{self.name}: {best.path.name} starts {best.first_week}, after {EPA_RIN_FILE} ({current.first_week}): "
                "export the full history from EPA's dashboard"
            )
        added = _rows(best.path) - (_rows(current_path) if current is not None else Counter())
        write_atomic(work_dir / EPA_RIN_FILE, lambda tmp: shutil.copyfile(best.path, tmp))
        (work_dir / best.path.name).unlink(missing_ok=True)
        detail = (
            f"adopted {best.path.name} as {EPA_RIN_FILE}: transfer weeks {best.first_week} .. {best.last_week}, "
            f"{sum(added.values())} new rows"
        )
        return FetchResult(self.name, ENDPOINT, {EPA_RIN_FILE: sum(added.values())}, detail)
