"""Monte Carlo paths: marginals match the forecast, dynamics come from the GARCH fit, summaries add up."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from zlcast.risk import montecarlo as mc
from zlcast.risk.montecarlo import Dynamics, fit_dynamics, path_sample, scenario_summary, simulate_paths

LEVELS = np.array([0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95])
#: Tolerance of the anchor match at 10k paths (log-return units, i.e. 0.01 % of price).
ANCHOR_TOL = 1e-4


def _garch_returns(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    omega, alpha, beta = 4e-6, 0.06, 0.92
    s2, out = omega / (1 - alpha - beta), np.empty(n)
    for t in range(n):
        out[t] = np.sqrt(s2) * rng.standard_t(6) * np.sqrt(4 / 6)
        s2 = omega + alpha * out[t] ** 2 + beta * s2
    return out


@pytest.fixture(scope="module")
def returns() -> np.ndarray:
    return _garch_returns(1200, seed=11)


@pytest.fixture(scope="module")
def dynamics(returns: np.ndarray) -> Dynamics:
    return fit_dynamics(returns)


def _anchors(skew: float = 0.0) -> dict[int, np.ndarray]:
    z = norm.ppf(LEVELS)
    return {h: 0.0005 * h + 0.016 * np.sqrt(h) * (z + skew * (z**2 - 1)) for h in (5, 20, 60)}


def test_fit_dynamics_recovers_a_persistent_garch(dynamics: Dynamics) -> None:
    assert 0.8 < dynamics.alpha + dynamics.beta < 1.0
    assert dynamics.nu > 2.0 and dynamics.sigma2_next > 0.0
    assert dynamics.std_resid.mean() == pytest.approx(0.0, abs=1e-12)
    assert dynamics.std_resid.std() == pytest.approx(1.0)


def test_fit_dynamics_rejects_short_history() -> None:
    with pytest.raises(ValueError, match="at least"):
        fit_dynamics(np.zeros(50))


@pytest.mark.parametrize("method", ["fhs", "garch_t"])
def test_ten_thousand_paths_reproduce_input_quantiles_at_anchors(
    returns: np.ndarray, dynamics: Dynamics, method: str
) -> None:
    anchors = _anchors(skew=0.15)
    paths = simulate_paths(
        anchors, LEVELS, returns, 10_000, 60, rng=np.random.default_rng(7), method=method, dynamics=dynamics
    )
    assert paths.shape == (10_000, 60) and np.all(np.isfinite(paths))
    for h, q in anchors.items():
        np.testing.assert_allclose(np.quantile(paths[:, h - 1], LEVELS), q, atol=ANCHOR_TOL)


def test_same_seed_gives_same_paths_and_other_seed_differs(returns: np.ndarray, dynamics: Dynamics) -> None:
    def run(seed: int) -> np.ndarray:
        return simulate_paths(_anchors(), LEVELS, returns, 500, 60, rng=np.random.default_rng(seed), dynamics=dynamics)

    np.testing.assert_array_equal(run(1), run(1))
    assert not np.array_equal(run(1), run(2))


def test_fits_dynamics_when_none_given(returns: np.ndarray) -> None:
    paths = simulate_paths(_anchors(), LEVELS, returns, 400, 20, rng=np.random.default_rng(0))
    assert paths.shape == (400, 20)  # horizon 20 < anchor 60 is fine: the 60-day anchor still shapes days 6..20


def test_prefitted_dynamics_are_reused_without_refitting(
    returns: np.ndarray, dynamics: Dynamics, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(_: np.ndarray) -> Dynamics:
        raise AssertionError("refitted")

    monkeypatch.setattr(mc, "fit_dynamics", boom)
    paths = simulate_paths(_anchors(), LEVELS, returns[-300:], 300, 60, rng=np.random.default_rng(0), dynamics=dynamics)
    assert paths.shape == (300, 60)


def test_starting_volatility_follows_the_recent_history(returns: np.ndarray, dynamics: Dynamics) -> None:
    calm = returns[-500:].copy()
    calm[-20:] *= 0.2
    wild = returns[-500:].copy()
    wild[-20:] = 0.05 * np.sign(wild[-20:])
    spread = {}
    for name, hist in (("calm", calm), ("wild", wild)):
        p = simulate_paths(_anchors(), LEVELS, hist, 4000, 60, rng=np.random.default_rng(3), dynamics=dynamics)
        spread[name] = np.subtract(*np.quantile(p[:, 0], [0.9, 0.1]))
    assert spread["wild"] > 1.5 * spread["calm"]


def test_mapping_is_rank_preserving_with_rescaled_linear_tails(dynamics: Dynamics) -> None:
    anchors = _anchors(skew=0.2)
    n, h = 5000, 20
    raw = mc._simulate_cumulative(dynamics, dynamics.sigma2_next, n, 60, np.random.default_rng(5), "fhs")[h - 1]
    paths = simulate_paths(anchors, LEVELS, None, n, 60, rng=np.random.default_rng(5), dynamics=dynamics)
    out = paths[:, h - 1]
    np.testing.assert_array_equal(np.argsort(raw, kind="stable"), np.argsort(out, kind="stable"))
    sim_q = np.quantile(raw, LEVELS)
    slope_hi = (anchors[h][-1] - anchors[h][3]) / (sim_q[-1] - sim_q[3])
    tail = raw > sim_q[-1]
    np.testing.assert_allclose(out[tail], anchors[h][-1] + slope_hi * (raw[tail] - sim_q[-1]), rtol=1e-9)
    assert out.min() < anchors[h][0] and out.max() > anchors[h][-1]


def test_paths_have_no_jump_at_anchor_days(returns: np.ndarray, dynamics: Dynamics) -> None:
    anchors = _anchors()
    anchors[20] = anchors[20] * 1.4  # a kink in the spread term structure at day 20
    paths = simulate_paths(anchors, LEVELS, returns, 4000, 60, rng=np.random.default_rng(9), dynamics=dynamics)
    step_sd = np.diff(np.hstack([np.zeros((4000, 1)), paths]), axis=1).std(axis=0)
    for h in (5, 20):
        assert step_sd[h] < 2.0 * step_sd[h - 1] and step_sd[h - 1] < 2.0 * step_sd[h]
    assert np.max(step_sd) < 3.0 * np.median(step_sd)


def test_crossing_input_quantiles_are_rearranged(returns: np.ndarray, dynamics: Dynamics) -> None:
    sorted_ = _anchors()
    crossed = {h: q[[1, 0, 2, 3, 4, 6, 5]] for h, q in sorted_.items()}
    a = simulate_paths(sorted_, LEVELS, returns, 300, 60, rng=np.random.default_rng(4), dynamics=dynamics)
    b = simulate_paths(crossed, LEVELS, returns, 300, 60, rng=np.random.default_rng(4), dynamics=dynamics)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("bad", [{"levels": [0.1, 0.9]}, {"method": "bootstrap"}, {"anchor_quantiles": {}}])
def test_invalid_inputs_raise(dynamics: Dynamics, bad: dict[str, object]) -> None:
    kwargs: dict[str, object] = {
        "anchor_quantiles": _anchors(),
        "levels": LEVELS,
        "daily_returns": None,
        "n_paths": 100,
        "horizon": 60,
        "rng": np.random.default_rng(0),
        "dynamics": dynamics,
    }
    kwargs.update(bad)
    with pytest.raises(ValueError):
        simulate_paths(**kwargs)  # type: ignore[arg-type]


def test_scenario_summary_on_hand_made_paths() -> None:
    spot = 50.0
    # path 0 rises 10 % then falls back to spot; path 1 falls steadily to -20 % (log)
    up_down = np.log([1.05, 1.10, 1.0, 1.0, 1.0])
    down = np.log(np.linspace(0.96, 0.80, 5))
    paths = np.vstack([up_down] * 50 + [down] * 50)
    out = scenario_summary(paths, spot, horizons=(2, 5, 60)).set_index("horizon_days")
    assert list(out.index) == [2, 5]  # 60 > 5 simulated days: skipped
    row5 = out.loc[5]
    assert row5["mean_price"] == pytest.approx((50.0 + 40.0) / 2)
    assert row5["long_var99"] == pytest.approx(10.0) and row5["long_cvar99"] == pytest.approx(10.0)
    assert row5["buyer_var95"] == pytest.approx(0.0)  # the buyer never pays more than spot at day 5
    assert row5["p_down_10pct"] == pytest.approx(0.5) and row5["p_up_5pct"] == 0.0
    # drawdowns: 1 - 1/1.1 = 9.09 % and 20 %
    assert row5["max_dd_mean_pct"] == pytest.approx((100 / 11 + 20.0) / 2)
    assert out.loc[2, "p_up_5pct"] == pytest.approx(0.5) and out.loc[2, "p_move_5pct"] == pytest.approx(1.0)
    assert out.loc[2, "buyer_var99"] == pytest.approx(5.0)


def test_path_sample_is_a_long_table_starting_at_spot() -> None:
    paths = np.cumsum(np.full((10, 4), 0.01), axis=1)
    out = path_sample(paths, 50.0, n=3, rng=np.random.default_rng(0))
    assert list(out.columns) == ["path_id", "day", "price"] and len(out) == 3 * 5
    assert out["path_id"].nunique() == 3
    assert (out.loc[out["day"] == 0, "price"] == 50.0).all()
    last = out[out["day"] == 4]["price"]
    np.testing.assert_allclose(last, 50.0 * np.exp(0.04))
    assert isinstance(out, pd.DataFrame) and len(path_sample(paths, 50.0, n=99, rng=np.random.default_rng(0))) == 50
