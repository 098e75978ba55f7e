"""L1 meta model (QRA): walk-forward purge, weights, fallback, attribution, determinism."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from forecast_synth import synthetic_targets, synthetic_zl
from scipy.optimize import linprog

from zlcast.forecast.baselines import RW_MODEL, ewma_sigma, normal_quantiles, rw_ewma_quantiles
from zlcast.forecast.frames import estimate_target_dates, long_predictions, validate_predictions
from zlcast.forecast.meta import (
    GARCH_MEMBER,
    INTERCEPT,
    SLOWVOL_MEMBER,
    MetaSettings,
    attribution,
    fit_meta_weights,
    fit_predict_meta,
    fit_qra,
    garch_sigma,
    meta_members,
    walk_forward_blocks,
)
from zlcast.forecast.volatility import HAR_MODEL, VolScale, har_walk_quantiles

H = (5, 20)
Q = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)
OOF_START = pd.Timestamp("2017-07-01")


def _settings(**kw: object) -> MetaSettings:
    # no shrinkage toward the random walk here, so that the fits really depend on the data
    base = {
        "horizons": H,
        "quantiles": Q,
        "start": pd.Timestamp("2018-01-01"),
        "block_months": 6,
        "min_train_origins": 60,
        "garch_min_returns": 250,
        "l1_penalty": 0.0,
        "intercept_penalty": 0.0,
    }
    base.update(kw)
    return MetaSettings(**base)  # type: ignore[arg-type]


def synthetic_l0(zl: pd.DataFrame, targets: pd.DataFrame, seed: int = 3, n_live: int = 3) -> pd.DataFrame:
    """Two L0 members on the z scale: a well-calibrated one and a too-narrow noisy one (OOF + live rows)."""
    rng = np.random.default_rng(seed)
    sig = ewma_sigma(zl)
    dates = pd.DatetimeIndex(zl["trade_date"])
    zq = normal_quantiles(Q)
    out = []
    for h in H:
        t = targets[targets["horizon_days"] == h].set_index("trade_date")
        oof = t.index[(t.index >= OOF_START)]
        live = dates[-n_live:]
        for model, width, noise in (("specialist_good", 1.0, 0.05), ("specialist_narrow", 0.6, 0.4)):
            for split, origins in (("oof", oof), ("live", live)):
                s = sig.reindex(origins).to_numpy() * np.sqrt(h)
                shift = rng.normal(0.0, noise, size=len(origins))
                values = (width * zq[None, :] + shift[:, None]) * s[:, None]
                tdate = (
                    t["target_date"].reindex(origins).to_numpy()
                    if split == "oof"
                    else estimate_target_dates(origins, h)
                )
                fold = origins.year.to_numpy() - 2017 if split == "oof" else -1
                out.append(long_predictions(origins, h, tdate, model, Q, values, split, fold))
    return pd.concat(out, ignore_index=True)


@pytest.fixture(scope="module")
def frames() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    zl = synthetic_zl(n_dates=900, seed=11)
    targets = synthetic_targets(zl, H)
    return zl, targets, synthetic_l0(zl, targets)


@pytest.fixture(scope="module")
def fitted(frames: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    zl, targets, l0 = frames
    members = meta_members(l0, zl, settings=_settings())
    preds, weights = fit_predict_meta(members, targets, zl, _settings())
    return members, preds, weights


def test_fit_qra_matches_primal_lp() -> None:
    rng = np.random.default_rng(0)
    n, M, tau = 200, 3, 0.8
    X = rng.normal(size=(n, M)) + np.array([0.0, 0.5, 1.0])
    y = 0.3 + X @ np.array([0.2, 0.0, 0.8]) + rng.normal(0, 0.3, n)
    b, w = fit_qra(X, y, tau)
    # primal: vars b (free), w >= 0, u+ >= 0, u- >= 0; y - b - Xw = u+ - u-; sum w = 1
    c = np.concatenate([[0.0], np.zeros(M), np.full(n, tau), np.full(n, 1 - tau)]) / n
    a_eq = np.vstack(
        [
            np.hstack([np.ones((n, 1)), X, np.eye(n), -np.eye(n)]),
            np.concatenate([[0.0], np.ones(M), np.zeros(2 * n)])[None, :],
        ]
    )
    res = linprog(
        c, A_eq=a_eq, b_eq=np.concatenate([y, [1.0]]), bounds=[(None, None)] + [(0, None)] * (M + 2 * n), method="highs"
    )
    e = y - b[0] - X @ w
    ours = np.mean(np.maximum(tau * e, (tau - 1) * e))
    assert ours == pytest.approx(res.fun, rel=1e-7, abs=1e-10)
    assert np.all(w >= 0) and w.sum() == pytest.approx(1.0)
    assert w[2] > 0.5


def test_fit_qra_shared_weights_and_fixed_intercept() -> None:
    rng = np.random.default_rng(1)
    n = 3000
    zq = normal_quantiles([0.1, 0.5, 0.9])
    y = rng.normal(size=n) * 1.5
    X = np.stack([np.column_stack([np.full(n, q), np.full(n, q) * 1.5 + rng.normal(0, 0.01, n)]) for q in zq])
    b, w = fit_qra(X, y, [0.1, 0.5, 0.9], intercept_penalty=np.inf)
    np.testing.assert_array_equal(b, 0.0)
    assert w[1] > 0.9  # without intercepts the member of the right width wins
    assert w.sum() == pytest.approx(1.0)
    b2, _ = fit_qra(X, y + 0.7, [0.1, 0.5, 0.9], intercept_penalty=[np.inf, 0.0, np.inf])
    assert b2[0] == 0.0 and b2[2] == 0.0
    assert b2[1] == pytest.approx(0.7, abs=0.25)
    # a finite L1 penalty on the intercept shrinks it toward 0, a large one removes it
    b3, _ = fit_qra(X[1], y + 0.7, 0.5, intercept_penalty=0.05)
    b4, _ = fit_qra(X[1], y + 0.7, 0.5, intercept_penalty=10.0)
    assert 0.0 < b3[0] < b2[1] and b4[0] == pytest.approx(0.0, abs=1e-9)


def test_blocks_cover_origins() -> None:
    d = pd.bdate_range("2018-01-01", "2019-12-31")
    b = walk_forward_blocks(d, pd.Timestamp("2018-01-01"), 6)
    assert list(b["fold_id"]) == [0, 1, 2, 3]
    assert b["cutoff"].iloc[1] == pd.Timestamp("2018-07-01")
    assert (b["block_end"] - b["cutoff"]).dt.days.between(181, 184).all()


def test_garch_sigma_is_causal() -> None:
    zl = synthetic_zl(n_dates=700, seed=2)
    g1 = garch_sigma(zl, 20, min_returns=250)
    zl2 = zl.copy()
    cut = 600
    zl2.loc[cut + 1 :, "log_close"] += np.random.default_rng(0).normal(0, 0.05, len(zl2) - cut - 1).cumsum()
    g2 = garch_sigma(zl2, 20, min_returns=250)
    np.testing.assert_array_equal(g1.to_numpy()[: cut + 1], g2.to_numpy()[: cut + 1])
    assert np.isfinite(g1.to_numpy()[-1])


def test_members_contain_rw_and_vol_baselines(fitted: tuple[pd.DataFrame, ...]) -> None:
    members, _, _ = fitted
    assert {RW_MODEL, SLOWVOL_MEMBER, GARCH_MEMBER, "specialist_good", "specialist_narrow"} <= set(members["model"])
    validate_predictions(members, coerce=True)


def test_meta_predictions_valid_and_monotone(fitted: tuple[pd.DataFrame, ...]) -> None:
    _, preds, _ = fitted
    validate_predictions(preds)
    assert set(preds["split"]) == {"oof", "live"}
    assert preds.loc[preds["split"] == "oof", "as_of_date"].min() >= pd.Timestamp("2018-01-01")
    w = preds.pivot_table(index=["split", "as_of_date", "horizon_days"], columns="quantile", values="value")
    assert (np.diff(w.to_numpy(), axis=1) >= 0).all()


def test_weights_non_negative_and_recorded(fitted: tuple[pd.DataFrame, ...]) -> None:
    _, preds, weights = fitted
    mem = weights[weights["member"] != INTERCEPT]
    assert (mem["weight"] >= 0).all()
    sums = mem.groupby(["fold_id", "horizon_days", "quantile"])["weight"].sum()
    np.testing.assert_allclose(sums.to_numpy(), 1.0, atol=1e-9)
    expected = {RW_MODEL, SLOWVOL_MEMBER, GARCH_MEMBER, "specialist_good", "specialist_narrow", INTERCEPT}
    assert set(weights["member"]) == expected
    # every predicted block has its weights, the live fit included
    keys = set(map(tuple, preds[["fold_id", "horizon_days"]].drop_duplicates().to_numpy()))
    assert keys <= set(map(tuple, weights[["fold_id", "horizon_days"]].drop_duplicates().to_numpy()))
    # the calibrated member beats the narrow noisy one in the later fits
    late = mem[(mem["fold_id"] >= 2) & (mem["quantile"] == 0.9)]
    by = late.groupby("member")["weight"].mean()
    assert by["specialist_good"] + by[RW_MODEL] > by["specialist_narrow"]


def test_meta_oof_never_uses_targets_after_block_start(
    frames: tuple[pd.DataFrame, ...], fitted: tuple[pd.DataFrame, ...]
) -> None:
    zl, targets, _l0 = frames
    members, preds, weights = fitted
    blocks = weights[weights["fold_id"] >= 0].drop_duplicates("fold_id").sort_values("fold_id")
    rng = np.random.default_rng(5)
    for _, blk in blocks.iloc[1:3].iterrows():
        cut = blk["cutoff"]
        t2 = targets.copy()
        late = t2["target_date"] >= cut
        t2.loc[late, "fwd_log_return"] = rng.permutation(t2.loc[late, "fwd_log_return"].to_numpy()) * 3.0 + 0.1
        p2, _w2 = fit_predict_meta(members, t2, zl, _settings())
        sel = (preds["split"] == "oof") & (preds["as_of_date"] < blk["block_end"])
        sel2 = (p2["split"] == "oof") & (p2["as_of_date"] < blk["block_end"])
        pd.testing.assert_frame_equal(preds[sel].reset_index(drop=True), p2[sel2].reset_index(drop=True))
        # ... but the perturbation is visible later on (the test has teeth)
        later = preds[(preds["split"] == "oof") & (preds["as_of_date"] >= blk["block_end"])]
        later2 = p2[(p2["split"] == "oof") & (p2["as_of_date"] >= blk["block_end"])]
        assert not np.allclose(later["value"].to_numpy(), later2["value"].to_numpy())


def test_meta_oof_unchanged_when_prices_after_block_change(
    frames: tuple[pd.DataFrame, ...], fitted: tuple[pd.DataFrame, ...]
) -> None:
    zl, _targets, l0 = frames
    _, preds, weights = fitted
    blk = weights[weights["fold_id"] == 1].iloc[0]
    zl2 = zl.copy()
    after = zl2["trade_date"] >= blk["block_end"]
    zl2.loc[after, "log_close"] += np.linspace(0.0, 0.4, int(after.sum()))
    t2 = synthetic_targets(zl2, H)
    members2 = meta_members(l0, zl2, settings=_settings())
    p2, _ = fit_predict_meta(members2, t2, zl2, _settings())
    sel = lambda p: p[(p["split"] == "oof") & (p["as_of_date"] < blk["block_end"])].reset_index(drop=True)  # noqa: E731
    pd.testing.assert_frame_equal(sel(preds), sel(p2))


def test_fallback_to_random_walk_without_history(frames: tuple[pd.DataFrame, ...]) -> None:
    zl, targets, l0 = frames
    s = _settings(min_train_origins=10_000)
    members = meta_members(l0, zl, settings=s)
    preds, weights = fit_predict_meta(members, targets, zl, s)
    rw = rw_ewma_quantiles(zl, H, Q)
    m = preds.merge(
        rw[["as_of_date", "horizon_days", "quantile", "value"]],
        on=["as_of_date", "horizon_days", "quantile"],
        suffixes=("", "_rw"),
    )
    assert len(m) == len(preds)
    np.testing.assert_allclose(m["value"], m["value_rw"], atol=1e-12)
    assert (weights.loc[weights["member"] == RW_MODEL, "weight"] == 1.0).all()


def _har_scale(zl: pd.DataFrame, targets: pd.DataFrame) -> tuple[VolScale, pd.DataFrame]:
    """A ``har`` scale (here 1.3 times the EWMA walk's) as ml_vol_forecast holds it, and its walk ``rw_har``."""
    ew = VolScale.ewma(zl, H)
    rows = []
    for h in H:
        sig = ew.series(h).dropna() * 1.3
        td = targets[targets["horizon_days"] == h].set_index("trade_date")["target_date"].reindex(sig.index)
        rows.append(
            pd.DataFrame(
                {
                    "as_of_date": sig.index,
                    "horizon_days": h,
                    "target_date": td.to_numpy(),
                    "scale_h": sig.to_numpy(),
                    "scale_source": "har",
                }
            )
        )
    vol = pd.concat(rows, ignore_index=True)
    return VolScale.from_table(vol, "har"), har_walk_quantiles(vol, Q)


def test_with_the_har_scale_the_meta_falls_back_to_rw_har(frames: tuple[pd.DataFrame, ...]) -> None:
    zl, targets, l0 = frames
    scale, har = _har_scale(zl, targets)
    s = _settings(min_train_origins=10_000)
    members = meta_members(l0, zl, settings=s, har_preds=har)
    assert {RW_MODEL, HAR_MODEL} <= set(members["model"])
    preds, weights = fit_predict_meta(members, targets, zl, s, scale)
    m = preds.merge(
        har[["as_of_date", "horizon_days", "quantile", "value"]],
        on=["as_of_date", "horizon_days", "quantile"],
        suffixes=("", "_har"),
    )
    assert len(m) == len(preds)
    np.testing.assert_allclose(m["value"], m["value_har"], atol=1e-12)
    assert (weights.loc[weights["member"] == HAR_MODEL, "weight"] == 1.0).all()
    assert (weights.loc[weights["member"] == RW_MODEL, "weight"] == 0.0).all()  # an ordinary member now


def test_attribution_on_the_har_scale_adds_up_to_the_meta_median(frames: tuple[pd.DataFrame, ...]) -> None:
    zl, targets, l0 = frames
    scale, har = _har_scale(zl, targets)
    members = meta_members(l0, zl, settings=_settings(), har_preds=har)
    preds, weights = fit_predict_meta(members, targets, zl, _settings(), scale)
    att = attribution(members, preds, weights, zl, scale=scale)
    total = att.groupby(["split", "as_of_date", "horizon_days"])["contribution_logret"].sum()
    med = preds[preds["quantile"] == 0.5].set_index(["split", "as_of_date", "horizon_days"])["value"]
    j = pd.concat([total.rename("sum"), med.rename("median")], axis=1, join="inner")
    assert len(j) == len(med) and np.isclose(j["sum"], j["median"], atol=1e-10).mean() > 0.95


def test_default_penalty_shrinks_to_random_walk(frames: tuple[pd.DataFrame, ...]) -> None:
    zl, targets, l0 = frames
    s = _settings(l1_penalty=1.0, intercept_penalty=np.inf)
    members = meta_members(l0, zl, settings=s)
    _, weights = fit_predict_meta(members, targets, zl, s)
    w = weights.set_index("member")["weight"]
    assert (w.loc[RW_MODEL] == 1.0).all() and (w.loc[INTERCEPT] == 0.0).all()
    assert MetaSettings().l1_penalty > 0 and not MetaSettings().median_intercept


def test_meta_is_deterministic(frames: tuple[pd.DataFrame, ...], fitted: tuple[pd.DataFrame, ...]) -> None:
    zl, targets, _ = frames
    members, preds, weights = fitted
    p2, w2 = fit_predict_meta(members, targets, zl, _settings())
    pd.testing.assert_frame_equal(preds, p2)
    pd.testing.assert_frame_equal(weights, w2)


def test_attribution_adds_up_to_meta_median(frames: tuple[pd.DataFrame, ...], fitted: tuple[pd.DataFrame, ...]) -> None:
    zl, _, _ = frames
    members, preds, weights = fitted
    att = attribution(members, preds, weights, zl)
    assert {"crush", "china"}.isdisjoint(set(att["bucket"]))
    assert {"good", "narrow", "random_walk", "intercept"} <= set(att["bucket"])
    total = att.groupby(["split", "as_of_date", "horizon_days"])["contribution_logret"].sum()
    med = preds[preds["quantile"] == 0.5].set_index(["split", "as_of_date", "horizon_days"])["value"]
    j = pd.concat([total.rename("sum"), med.rename("median")], axis=1, join="inner")
    assert len(j) == len(med)
    # the per-row sort moves the median only where quantiles cross: allow a few such rows
    close = np.isclose(j["sum"], j["median"], atol=1e-10)
    assert close.mean() > 0.95
    row = att.iloc[0]
    assert row["contribution_cents"] == pytest.approx(row["price_cents"] * np.expm1(row["contribution_logret"]))
    assert att["price_cents"].between(10, 200).all()


def test_settings_accept_dbt_text() -> None:
    s = MetaSettings(
        l1_penalty="0.05",
        intercept_penalty="inf",
        median_intercept="false",  # type: ignore[arg-type]
        halflife_days="none",
        horizons="5,20",
        start="2018-01-01",
    )  # type: ignore[arg-type]
    assert s.l1_penalty == 0.05 and s.intercept_penalty == np.inf and s.median_intercept is False
    assert s.halflife_days is None and s.horizons == (5, 20) and s.start == pd.Timestamp("2018-01-01")
    with pytest.raises(ValueError, match="l1_penalty"):
        MetaSettings(l1_penalty="abc")  # type: ignore[arg-type]


def _merge(stored: pd.DataFrame, new: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """What dbt's delete+insert does with an incremental model's result."""
    gone = stored.merge(new[keys].drop_duplicates(), on=keys, how="left", indicator=True)["_merge"] == "left_only"
    return pd.concat([stored[gone.to_numpy()], new], ignore_index=True)


def test_an_incremental_fit_refits_only_the_live_blocks_and_equals_a_full_fit(
    frames: tuple[pd.DataFrame, ...], fitted: tuple[pd.DataFrame, ...]
) -> None:
    zl, targets, _ = frames
    members, _, weights = fitted
    again = fit_meta_weights(members, targets, zl, _settings(), existing=weights)
    assert set(again["fold_id"]) == {-1}
    merged = _merge(weights, again, ["fold_id", "horizon_days"])
    key = ["fold_id", "horizon_days", "quantile", "member"]
    pd.testing.assert_frame_equal(
        merged.sort_values(key).reset_index(drop=True), weights.sort_values(key).reset_index(drop=True)
    )


def test_a_block_whose_training_inputs_changed_is_refitted(
    frames: tuple[pd.DataFrame, ...], fitted: tuple[pd.DataFrame, ...]
) -> None:
    zl, targets, _ = frames
    members, _, weights = fitted
    first = weights[weights["fold_id"] >= 0].sort_values("cutoff")["cutoff"].iloc[0]
    early = targets["target_date"] < first
    t2 = targets.copy()
    t2.loc[early, "fwd_log_return"] *= 1.5  # outcomes every block trained on
    again = fit_meta_weights(members, t2, zl, _settings(), existing=weights)
    assert set(again["fold_id"]) == set(weights["fold_id"])
