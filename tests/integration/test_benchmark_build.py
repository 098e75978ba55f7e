"""The benchmark's dbt stage timings on a real dbt build of the demo data."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.harness import run_dbt_build, stage_table

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.dbt
def test_dbt_build_is_timed_per_stage(demo_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZL_PREIMPORT_AUTOGLUON", "false")
    lines: list[str] = []
    b = run_dbt_build(
        REPO,
        demo_dir,
        tmp_path / "x.duckdb",
        tmp_path,
        "full",
        select=("+fct_zl_features", "+fct_zl_targets"),
        progress=lambda stage, msg: lines.append(msg),
    )
    models = [r["unique_id"] for r in b.results if r["unique_id"].startswith("model.")]
    assert models and all(b.node_peak_mib.get(u, 0) > 0 for u in models)  # every model sampled while running
    t = stage_table([b], reference_s=None).set_index("stage")
    assert {"staging", "features", "dbt tests", "total"} <= set(t.index)
    assert t.loc["features", "wall_s"] > 0 and t.loc["total", "peak_rss_mib"] >= t.loc["features", "peak_rss_mib"]
    assert any("OK created sql table model main.fct_zl_features" in m for m in lines)
