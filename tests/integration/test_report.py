"""The HTML report renders from a built warehouse with its seven charts embedded."""

from __future__ import annotations

import pytest

from zlcast.serve.report import main

pytestmark = pytest.mark.dbt


def test_report_embeds_seven_charts_and_the_forecast_and_calibration_tables(sql_warehouse, tmp_path) -> None:
    assert main(["--warehouse", str(sql_warehouse), "--out", str(tmp_path)]) == 0
    page = (tmp_path / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 7
    assert "US cents/lb" in page and "VaR backtest" in page and "Calibration of the whole distribution" in page
    for name in (
        "fan_chart",
        "coverage",
        "var_exceedances",
        "attribution",
        "procurement",
        "calibration_coverage",
        "calibration_pit",
    ):
        png = (tmp_path / f"{name}.png").read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
