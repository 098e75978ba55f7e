"""The HTML report renders from a built warehouse with its five charts embedded."""

from __future__ import annotations

import pytest

from zlcast.serve.report import main

pytestmark = pytest.mark.dbt


def test_report_embeds_five_charts_and_the_forecast_table(sql_warehouse, tmp_path) -> None:
    assert main(["--warehouse", str(sql_warehouse), "--out", str(tmp_path)]) == 0
    page = (tmp_path / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 5
    assert "US cents/lb" in page and "VaR backtest" in page
    for name in ("fan_chart", "coverage", "var_exceedances", "attribution", "procurement"):
        png = (tmp_path / f"{name}.png").read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
