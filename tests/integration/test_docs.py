"""dbt docs: generated offline, served on 127.0.0.1, rendered by headless chromium (scripts/check_docs.py).

Chromium is a Debian package: `.ci/install_system_packages.sh` installs it (CI runs it before the tests). When it is
missing, the browser tests run that script once (as root or with passwordless sudo; set ZL_NO_SYSTEM_INSTALL=1 to
forbid it) and skip with the reason if chromium still cannot be found.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from dbt_helpers import REPO, copy_warehouse

INSTALL_SCRIPT = REPO / ".ci" / "install_system_packages.sh"
FEATURES = "model.zl_forecast.fct_zl_features"


def _load_check_docs() -> ModuleType:
    """Import scripts/check_docs.py as a module."""
    spec = importlib.util.spec_from_file_location("check_docs", REPO / "scripts" / "check_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is created
    spec.loader.exec_module(module)
    return module


check_docs = _load_check_docs()


@pytest.fixture(scope="module")
def chromium() -> str:
    """Path of headless chromium, installing it with the CI script when missing; skip if impossible."""
    found = check_docs.find_chromium()
    if found:
        return str(found)
    if os.environ.get("ZL_NO_SYSTEM_INSTALL") == "1":
        pytest.skip("chromium not installed and ZL_NO_SYSTEM_INSTALL=1 (run .ci/install_system_packages.sh)")
    try:
        proc = subprocess.run(["bash", str(INSTALL_SCRIPT)], capture_output=True, text=True, timeout=1200, check=False)
        detail = (proc.stdout + proc.stderr).strip()[-500:]
    except (OSError, subprocess.TimeoutExpired) as exc:
        detail = repr(exc)
    found = check_docs.find_chromium()
    if not found:
        pytest.skip(f"chromium could not be installed with {INSTALL_SCRIPT.relative_to(REPO)}: {detail}")
    return str(found)


@pytest.fixture(scope="module")
def docs_check(
    tmp_path_factory: pytest.TempPathFactory, chromium: str, sql_warehouse: Path, demo_dir: Path
) -> dict[str, Any]:
    """On a copy of the session's demo build (compiling runs introspective queries), run scripts/check_docs.py
    (dbt docs generate, serve, chromium); return its report, process and folder."""
    work = tmp_path_factory.mktemp("docs")
    copy_warehouse(sql_warehouse, work)
    data = demo_dir
    env = {k: v for k, v in os.environ.items() if k != "ZL_DATA_DIR"}
    env |= {
        "ZL_DUCKDB_PATH": str(work / "zl.duckdb"),
        "ZL_DATA_DIR": str(data),
        "ZL_PREIMPORT_AUTOGLUON": "false",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "ZL_CHROMIUM": chromium,
    }
    proc = subprocess.run(
        [
            sys.executable,
            str(REPO / "scripts" / "check_docs.py"),
            "--target-path",
            str(work / "target"),
            "--out",
            str(work / "screenshots"),
            "--json",
            str(work / "report.json"),
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    report = json.loads((work / "report.json").read_text()) if (work / "report.json").exists() else None
    return {"proc": proc, "report": report, "work": work}


def _report(docs_check: dict[str, Any]) -> dict[str, Any]:
    """The check's JSON report; fails with the script's output when it wrote none."""
    proc = docs_check["proc"]
    assert docs_check["report"] is not None, (
        f"no report ({proc.returncode}):\n{proc.stdout[-3000:]}{proc.stderr[-4000:]}"
    )
    return dict(docs_check["report"])


# ---------------------------------------------------------------------------------- parsing, no browser


def test_upstream_follows_parents_transitively() -> None:
    parent_map = {"c": ["b"], "b": ["a", "x"], "a": [], "x": ["a"]}
    assert check_docs.upstream(parent_map, "c") == {"a", "b", "x"}
    assert check_docs.upstream(parent_map, "a") == set()


def test_depends_on_links_read_only_the_rendered_section_not_templates() -> None:
    template = (
        '<script>id="depends_on"></div> <div class="section-content"> <h6>Depends On</h6> '
        '<reference-list references="parents" node="model" /> href="#!/model/model.p.template"</script>'
    )
    rendered = (
        '<div class="section-target" id="depends_on"></div> <div class="section-content"> <h6>Depends On</h6> '
        '<reference-list references="parents" node="model" class="ng-isolate-scope"><ul>'
        '<li><a href="#!/model/model.p.a">a</a></li><li><a href="#!/source/source.p.s.t">t</a></li></ul>'
        '</reference-list></div><a href="#!/model/model.p.after">after</a>'
    )
    assert check_docs.depends_on_links(template) == []
    assert check_docs.depends_on_links(template + rendered) == ["model.p.a", "source.p.s.t"]


def test_walk_to_big8_follows_the_links_nearest_to_a_big8_model() -> None:
    big8 = list(check_docs.BIG8_MODELS)
    parent_map = {
        "final": ["dist", "other"],
        "dist": ["features"],
        "other": ["src"],
        "features": big8,
        "src": [],
        **{b: [] for b in big8},
    }
    hops = check_docs.hops_to_big8(parent_map)
    assert hops["features"] == 1 and hops["dist"] == 2 and hops["final"] == 3 and "other" not in hops
    opened: list[str] = []

    def links_of(uid: str) -> list[str]:
        opened.append(uid)
        return parent_map[uid]

    visited, found = check_docs.walk_to_big8(links_of, "final", hops)
    assert visited == ["final", "dist", "features"] == opened
    assert found == sorted(big8)


def test_walk_to_big8_reports_what_a_page_fails_to_link() -> None:
    big8 = list(check_docs.BIG8_MODELS)
    parent_map = {"final": ["features"], "features": big8, **{b: [] for b in big8}}
    rendered = {"final": ["features"], "features": big8[:5]}  # the page shows only five of the eight
    visited, found = check_docs.walk_to_big8(rendered.__getitem__, "final", check_docs.hops_to_big8(parent_map))
    assert visited == ["final", "features"]
    assert found == sorted(big8[:5])


# -------------------------------------------------------------------------------------------- browser


@pytest.mark.dbt
def test_docs_check_passes(docs_check: dict[str, Any]) -> None:
    proc = docs_check["proc"]
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert _report(docs_check)["problems"] == []


@pytest.mark.dbt
def test_manifest_lineage_has_every_big8_model_upstream_of_the_feature_matrix(docs_check: dict[str, Any]) -> None:
    _report(docs_check)
    manifest = json.loads((docs_check["work"] / "target" / "manifest.json").read_text())
    upstream = check_docs.upstream(manifest["parent_map"], FEATURES)
    big8 = sorted(n for n in upstream if n.startswith("model.zl_forecast.int_big8__"))
    assert big8 == sorted(check_docs.BIG8_MODELS)


@pytest.mark.dbt
def test_browser_walks_from_zl_forecast_upstream_to_every_big8_model(docs_check: dict[str, Any]) -> None:
    report = _report(docs_check)
    assert report["model"] == "model.zl_forecast.zl_forecast"
    assert report["page_title_ok"], docs_check["proc"].stderr[-2000:]
    assert report["lineage_walk"][0] == "model.zl_forecast.zl_forecast"
    assert report["lineage_walk"][-1] == FEATURES  # the feature matrix page links the eight bucket models
    assert report["lineage_big8"] == sorted(check_docs.BIG8_MODELS)
    shots = [Path(p).name for p in report["screenshots"]]
    assert shots == ["docs_index.png", "docs_zl_forecast.png", "docs_zl_forecast_lineage.png"]
    assert all(Path(p).stat().st_size > 10_000 for p in report["screenshots"])
