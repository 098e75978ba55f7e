"""The daily service: ``zlcast refresh`` takes the day's data from the sources to a published forecast, unattended.

Stages (one log line each: stage, what it did, seconds)::

    lock      one refresh at a time (``<state>/refresh.lock``, an fcntl lock: a killed run releases it)
    fetch     each source (zlcast.data.sources) writes complete updated files into a new data version, a copy of
              the current one; a required source that fails stops the run, an optional one is reported
    validate  input contract + plausibility gates (zlcast.data.gates) on the new version
    build     ``dbt build`` on the new version (the warehouse is rebuilt; stored predictors are reused)
    publish   the marts, as a new read-only version for BI tools (zlcast.serve.publish)
    commit    the data directory (a symlink) switches to the new version atomically
    report    the HTML report of the published version

The data directory is a symlink ``<data>`` -> ``<data>.versions/<stamp>``. A new version is written beside the
current one and the symlink is swapped with ``os.replace`` only after the build and the publication succeeded, so a
refresh that fails or is killed at any point leaves the data directory and the published forecast as they were
(the half-written version is deleted by the next run). Every run writes a record ``<runs>/<stamp>.json``: what was
fetched from where, the rows added per file, the build status, the published version or why there is none.

Exit codes (:class:`ExitCode`): 0 published (or nothing new to publish), 3 published with warnings (an optional
source failed, stale data, the report failed), 10 another refresh is running, 20 a required source failed,
30 the data failed the contract or a plausibility gate, 40 the build failed, 50 the publication failed,
1 any other error. Nothing is published unless the run reaches ``publish``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import fcntl
import json
import logging
import os
import resource
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

from zlcast.data.gates import check_data_dir, data_fingerprint

__all__ = [
    "DataDirectory",
    "ExitCode",
    "RefreshConfig",
    "RunRecord",
    "SourceOutcome",
    "dbt_build",
    "refresh",
]

LOG = logging.getLogger("zlcast.refresh")
VERSIONS_SUFFIX = ".versions"
WORK_PREFIX = ".work-"
_STAMP = "%Y%m%dT%H%M%S"


class ExitCode(enum.IntEnum):
    """What a scheduler can act on."""

    PUBLISHED = 0
    ERROR = 1
    PUBLISHED_WITH_WARNINGS = 3
    LOCKED = 10
    SOURCE_FAILED = 20
    DATA_REJECTED = 30
    BUILD_FAILED = 40
    PUBLISH_FAILED = 50


class RefreshError(RuntimeError):
    """A stage failed; ``code`` is the exit code and the message the one-line reason."""

    def __init__(self, code: ExitCode, message: str) -> None:
        super().__init__(message)
        self.code = code


# --------------------------------------------------------------------------------------------- data directory
class DataDirectory:
    """A data directory managed as a symlink to immutable versions.

    Parameters
    ----------
    path : Path
        The data directory users and dbt read (``ZL_DATA_DIR``); a symlink to ``<path>.versions/<stamp>``.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.versions = self.path.with_name(self.path.name + VERSIONS_SUFFIX)

    def current(self) -> Path:
        """The version the symlink points to.

        Returns
        -------
        Path

        Raises
        ------
        RefreshError
            When the data directory does not exist or is not managed (a plain directory).
        """
        if not self.path.is_symlink():
            if self.path.is_dir():
                raise RefreshError(
                    ExitCode.ERROR,
                    f"{self.path} is a plain directory; refresh manages a versioned one: run "
                    f"`zlcast refresh --data-dir NEW --seed-from {self.path}` once",
                )
            raise RefreshError(ExitCode.ERROR, f"{self.path} does not exist; start it with --seed-from DIR")
        return self.path.resolve()

    def seed(self, source: Path, stamp: str) -> Path:
        """Create the first version as a copy of ``source`` and point the symlink at it.

        Parameters
        ----------
        source : Path
            An existing data directory (e.g. ``../shared/data``, read in place, never modified).
        stamp : str
            Version name.

        Returns
        -------
        Path
            The new version.
        """
        if self.path.exists() or self.path.is_symlink():
            raise RefreshError(ExitCode.ERROR, f"{self.path} exists already; --seed-from only starts a new one")
        version = self.versions / stamp
        self.versions.mkdir(parents=True, exist_ok=True)
        tmp = self.versions / f"{WORK_PREFIX}{stamp}"
        shutil.copytree(source, tmp, symlinks=False)
        os.replace(tmp, version)
        self._point_to(version)
        return version

    def new_version(self, stamp: str) -> Path:
        """A private copy of the current version to write into (raw source files are hard links).

        Parameters
        ----------
        stamp : str

        Returns
        -------
        Path
            ``<versions>/.work-<stamp>``: never read by users until :meth:`commit`.
        """
        current = self.current()
        work = self.versions / f"{WORK_PREFIX}{stamp}"
        for src in sorted(current.rglob("*")):
            dst = work / src.relative_to(current)
            if src.is_dir():
                dst.mkdir(parents=True, exist_ok=True)
                continue
            dst.parent.mkdir(parents=True, exist_ok=True)
            if src.relative_to(current).parts[0] == "raw":
                os.link(src, dst)  # raw responses are written once and never changed
            else:
                shutil.copy2(src, dst)
        work.mkdir(parents=True, exist_ok=True)
        return work

    def commit(self, work: Path) -> Path:
        """Make ``work`` the current version (rename, then an atomic symlink swap).

        Parameters
        ----------
        work : Path
            A directory from :meth:`new_version`.

        Returns
        -------
        Path
            The new version directory.
        """
        version = self.versions / work.name.removeprefix(WORK_PREFIX)
        os.replace(work, version)
        self._point_to(version)
        return version

    def discard_leftovers(self) -> list[Path]:
        """Delete the work directories of runs that failed or were killed.

        Returns
        -------
        list of Path
            What was deleted.
        """
        gone = []
        for p in sorted(self.versions.glob(f"{WORK_PREFIX}*")) if self.versions.is_dir() else ():
            shutil.rmtree(p, ignore_errors=True)
            gone.append(p)
        return gone

    def prune(self, keep: int = 5) -> list[Path]:
        """Delete old versions, keeping the newest ``keep`` and the current one.

        Parameters
        ----------
        keep : int

        Returns
        -------
        list of Path
        """
        current = self.current()
        versions = sorted(p for p in self.versions.iterdir() if p.is_dir() and not p.name.startswith("."))
        gone = []
        for p in versions[: max(len(versions) - keep, 0)]:
            if p != current:
                shutil.rmtree(p, ignore_errors=True)
                gone.append(p)
        return gone

    def _point_to(self, version: Path) -> None:
        tmp = self.path.with_name(f".{self.path.name}-{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp")
        os.symlink(os.path.relpath(version, self.path.parent), tmp)
        os.replace(tmp, self.path)


# ------------------------------------------------------------------------------------------------ run record
@dataclass
class SourceOutcome:
    """One source's part of a run."""

    name: str
    required: bool
    status: str = "not run"
    endpoint: str = ""
    files: dict[str, int] = field(default_factory=dict)
    detail: str = ""
    seconds: float = 0.0


@dataclass
class RunRecord:
    """What a refresh did, written to ``<runs>/<stamp>.json``."""

    stamp: str
    run_date: str
    data_dir: str
    status: str = "running"
    exit_code: int = -1
    reason: str = ""
    data_version_before: str = ""
    data_version_after: str = ""
    sources: list[SourceOutcome] = field(default_factory=list)
    rows_added: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    build: dict[str, Any] = field(default_factory=dict)
    published_version: str = ""
    report: str = ""
    stages: dict[str, float] = field(default_factory=dict)
    peak_rss_mib: float = 0.0

    def write(self, runs_dir: Path) -> Path:
        """Write the record as JSON (atomically).

        Parameters
        ----------
        runs_dir : Path

        Returns
        -------
        Path
        """
        runs_dir.mkdir(parents=True, exist_ok=True)
        path = runs_dir / f"{self.stamp}.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2, default=str) + "\n")
        os.replace(tmp, path)
        return path


# -------------------------------------------------------------------------------------------------- config
@dataclass(frozen=True)
class RefreshConfig:
    """Where a refresh reads and writes.

    Attributes
    ----------
    data_dir : Path
        The managed data directory (a symlink to its versions).
    state_dir : Path
        Lock file, default home of the warehouse, the publication, run records and the report.
    run_date : datetime.date
        "Today": the sources fetch up to it, the gates refuse later dates.
    warehouse : Path
        DuckDB file of the build.
    target_path : Path
        dbt target folder of the build (run results for the publisher).
    published : Path
        Publication root.
    runs_dir : Path
        Run records.
    report_dir : Path or None
        Where the HTML report goes (None: no report).
    roots_seed, macro_seed : Path
        Seeds of the input contract.
    dbt_args : tuple of str
        Extra arguments of ``dbt build`` (e.g. ``--threads 2``, ``--vars ...``).
    keep_versions : int
        Data versions kept.
    project_dir : Path
        The dbt project.
    """

    data_dir: Path
    state_dir: Path = Path("state")
    run_date: dt.date = field(default_factory=dt.date.today)
    warehouse: Path = Path("state/zl.duckdb")
    target_path: Path = Path("state/target")
    published: Path = Path("state/published")
    runs_dir: Path = Path("state/runs")
    report_dir: Path | None = Path("state/report")
    roots_seed: Path = Path("seeds/futures_roots.csv")
    macro_seed: Path = Path("seeds/macro_series.csv")
    dbt_args: tuple[str, ...] = ()
    keep_versions: int = 5
    project_dir: Path = Path(".")

    @classmethod
    def in_state(
        cls,
        state_dir: Path,
        data_dir: Path,
        run_date: dt.date,
        *,
        project_dir: Path = Path("."),
        dbt_args: tuple[str, ...] = (),
        report: bool = True,
    ) -> RefreshConfig:
        """The standard layout: warehouse, target, publication, run records and report under ``state_dir``.

        Parameters
        ----------
        state_dir : Path
            Home of everything the refresh writes.
        data_dir : Path
            The managed data directory.
        run_date : datetime.date
            "Today" of the run.
        project_dir : Path
            The dbt project (its seeds are the input contract).
        dbt_args : tuple of str
            Extra arguments of ``dbt build``.
        report : bool
            Write the HTML report under ``state_dir/report``.

        Returns
        -------
        RefreshConfig
        """
        return cls(
            data_dir=data_dir,
            state_dir=state_dir,
            run_date=run_date,
            warehouse=state_dir / "zl.duckdb",
            target_path=state_dir / "target",
            published=state_dir / "published",
            runs_dir=state_dir / "runs",
            report_dir=state_dir / "report" if report else None,
            roots_seed=project_dir / "seeds" / "futures_roots.csv",
            macro_seed=project_dir / "seeds" / "macro_series.csv",
            dbt_args=dbt_args,
            project_dir=project_dir,
        )


# ---------------------------------------------------------------------------------------------- the stages
@contextlib.contextmanager
def _lock(path: Path) -> Iterator[None]:
    """Hold an exclusive, non-blocking fcntl lock on ``path`` (released when the process dies)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fh = path.open("a+")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.seek(0)
        holder = fh.read().strip() or "unknown"
        fh.close()
        raise RefreshError(ExitCode.LOCKED, f"another refresh is running ({holder}); nothing done") from None
    try:
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()} since {dt.datetime.now().isoformat(timespec='seconds')}\n")
        fh.flush()
        yield
    finally:
        fcntl.flock(fh, fcntl.LOCK_UN)
        fh.close()


def _point(link: Path, target: Path) -> None:
    """Point ``link`` at ``target`` atomically (temp symlink + os.replace)."""
    link.parent.mkdir(parents=True, exist_ok=True)
    tmp = link.with_name(f".{link.name}-{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    os.symlink(Path(target).resolve(), tmp)
    os.replace(tmp, link)


def dbt_build(config: RefreshConfig, data_dir: Path, log_file: Path) -> dict[str, Any]:
    """Run ``dbt build`` on ``data_dir`` into the configured warehouse (subprocess; output to ``log_file``).

    Parameters
    ----------
    config : RefreshConfig
    data_dir : Path
        The data version to build from.
    log_file : Path
        Where dbt's output goes.

    Returns
    -------
    dict
        ``status`` (``success`` or ``error``), ``returncode``, ``seconds``, ``log``.
    """
    # dbt reads the new version through a link with a fixed name: the rendered profile stays the same from one day
    # to the next, so dbt's partial parsing holds; the refresh validated this version already (the plugin skips it)
    link = config.state_dir / "build-data"
    _point(link, Path(data_dir))
    env = dict(
        os.environ,
        ZL_DATA_DIR=str(link),
        ZL_DUCKDB_PATH=str(config.warehouse),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        ZL_VALIDATED_FINGERPRINT=data_fingerprint(data_dir),
    )
    dbt = Path(sys.executable).parent / "dbt"
    # dbt unit tests check the SQL's logic on fixed inputs: CI and `make build` run them, a daily data refresh does
    # not need to (dbt's own advice for production runs); every data test still runs
    cmd = [str(dbt), "build", "--exclude-resource-type", "unit_test", "--target-path", str(config.target_path)]
    cmd += list(config.dbt_args)
    t0 = time.perf_counter()
    with log_file.open("w") as fh:
        proc = subprocess.run(cmd, cwd=config.project_dir, env=env, stdout=fh, stderr=subprocess.STDOUT, check=False)
    return {
        "status": "success" if proc.returncode == 0 else "error",
        "returncode": proc.returncode,
        "seconds": round(time.perf_counter() - t0, 2),
        "log": str(log_file),
        "command": " ".join(cmd[1:]),
    }


def _publish(config: RefreshConfig, data_dir: Path) -> str:
    """Publish the marts of the build; return the new version's name."""
    from zlcast.serve.publish import PublishConfig, publish

    result = publish(
        PublishConfig(
            warehouse=config.warehouse, target_path=config.target_path, out_dir=config.published, data_dir=str(data_dir)
        )
    )
    return str(result.version_dir.name)


def _report(config: RefreshConfig) -> str:
    """Render the HTML report from the published catalog; return its path."""
    from zlcast.serve.report import main as report_main

    assert config.report_dir is not None
    code = report_main(["--published", str(config.published), "--out", str(config.report_dir)])
    if code != 0:
        raise RuntimeError(f"zlcast report exited with {code}")
    return str(config.report_dir / "report.html")


Builder = Callable[[RefreshConfig, Path, Path], dict[str, Any]]
Publisher = Callable[[RefreshConfig, Path], str]
Reporter = Callable[[RefreshConfig], str]


def _say(out: TextIO, stage: str, what: str, seconds: float) -> None:
    out.write(f"{stage:<9} {what} ({seconds:.1f} s)\n")
    out.flush()


def _peak_rss_mib() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(max(own, children) / 1024.0, 1)


def refresh(
    config: RefreshConfig,
    sources: Sequence[Any] | None = None,
    *,
    builder: Builder = dbt_build,
    publisher: Publisher = _publish,
    reporter: Reporter | None = _report,
    out: TextIO = sys.stdout,
    env: Mapping[str, str] | None = None,
) -> RunRecord:
    """Run one refresh: lock, fetch, validate, build, publish, commit, report; write the run record.

    Parameters
    ----------
    config : RefreshConfig
    sources : sequence of Source, optional
        Default: :func:`zlcast.data.sources.default_sources` (real clients, keys from the environment).
    builder, publisher, reporter : callable
        The build, publication and report stages (tests replace them).
    out : TextIO
        Where the one-line-per-stage log goes.
    env : Mapping, optional
        Environment for the default sources.

    Returns
    -------
    RunRecord
        Also written to ``config.runs_dir``; ``exit_code`` is the :class:`ExitCode` to return.
    """
    stamp = dt.datetime.now().strftime(_STAMP) + f"-{uuid.uuid4().hex[:4]}"
    record = RunRecord(stamp=stamp, run_date=str(config.run_date), data_dir=str(config.data_dir))
    t_run = time.perf_counter()
    try:
        with _lock(config.state_dir / "refresh.lock"):
            _run(config, record, sources, builder, publisher, reporter, out, env)
    except RefreshError as err:
        record.status, record.exit_code, record.reason = "failed", int(err.code), str(err)
        _say(out, "failed", str(err), 0.0)
    except Exception as err:
        record.status, record.exit_code, record.reason = "failed", int(ExitCode.ERROR), f"{type(err).__name__}: {err}"
        _say(out, "failed", record.reason, 0.0)
    record.stages["total"] = round(time.perf_counter() - t_run, 2)
    record.peak_rss_mib = _peak_rss_mib()
    path = record.write(config.runs_dir)
    _say(
        out,
        "record",
        f"{path} (exit {record.exit_code}, peak RSS {record.peak_rss_mib:.0f} MiB)",
        record.stages["total"],
    )
    return record


def _run(
    config: RefreshConfig,
    record: RunRecord,
    sources: Sequence[Any] | None,
    builder: Builder,
    publisher: Publisher,
    reporter: Reporter | None,
    out: TextIO,
    env: Mapping[str, str] | None,
) -> None:
    data = DataDirectory(config.data_dir)
    t = time.perf_counter()
    current = data.current()
    record.data_version_before = current.name
    for gone in data.discard_leftovers():
        record.warnings.append(f"deleted the unfinished data version of an earlier run: {gone.name}")
    work = data.new_version(record.stamp)
    record.stages["lock"] = round(time.perf_counter() - t, 2)
    _say(out, "lock", f"data version {current.name}", record.stages["lock"])
    try:
        _fetch(config, record, sources, current, work, out, env)
        _validate(config, record, work, out)
        if not any(record.rows_added.values()):
            record.status, record.exit_code = "up to date", int(ExitCode.PUBLISHED)
            record.reason = "no new rows from any source; the published forecast stays as it is"
            _say(out, "done", record.reason, 0.0)
            shutil.rmtree(work, ignore_errors=True)
            return
        _build_and_publish(config, record, work, builder, publisher, out)
        t = time.perf_counter()
        version = data.commit(work)
        record.data_version_after = version.name
        _point(config.state_dir / "build-data", version)
        pruned = data.prune(config.keep_versions)
        record.stages["commit"] = round(time.perf_counter() - t, 2)
        _say(out, "commit", f"data version {version.name} (pruned {len(pruned)})", record.stages["commit"])
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    if reporter is not None and config.report_dir is not None:
        t = time.perf_counter()
        try:
            record.report = reporter(config)
            _say(out, "report", record.report, time.perf_counter() - t)
        except Exception as err:
            record.warnings.append(f"report failed: {type(err).__name__}: {err}")
            _say(out, "report", f"FAILED: {err}", time.perf_counter() - t)
        record.stages["report"] = round(time.perf_counter() - t, 2)
    warned = bool(record.warnings)
    record.status = "published with warnings" if warned else "published"
    record.exit_code = int(ExitCode.PUBLISHED_WITH_WARNINGS if warned else ExitCode.PUBLISHED)


def _fetch(
    config: RefreshConfig,
    record: RunRecord,
    sources: Sequence[Any] | None,
    current: Path,
    work: Path,
    out: TextIO,
    env: Mapping[str, str] | None,
) -> None:
    from zlcast.data.sources import SourceError, default_sources

    t_all = time.perf_counter()
    for source in sources if sources is not None else default_sources(env if env is not None else os.environ):
        outcome = SourceOutcome(name=source.name, required=bool(source.required))
        record.sources.append(outcome)
        t = time.perf_counter()
        try:
            result = source.fetch(current, work, config.run_date)
        except SourceError as err:
            outcome.status, outcome.detail = "failed", str(err)
            outcome.seconds = round(time.perf_counter() - t, 2)
            _say(out, "fetch", f"{source.name}: FAILED: {err}", outcome.seconds)
            if source.required:
                raise RefreshError(ExitCode.SOURCE_FAILED, f"required source {source.name} failed: {err}") from None
            record.warnings.append(f"optional source {source.name} failed: {err}")
            continue
        outcome.status, outcome.endpoint, outcome.detail = "ok", result.endpoint, result.detail
        outcome.files = dict(result.files)
        outcome.seconds = round(time.perf_counter() - t, 2)
        for file, rows in result.files.items():
            record.rows_added[file] = record.rows_added.get(file, 0) + int(rows)
        added = sum(result.files.values())
        _say(out, "fetch", f"{source.name}: {added} rows added ({result.detail or result.endpoint})", outcome.seconds)
    record.stages["fetch"] = round(time.perf_counter() - t_all, 2)


def _validate(config: RefreshConfig, record: RunRecord, work: Path, out: TextIO) -> None:
    from zlcast.data.contract import DataContractError
    from zlcast.data.gates import PlausibilityError

    t = time.perf_counter()
    try:
        contract, gates = check_data_dir(work, config.roots_seed, config.macro_seed, config.run_date)
    except (DataContractError, PlausibilityError) as err:
        raise RefreshError(ExitCode.DATA_REJECTED, f"the new data failed validation; nothing built: {err}") from None
    record.warnings += list(gates.warnings)
    record.stages["validate"] = round(time.perf_counter() - t, 2)
    _say(
        out,
        "validate",
        f"OK ({contract.futures_rows} futures rows; {len(gates.warnings)} warning(s))",
        record.stages["validate"],
    )
    for w in gates.warnings:
        out.write(f"          warning: {w}\n")


def _build_and_publish(
    config: RefreshConfig, record: RunRecord, work: Path, builder: Builder, publisher: Publisher, out: TextIO
) -> None:
    config.runs_dir.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    record.build = builder(config, work, config.runs_dir / f"{record.stamp}.dbt.log")
    record.stages["build"] = round(time.perf_counter() - t, 2)
    _say(
        out, "build", f"dbt build {record.build.get('status')} (log {record.build.get('log')})", record.stages["build"]
    )
    if record.build.get("status") != "success":
        raise RefreshError(
            ExitCode.BUILD_FAILED, f"dbt build failed (see {record.build.get('log')}); nothing published"
        )
    t = time.perf_counter()
    try:
        record.published_version = publisher(config, config.data_dir)
    except Exception as err:
        raise RefreshError(ExitCode.PUBLISH_FAILED, f"publish failed: {err}") from None
    record.stages["publish"] = round(time.perf_counter() - t, 2)
    _say(out, "publish", f"version {record.published_version}", record.stages["publish"])


# ------------------------------------------------------------------------------------------------ command line
def add_arguments(p: Any) -> Any:
    """Arguments of ``zlcast refresh``."""
    p.add_argument(
        "--data-dir",
        default=os.environ.get("ZL_DATA_DIR") or "state/data",
        help="managed data directory, a symlink to its versions (default $ZL_DATA_DIR or state/data)",
    )
    p.add_argument("--seed-from", default=None, help="start a new managed data directory as a copy of DIR")
    p.add_argument(
        "--replay", default=None, help="answer every source request from recorded responses in DIR (no network)"
    )
    p.add_argument("--today", default=None, help="run date YYYY-MM-DD (default: today)")
    p.add_argument("--state", default="state", help="state folder: lock, warehouse, publication, runs, report")
    p.add_argument("--threads", type=int, default=None, help="dbt threads (default: the profile's)")
    p.add_argument("--vars", default=None, help="dbt --vars for the build (YAML/JSON)")
    p.add_argument("--no-report", action="store_true", help="skip the HTML report")
    return p


def run(args: Any) -> int:
    """Run ``zlcast refresh`` from parsed arguments; return the exit code."""
    state = Path(args.state).resolve()
    data_dir = Path(args.data_dir).absolute()
    run_date = dt.date.fromisoformat(args.today) if args.today else dt.date.today()
    if args.seed_from:
        try:
            DataDirectory(data_dir).seed(Path(args.seed_from), dt.datetime.now().strftime(_STAMP) + "-seed")
        except RefreshError as err:
            print(f"zlcast refresh: {err}", file=sys.stderr)
            return int(err.code)
    dbt_args: list[str] = []
    if args.threads:
        dbt_args += ["--threads", str(args.threads)]
    if args.vars:
        dbt_args += ["--vars", args.vars]
    config = RefreshConfig.in_state(state, data_dir, run_date, dbt_args=tuple(dbt_args), report=not args.no_report)
    sources = None
    if args.replay:
        from zlcast.data.sources import default_sources, replay_session

        sources = default_sources(os.environ, session=replay_session(Path(args.replay)))
    return refresh(config, sources).exit_code
