"""The source list the refresh runs (:func:`zlcast.data.sources.default_sources`)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from zlcast.data.sources import (
    CftcCotSource,
    DatabentoSource,
    EpaRinSource,
    FredSource,
    Source,
    SourceError,
    default_sources,
    replay_session,
)

REPO = Path(__file__).resolve().parents[4]
ENV = {"ZL_SEEDS_DIR": str(REPO / "seeds")}


def test_sources_names_requirement_and_series() -> None:
    sources = default_sources({**ENV, "DATABENTO_API_KEY": "db-x", "FRED_API_KEY": "f", "CFTC_APP_TOKEN": "t"})
    assert [(s.name, s.required) for s in sources] == [
        ("databento", True),
        ("fred", True),
        ("fred-optional", False),
        ("cftc", False),
        ("epa_rin", False),
    ]
    assert all(isinstance(s, Source) for s in sources)
    databento, fred, fred_optional, cftc, epa = sources
    assert isinstance(databento, DatabentoSource) and len(databento.roots) == 84 and databento.key == "db-x"
    assert isinstance(fred, FredSource) and set(fred.series) == {
        "VIXCLS", "DGS10", "DGS2", "T10Y2Y", "DFF", "DTWEXBGS", "DEXCHUS", "DEXBZUS", "STLFSI4", "ANFCI"
    }  # fmt: skip
    assert isinstance(fred_optional, FredSource) and set(fred_optional.series) == {"NFCI", "FEDFUNDS"}
    assert isinstance(cftc, CftcCotSource) and cftc.app_token == "t"
    assert isinstance(epa, EpaRinSource)
    assert databento.session is fred.session is cftc.session  # one session, one retry policy


def test_missing_keys_fail_in_fetch_with_one_line(tmp_path: Path) -> None:
    databento, fred, fred_optional, *_ = default_sources(ENV)
    for source, line in [
        (databento, "databento: DATABENTO_API_KEY is not set"),
        (fred, "fred: FRED_API_KEY is not set"),
        (fred_optional, "fred-optional: FRED_API_KEY is not set"),
    ]:
        with pytest.raises(SourceError) as info:
            source.fetch(tmp_path, tmp_path, dt.date(2025, 7, 1))
        assert str(info.value) == line


def test_replay_needs_no_key(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text('{"responses": []}', encoding="utf-8")
    databento, fred, *_ = default_sources(ENV, replay_session(tmp_path))
    assert databento.key == "replay" and fred.key == "replay"
