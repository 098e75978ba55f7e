"""One process pool per Python process for the walk-forward fits.

dbt-duckdb runs Python models as threads of the dbt process. AutoGluon's fit is largely Python code that holds the
GIL, so two fits in two dbt threads barely overlap. The walk-forward fits of a model are independent of each other,
so they run in worker processes instead. The pool is *spawned* (never forked: the dbt process has threads and
torch loaded), created on first use, and shared by every model and dbt thread of the process, so ``--threads 2``
does not oversubscribe the cores. Workers live until the process exits; a worker whose parent dies (a build killed
with SIGKILL) notices within a second and exits, so no orphan keeps memory.

When workers cannot start (a broken pool, a platform without ``spawn``), the jobs run in the calling process and
the log says so in one line: slower, same results (every fit is seeded and single-threaded).
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

__all__ = ["resolve_workers", "run_jobs", "shared_pool", "shutdown_pool"]

LOG = logging.getLogger(__name__)
T = TypeVar("T")

_LOCK = threading.Lock()
_POOL: ProcessPoolExecutor | None = None


def resolve_workers(workers: int | None) -> int:
    """Number of worker processes for a setting.

    Parameters
    ----------
    workers : int or None
        ``None``: one per CPU core available to this process; otherwise at least 1.

    Returns
    -------
    int
    """
    if workers is None:
        try:
            return max(1, len(os.sched_getaffinity(0)))
        except AttributeError:  # pragma: no cover - not Linux
            return max(1, os.cpu_count() or 1)
    return max(1, int(workers))


def _exit_with_parent(parent_pid: int, interval_s: float = 1.0) -> None:
    """Worker initializer: a daemon thread ends this worker once its parent process is gone."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(interval_s)
        os._exit(1)

    threading.Thread(target=watch, name="zlcast-parent-watch", daemon=True).start()


def shared_pool(workers: int) -> ProcessPoolExecutor:
    """The process-wide pool, created with ``workers`` processes on first use.

    Parameters
    ----------
    workers : int
        Size of the pool when it is created (later callers share the existing pool).

    Returns
    -------
    concurrent.futures.ProcessPoolExecutor
    """
    global _POOL
    with _LOCK:
        if _POOL is None:
            _POOL = ProcessPoolExecutor(
                max_workers=workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_exit_with_parent,
                initargs=(os.getpid(),),
            )
            atexit.register(shutdown_pool)
        return _POOL


def shutdown_pool() -> None:
    """Stop the shared pool (its workers exit); the next :func:`shared_pool` call starts a new one."""
    global _POOL
    with _LOCK:
        pool, _POOL = _POOL, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


def run_jobs(fn: Callable[..., T], jobs: Sequence[tuple[Any, ...]], workers: int | None) -> list[T]:
    """Run ``fn(*job)`` for every job, in worker processes when that helps; results in job order.

    Parameters
    ----------
    fn : callable
        A module-level function (it is pickled by reference).
    jobs : sequence of tuple
        Positional arguments of each call (picklable).
    workers : int or None
        See :func:`resolve_workers`; 1 runs everything in this process.

    Returns
    -------
    list
        ``fn``'s results in the order of ``jobs``. An exception raised by a job is re-raised here.
    """
    n = resolve_workers(workers)
    if n == 1 or len(jobs) <= 1:
        return [fn(*job) for job in jobs]
    try:
        pool = shared_pool(n)
        futures = [pool.submit(fn, *job) for job in jobs]
        return [f.result() for f in futures]
    except BrokenProcessPool as exc:
        LOG.warning("zlcast: worker processes failed (%s); fitting in this process instead", exc)
        shutdown_pool()
        return [fn(*job) for job in jobs]
