"""Tests of zlcast.forecast.parallel: the shared process pool for walk-forward fits."""

from __future__ import annotations

import math
import operator
import os

import pytest

from zlcast.forecast import parallel


def test_resolve_workers_defaults_to_the_cores_available_and_never_below_one() -> None:
    assert parallel.resolve_workers(None) == len(os.sched_getaffinity(0))
    assert parallel.resolve_workers(0) == 1
    assert parallel.resolve_workers(3) == 3


def test_run_jobs_returns_results_in_job_order_from_worker_processes() -> None:
    jobs = [(i, 10 * i) for i in range(7)]
    assert parallel.run_jobs(operator.add, jobs, workers=2) == [11 * i for i in range(7)]


def test_run_jobs_with_one_worker_runs_in_this_process() -> None:
    seen: list[int] = []

    def local(x: int) -> int:  # not picklable: only works in this process
        seen.append(x)
        return x * x

    assert parallel.run_jobs(local, [(2,), (3,)], workers=1) == [4, 9]
    assert seen == [2, 3]


def test_an_error_in_a_worker_is_raised_in_the_caller() -> None:
    with pytest.raises(ValueError, match="math domain error"):
        parallel.run_jobs(math.sqrt, [(4.0,), (-1.0,)], workers=2)


def test_the_pool_is_shared_and_restarts_after_shutdown() -> None:
    a = parallel.shared_pool(2)
    assert parallel.shared_pool(2) is a
    parallel.shutdown_pool()
    b = parallel.shared_pool(2)
    assert b is not a
    assert parallel.run_jobs(operator.mul, [(2, 3), (4, 5)], workers=2) == [6, 20]


def test_workers_exit_when_the_process_that_owns_the_pool_is_killed(tmp_path) -> None:
    import signal
    import subprocess
    import sys
    import time

    psutil = pytest.importorskip("psutil")
    script = tmp_path / "owner.py"
    script.write_text(
        "import operator, os, sys, time\n"
        "from zlcast.forecast import parallel\n"
        "if __name__ == '__main__':\n"
        "    parallel.run_jobs(operator.add, [(1, 2), (3, 4)], workers=2)\n"
        "    pids = [p.pid for p in parallel.shared_pool(2)._processes.values()]\n"
        "    print(' '.join(map(str, pids)), flush=True)\n"
        "    time.sleep(120)\n"
    )
    owner = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        workers = [int(p) for p in owner.stdout.readline().split()]  # type: ignore[union-attr]
        assert len(workers) == 2
        owner.send_signal(signal.SIGKILL)
        owner.wait(timeout=10)

        def alive(pid: int) -> bool:
            try:
                return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
            except psutil.NoSuchProcess:
                return False

        deadline = time.monotonic() + 15
        while any(alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(alive(w) for w in workers), "orphaned fit workers outlived a killed build"
    finally:
        owner.kill()
