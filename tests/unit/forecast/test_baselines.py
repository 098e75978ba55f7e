"""EWMA random walk: vectorised version equals the reference loop."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from forecast_synth import synthetic_zl

from zlcast.forecast.baselines import ewma_sigma, normal_quantiles, rw_ewma_quantiles
from zlcast.forecast.frames import validate_predictions


def _reference_sigma(log_close: np.ndarray, i: int, lam: float = 0.94) -> float:
    """Literal port of rw_baseline.py (method rw_ewma_normal) at origin i, h = 1."""
    past = log_close[: i + 1]
    d1 = np.diff(past)
    w = lam ** np.arange(len(d1))[::-1]
    return float(np.sqrt(np.sum(w * d1**2) / np.sum(w)))


@pytest.fixture(scope="module")
def zl() -> pd.DataFrame:
    return synthetic_zl(400, seed=3)


def test_vectorised_ewma_sigma_equals_the_reference_loop(zl) -> None:
    sigma = ewma_sigma(zl).to_numpy()
    v = zl["log_close"].to_numpy()
    assert np.isnan(sigma[0])
    for i in [1, 2, 3, 10, 57, 200, 399]:
        assert sigma[i] == pytest.approx(_reference_sigma(v, i), rel=1e-12)


def test_ewma_sigma_uses_only_the_past(zl) -> None:
    full = ewma_sigma(zl)
    head = ewma_sigma(zl.iloc[:250])
    np.testing.assert_allclose(full.iloc[:250].to_numpy(), head.to_numpy(), rtol=0, atol=0)


def test_rw_quantiles_are_normal_times_sigma_sqrt_h(zl) -> None:
    q = (0.1, 0.5, 0.9)
    p = rw_ewma_quantiles(zl, (5, 20), q)
    validate_predictions(p)
    sigma = ewma_sigma(zl)
    row = p[(p["as_of_date"] == zl["trade_date"].iloc[100]) & (p["horizon_days"] == 20)]
    expected = normal_quantiles(q) * sigma.iloc[100] * np.sqrt(20)
    np.testing.assert_allclose(row["value"].to_numpy(), expected, rtol=1e-12)
    assert (p.loc[p["quantile"] == 0.5, "value"] == 0).all()
    assert normal_quantiles([0.9])[0] == pytest.approx(1.2816, abs=1e-4)


def test_rw_splits_realised_origins_from_live_ones(zl) -> None:
    p = rw_ewma_quantiles(zl, (5,), (0.1, 0.5, 0.9))
    oof = p[p["split"] == "oof"].drop_duplicates("as_of_date")
    live = p[p["split"] == "live"].drop_duplicates("as_of_date")
    dates = zl["trade_date"]
    assert len(oof) == len(zl) - 1 - 5  # first origin has no return yet
    assert list(live["as_of_date"]) == list(dates.iloc[-5:])
    # realised rows carry the real target date (5 rows later)
    assert (oof["target_date"].to_numpy() == dates.iloc[6:].to_numpy()).all()
    assert (p["fold_id"] == -1).all()
