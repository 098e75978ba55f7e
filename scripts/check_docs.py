"""Generate the dbt docs, serve them locally and check them in headless chromium.

Usage: python scripts/check_docs.py [--target-path target] [--out DIR] [--no-generate] [--model zl_forecast]
                                    [--json REPORT.json]

1. ``dbt docs generate`` (offline) into ``--target-path``;
2. serve that folder on 127.0.0.1 with a free port (a Python HTTP server in a thread);
3. headless Debian ``chromium`` takes screenshots of the docs index page, the model's page and its lineage
   graph (``--out``), and dumps the model page's DOM after its JavaScript ran: the page must render its heading
   and link every direct parent under "Depends On";
4. from the model, the browser walks upstream along the rendered "Depends On" links (each hop toward the
   nearest Big 8 model) until the pages seen link every Big 8 model ``int_big8__*``; for ``zl_forecast`` that is
   zl_forecast -> ml_forecast_distribution -> ... -> fct_zl_features;
5. ``manifest.json`` lineage (``parent_map``) must have all eight ``int_big8__*`` models upstream of the model.

Run it after a build (``make build``, or at least ``dbt run --select +fct_zl_features``): compiling the
models runs introspective queries against the warehouse. Exit status: 0 all checks pass, 1 a check failed,
3 chromium not found (``.ci/install_system_packages.sh`` installs it). The dbt profile comes from the
environment as for any dbt command (``ZL_DUCKDB_PATH``, ``ZL_DATA_DIR``); ``ZL_CHROMIUM`` names the browser
binary if it is not on PATH.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from zlcast.settings import BUCKETS

REPO = Path(__file__).resolve().parents[1]
PROJECT = "zl_forecast"
BIG8_MODELS = tuple(f"model.{PROJECT}.int_big8__{b}" for b in BUCKETS)
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--mute-audio",
)
EXIT_NO_CHROMIUM = 3
_RENDERED_DEPENDS_ON = re.compile(
    r'id="depends_on"></div>\s*<div class="section-content">\s*<h6>Depends On</h6>\s*'
    r"<reference-list[^>]*ng-isolate-scope[^>]*>(.*?)</reference-list>",
    re.DOTALL,
)


@dataclass
class DocsReport:
    """What :func:`check_docs` found.

    Attributes
    ----------
    model : str
        Unique id of the checked model.
    screenshots : list of str
        PNG files written.
    manifest_upstream_big8 : list of str
        ``int_big8__*`` models upstream of the model in ``manifest.json``'s ``parent_map``.
    page_title_ok : bool
        The model page's heading names the model.
    page_depends_on : list of str
        Unique ids linked from the page's "Depends On" section.
    lineage_walk : list of str
        Docs pages visited in the browser, from the model upstream along rendered "Depends On" links.
    lineage_big8 : list of str
        ``int_big8__*`` models found linked on those pages.
    problems : list of str
        Failed checks (empty: all passed).
    """

    model: str
    screenshots: list[str] = field(default_factory=list)
    manifest_upstream_big8: list[str] = field(default_factory=list)
    page_title_ok: bool = False
    page_depends_on: list[str] = field(default_factory=list)
    lineage_walk: list[str] = field(default_factory=list)
    lineage_big8: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


# -------------------------------------------------------------------------------------------------- dbt


def dbt_executable() -> str:
    """The dbt next to this Python interpreter (the project's venv), else the one on PATH."""
    local = Path(sys.executable).parent / "dbt"
    return str(local) if local.exists() else "dbt"


def generate_docs(target_path: Path, env: Mapping[str, str] | None = None) -> None:
    """Run ``dbt docs generate`` into ``target_path``.

    Parameters
    ----------
    target_path
        dbt target folder (``index.html``, ``manifest.json`` and ``catalog.json`` land there).
    env
        Environment of the dbt process (default: this one).

    Raises
    ------
    RuntimeError
        dbt failed (its output tail is in the message).
    """
    proc = subprocess.run(
        [
            dbt_executable(),
            "docs",
            "generate",
            "--target-path",
            str(target_path),
            "--log-path",
            str(target_path.parent / "logs"),
        ],
        cwd=REPO,
        env=dict(env or os.environ),
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"dbt docs generate failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-2000:]}"
        )


def upstream(parent_map: Mapping[str, Sequence[str]], unique_id: str) -> set[str]:
    """Every node upstream of ``unique_id`` (transitive parents) in a dbt ``parent_map``.

    Parameters
    ----------
    parent_map
        ``manifest.json``'s ``parent_map``.
    unique_id
        The node.

    Returns
    -------
    set of str
    """
    seen: set[str] = set()
    todo = list(parent_map.get(unique_id, ()))
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(parent_map.get(node, ()))
    return seen


def hops_to_big8(parent_map: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """For every node with a Big 8 model upstream, the fewest parent hops to one (Big 8 models: 0).

    Parameters
    ----------
    parent_map
        ``manifest.json``'s ``parent_map``.

    Returns
    -------
    dict of str to int
    """
    children: dict[str, list[str]] = {}
    for child, parents in parent_map.items():
        for parent in parents:
            children.setdefault(parent, []).append(child)
    hops = {n: 0 for n in BIG8_MODELS if n in parent_map}
    frontier = list(hops)
    while frontier:
        nxt = []
        for node in frontier:
            for child in children.get(node, ()):
                if child not in hops:
                    hops[child] = hops[node] + 1
                    nxt.append(child)
        frontier = nxt
    return hops


def walk_to_big8(
    links_of: Callable[[str], list[str]], start: str, hops: Mapping[str, int], max_pages: int = 15
) -> tuple[list[str], list[str]]:
    """Follow rendered "Depends On" links from ``start`` toward the Big 8 models, as a user clicking upstream would.

    Each step reads the links a page shows (``links_of``) and opens the linked model nearest to a Big 8 model
    (``hops``); it stops when the pages seen link every Big 8 model or after ``max_pages`` pages.

    Parameters
    ----------
    links_of
        Unique id -> unique ids linked from that model's rendered docs page.
    start
        The model to start from.
    hops
        Output of :func:`hops_to_big8`.
    max_pages
        Page budget.

    Returns
    -------
    (list of str, list of str)
        Pages visited in order, Big 8 models found linked.
    """
    visited: list[str] = []
    found: set[str] = set()
    node: str | None = start
    while node is not None and len(visited) < max_pages and found != set(BIG8_MODELS):
        visited.append(node)
        links = links_of(node)
        found |= set(BIG8_MODELS) & set(links)
        nxt = [n for n in links if n in hops and n not in visited and n not in BIG8_MODELS]
        node = min(nxt, key=lambda n: (hops[n], n)) if nxt else None
    return visited, sorted(found)


def manifest_big8_upstream(manifest_path: Path, unique_id: str) -> list[str]:
    """The ``int_big8__*`` models upstream of ``unique_id`` according to ``manifest.json``."""
    parent_map = json.loads(manifest_path.read_text())["parent_map"]
    if unique_id not in parent_map:
        raise KeyError(f"{unique_id} is not in {manifest_path}")
    return sorted(n for n in upstream(parent_map, unique_id) if n in BIG8_MODELS)


# ----------------------------------------------------------------------------------------------- server


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Static files without a log line per request."""

    def log_message(self, format: str, *args: object) -> None:
        """Do not log requests."""


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on 127.0.0.1 with a free port; yield its base URL.

    Parameters
    ----------
    directory
        Folder to serve.

    Yields
    ------
    str
        ``http://127.0.0.1:<port>/``.
    """
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# --------------------------------------------------------------------------------------------- chromium


def find_chromium() -> str | None:
    """Path of a chromium binary: ``$ZL_CHROMIUM``, else the first of CHROMIUM_NAMES on PATH, else None."""
    explicit = os.environ.get("ZL_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).exists() else None
    return next((path for name in CHROMIUM_NAMES if (path := shutil.which(name))), None)


def _chromium(chromium: str, args: Sequence[str], timeout_s: float) -> subprocess.CompletedProcess[str]:
    """Run headless chromium with a throw-away profile."""
    with tempfile.TemporaryDirectory(prefix="zl-chromium-") as profile:
        proc = subprocess.run(
            [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
    return proc


def dump_dom(chromium: str, url: str, budget_ms: int = 10000, timeout_s: float = 120) -> str:
    """The page's DOM after its JavaScript ran for ``budget_ms`` of virtual time.

    Parameters
    ----------
    chromium
        Browser binary.
    url
        Page to load.
    budget_ms
        Virtual time budget (``--virtual-time-budget``).
    timeout_s
        Wall-clock limit.

    Returns
    -------
    str
        Serialised DOM (HTML).
    """
    proc = _chromium(chromium, [f"--virtual-time-budget={budget_ms}", "--dump-dom", url], timeout_s)
    if proc.returncode != 0 or not proc.stdout:
        raise RuntimeError(f"chromium --dump-dom {url} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return proc.stdout


def screenshot(
    chromium: str,
    url: str,
    png: Path,
    size: tuple[int, int] = (1400, 900),
    budget_ms: int = 10000,
    timeout_s: float = 120,
) -> Path:
    """Save a PNG screenshot of ``url``.

    Parameters
    ----------
    chromium
        Browser binary.
    url
        Page to load.
    png
        Output file.
    size
        Window width and height in pixels.
    budget_ms
        Virtual time budget before the shot.
    timeout_s
        Wall-clock limit.

    Returns
    -------
    Path
    """
    png.parent.mkdir(parents=True, exist_ok=True)
    proc = _chromium(
        chromium,
        [f"--virtual-time-budget={budget_ms}", f"--window-size={size[0]},{size[1]}", f"--screenshot={png}", url],
        timeout_s,
    )
    if proc.returncode != 0 or not png.exists():
        raise RuntimeError(f"chromium --screenshot {url} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return png


def page_title_names(dom: str, name: str) -> bool:
    """Whether the rendered page's ``<h1>`` heading is ``name``."""
    return re.search(r'<h1>\s*<span class="break[^"]*">\s*' + re.escape(name) + r"\s*</span>", dom) is not None


def depends_on_links(dom: str) -> list[str]:
    """Unique ids linked from the rendered "Depends On" section of a dbt docs model page.

    Parameters
    ----------
    dom
        Serialised DOM of the page.

    Returns
    -------
    list of str
        Empty when the section is missing or was not rendered.
    """
    rendered = _RENDERED_DEPENDS_ON.findall(dom)  # templates in script strings are not rendered (no ng scope)
    return sorted(set(re.findall(r'href="#!/[a-z_]+/([^"#]+)"', rendered[-1]))) if rendered else []


# ------------------------------------------------------------------------------------------------ check


def check_docs(
    target_path: Path,
    out_dir: Path,
    model: str = "zl_forecast",
    generate: bool = True,
    chromium: str | None = None,
    env: Mapping[str, str] | None = None,
) -> DocsReport:
    """Generate, serve, screenshot and check the dbt docs (see the module docstring).

    Parameters
    ----------
    target_path
        dbt target folder.
    out_dir
        Where the screenshots go.
    model
        Model whose lineage is checked.
    generate
        Run ``dbt docs generate`` first (False: use what ``target_path`` holds).
    chromium
        Browser binary (default: :func:`find_chromium`).
    env
        Environment of dbt.

    Returns
    -------
    DocsReport

    Raises
    ------
    FileNotFoundError
        No chromium.
    """
    browser = chromium or find_chromium()
    if browser is None:
        raise FileNotFoundError("chromium not found: run .ci/install_system_packages.sh or set ZL_CHROMIUM")
    if generate:
        generate_docs(target_path, env)
    unique_id = f"model.{PROJECT}.{model}"
    report = DocsReport(model=unique_id)
    report.manifest_upstream_big8 = manifest_big8_upstream(target_path / "manifest.json", unique_id)
    missing = sorted(set(BIG8_MODELS) - set(report.manifest_upstream_big8))
    if missing:
        report.problems.append(f"manifest.json parent_map: not upstream of {unique_id}: {', '.join(missing)}")
    parent_map = json.loads((target_path / "manifest.json").read_text())["parent_map"]
    with serve(target_path) as base:
        page = f"{base}index.html#!/model/{unique_id}"
        report.screenshots = [
            str(screenshot(browser, f"{base}index.html", out_dir / "docs_index.png")),
            str(screenshot(browser, page, out_dir / f"docs_{model}.png")),
            # the lineage graph of the model (upstream and downstream), as "View Lineage Graph" shows it
            str(screenshot(browser, f"{page}?g_v=1", out_dir / f"docs_{model}_lineage.png", size=(1600, 1000))),
        ]
        dom = dump_dom(browser, page)
        report.page_title_ok = page_title_names(dom, model)
        report.page_depends_on = depends_on_links(dom)
        pages = {unique_id: report.page_depends_on}

        def links_of(uid: str) -> list[str]:
            if uid not in pages:
                pages[uid] = depends_on_links(dump_dom(browser, f"{base}index.html#!/model/{uid}"))
            return pages[uid]

        report.lineage_walk, report.lineage_big8 = walk_to_big8(links_of, unique_id, hops_to_big8(parent_map))
    if not report.page_title_ok:
        report.problems.append(f"the docs page of {unique_id} did not render its heading")
    direct = sorted(set(parent_map.get(unique_id, ())) - set(report.page_depends_on))
    if direct:
        report.problems.append(
            f"the docs page's Depends On section of {unique_id} lacks its parents: {', '.join(direct)}"
        )
    missing = sorted(set(BIG8_MODELS) - set(report.lineage_big8))
    if missing:
        report.problems.append(
            f"walking the rendered docs upstream from {unique_id} did not reach: {', '.join(missing)}"
        )
    return report


def main(argv: Sequence[str] | None = None) -> int:
    """Command line; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target-path", default="target", help="dbt target folder (default: %(default)s)")
    parser.add_argument("--out", default=None, help="screenshot folder (default: <target-path>/docs_check)")
    parser.add_argument("--model", default="zl_forecast")
    parser.add_argument("--no-generate", action="store_true", help="check the docs already in --target-path")
    parser.add_argument("--json", default=None, help="also write the report as JSON to this file")
    args = parser.parse_args(argv)
    target = Path(args.target_path)
    out = Path(args.out) if args.out else target / "docs_check"
    try:
        report = check_docs(target, out, args.model, generate=not args.no_generate)
    except FileNotFoundError as exc:
        print(f"check_docs: {exc}", file=sys.stderr)
        return EXIT_NO_CHROMIUM
    if args.json:
        Path(args.json).write_text(json.dumps(asdict(report), indent=2) + "\n")
    print(f"screenshots: {', '.join(report.screenshots)}")
    print(f"manifest: {len(report.manifest_upstream_big8)}/8 Big 8 models upstream of {report.model}")
    print(
        f"docs page: heading {'ok' if report.page_title_ok else 'MISSING'}, Depends On: "
        f"{', '.join(n.split('.')[-1] for n in report.page_depends_on)}"
    )
    print(
        f"browser lineage walk: {' -> '.join(n.split('.')[-1] for n in report.lineage_walk)}; "
        f"{len(report.lineage_big8)}/8 Big 8 models linked"
    )
    for problem in report.problems:
        print(f"FAIL: {problem}", file=sys.stderr)
    return 1 if report.problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
