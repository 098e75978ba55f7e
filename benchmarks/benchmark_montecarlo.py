"""Benchmark zlcast.risk.montecarlo: 10k paths x 60 days matched at 3 anchors (target <= 2 s).

Usage: python benchmarks/benchmark_montecarlo.py [--paths N] [--horizon H] [--repeat R] [--method fhs|garch_t]
Synthetic GARCH-t history (1,500 days) and normal-ish anchor quantiles; prints the median wall
time over R runs of: simulate_paths with pre-fitted dynamics (the per-as_of cost), simulate_paths
including the arch fit, and scenario_summary; then the tracemalloc peak of one simulate_paths call
and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable

import numpy as np
from scipy.stats import norm

from zlcast.risk.montecarlo import fit_dynamics, scenario_summary, simulate_paths

LEVELS = np.array([0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95])


def _history(n: int, rng: np.random.Generator) -> np.ndarray:
    omega, alpha, beta = 4e-6, 0.06, 0.92
    s2, out = omega / (1 - alpha - beta), np.empty(n)
    for t in range(n):
        out[t] = np.sqrt(s2) * rng.standard_t(6) * np.sqrt(4 / 6)
        s2 = omega + alpha * out[t] ** 2 + beta * s2
    return out


def _median_time(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--paths", type=int, default=10_000)
    parser.add_argument("--horizon", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--method", default="fhs", choices=["fhs", "garch_t"])
    args = parser.parse_args()

    returns = _history(1500, np.random.default_rng(0))
    z = norm.ppf(LEVELS)
    anchors = {h: 0.0003 * h + 0.017 * np.sqrt(h) * (z + 0.1 * (z**2 - 1)) for h in (5, 20, 60)}
    dyn = fit_dynamics(returns)
    rng = np.random.default_rng(1)

    def prefitted() -> np.ndarray:
        return simulate_paths(
            anchors, LEVELS, returns[-500:], args.paths, args.horizon, rng=rng, method=args.method, dynamics=dyn
        )

    def with_fit() -> np.ndarray:
        return simulate_paths(anchors, LEVELS, returns, args.paths, args.horizon, rng=rng, method=args.method)

    paths = prefitted()  # warm-up (imports, arch compilation paths)
    t_pre = _median_time(prefitted, args.repeat)
    t_fit = _median_time(with_fit, args.repeat)
    t_sum = _median_time(lambda: scenario_summary(paths, 55.0), args.repeat)

    tracemalloc.start()
    prefitted()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux

    err = max(float(np.max(np.abs(np.quantile(paths[:, h - 1], LEVELS) - q))) for h, q in anchors.items())
    print(
        f"paths={args.paths} horizon={args.horizon} anchors={sorted(anchors)} method={args.method} repeat={args.repeat}"
    )
    print(f"simulate_paths (pre-fitted dynamics): median {t_pre:.3f} s  (target <= 2 s)")
    print(f"simulate_paths (incl. arch fit):      median {t_fit:.3f} s")
    print(f"scenario_summary (3 horizons):        median {t_sum:.3f} s")
    print(f"peak traced memory of one simulate_paths call: {peak / 2**20:.1f} MiB; process peak RSS {rss_mb:.0f} MiB")
    print(f"max |empirical - input| anchor quantile: {err:.2e} (log return)")
    return 0 if t_pre <= 2.0 else 1


if __name__ == "__main__":
    sys.exit(main())
