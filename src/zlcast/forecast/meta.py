"""L1 meta model: quantile regression averaging (QRA) of the L0 members on the z scale.

Members
-------
Every member is a long prediction frame (see :mod:`zlcast.forecast.frames`). The meta model works on the
vol-standardised scale of :mod:`zlcast.forecast.specialists`: a member's quantile ``value`` (h-day log return)
becomes ``z = value / scale_h(d)`` with the project's h-day scale known at the origin ``d``
(:class:`zlcast.forecast.volatility.VolScale`: ``sigma_ewma(d) * sqrt(h)`` with the EWMA (lambda 0.94)
daily volatility, or the HAR forecast when ``vol_scale`` is ``har``). The members are

* the L0 models (``specialist_<bucket>`` x 8, ``core_ts``, ``lightgbm_zl``): their ``split='oof'`` rows
  feed the walk-forward fits and the OOF predictions, their ``split='live'`` rows the live prediction;
* the reference random walk ``rw_ewma`` (normal quantiles, median = no change), so the meta can fall
  back to it (all weight on ``rw_ewma`` and a zero intercept *is* the reference); with ``vol_scale``
  ``har`` the reference is ``rw_har`` (the HAR scale times unit-variance Student-t(6) quantiles,
  :func:`zlcast.forecast.volatility.har_walk_quantiles`) and ``rw_ewma`` is an ordinary member;
* two computed, causal volatility baselines (:func:`meta_members`): ``rw_slowvol`` (EWMA lambda 0.99,
  a long-memory vol) and ``rw_garch`` (GARCH(1,1) variance term structure averaged over the ``h``
  days ahead, mean-reverting to the long-run variance; parameters refit every January 1 on the daily
  returns before it, the variance filter runs on the returns up to the origin).

A member missing at an origin (e.g. a model whose OOF starts later) is filled with the random walk's
value there (so it neither moves the fit nor the median); a member present on fewer than 90% of a
fit's training rows gets weight 0 in that fit.

Model
-----
Per horizon ``h``, quantile level ``tau`` and walk-forward block ``k``::

    z_hat_tau(d) = b_tau + sum_m w_{m,tau} * z_{m,tau}(d),   w >= 0,  sum_m w_{m,tau} = 1

fit by minimising the pinball loss of the realised ``z`` (weighted by ``sigma*sqrt(h)``, i.e. the
pinball of the log return, the score of the product, and optionally by recency), plus
``l1_penalty * sum_{m != rw} w_m`` (shrinks toward the random walk) and ``intercept_penalty * |b_tau|``.
The simplex constraint keeps ``b`` (z units) identifiable next to the random walk, whose z quantiles
are constants: ``b_tau`` acts as a width / skew correction, ``b_0.5`` as a drift. The problem is
solved exactly as a linear programme (:func:`fit_qra`, its dual with HiGHS: about 20 ms for 2,000
rows).

Defaults (chosen on the meta's 2017-2019 OOF only, real data, fast-preset L0)
---------------------------------------------------------------------------
``l1_penalty=0.1``, ``intercept_penalty=inf``, ``median_intercept=False``, per-level weights,
3-month blocks. Skill vs the random walk 2017-2019 at 5/20/60 days: unpenalised QRA
-1.2/-9.1/-38%, no median drift -1.1/-9.8/-31%, ``l1_penalty`` 0.01/0.03/0.05/0.07/0.1 (no
intercepts) at 60 days -16/-6.2/-2.4/-0.7/-0.4% (5 and 20 days: 0.0% from 0.05 on), one weight
vector shared across levels (``l1_penalty`` 0.03) -0.1/-5.6/-3.4%, vol baselines only -0.2/-0.4/0.0%. The L0 members
showed no stable skill in 2016-2019 (their 60-day median alone is 27-76% worse than "no change" in
2016), so the selected meta stays at (or next to) the random walk unless a member earns its penalty.
An AutoGluon ``TabularPredictor`` (quantile, LightGBM) on the members' z-quantiles scored
-3.9/-6.0/-34% on 2017-2019 with yearly refits, which is why the meta is a QRA.

Walk-forward discipline
-----------------------
Blocks are consecutive ``block_months``-month calendar blocks from ``settings.start`` (default: the
first L0 OOF origin plus ``warmup_months``, snapped to a month start). The fit for block ``k``
(starting at trading date ``s_k``) uses only member OOF rows whose realised ``target_date < s_k``
(purge), and predicts the OOF origins in ``[s_k, s_{k+1})`` -- the meta's own OOF. The live fit uses
the rows realised before the first live origin. Blocks with fewer than ``min_train_origins`` training
rows return the random walk (weight 1 on the reference member, intercept 0).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd
from scipy.optimize import linprog
from scipy.signal import lfilter

from zlcast.forecast.artifacts import digest_parts
from zlcast.forecast.baselines import RW_MODEL, ewma_sigma, normal_quantiles, rw_ewma_quantiles
from zlcast.forecast.frames import PREDICTION_COLUMNS, DatesLike, long_predictions
from zlcast.forecast.volatility import HAR_MODEL, VolScale
from zlcast.settings import EWMA_LAMBDA, HORIZONS, QUANTILES, coerce_fields

__all__ = [
    "ATTRIBUTION_COLUMNS",
    "GARCH_MEMBER",
    "INTERCEPT",
    "META_MODEL",
    "SLOWVOL_MEMBER",
    "WEIGHT_COLUMNS",
    "MetaSettings",
    "attribution",
    "bucket_of",
    "fit_meta_weights",
    "fit_predict_meta",
    "fit_qra",
    "garch_sigma",
    "meta_members",
    "predict_meta",
    "recency_weights",
    "walk_forward_blocks",
    "z_panel",
]

#: Model name of the meta predictions.
META_MODEL = "zl_meta"
#: Pseudo-member holding the QRA intercept (z units) in the weight frame.
INTERCEPT = "intercept"
#: Computed long-memory EWMA vol member.
SLOWVOL_MEMBER = "rw_slowvol"
#: Computed GARCH(1,1) term-structure vol member.
GARCH_MEMBER = "rw_garch"
#: Columns of the weight frame returned by :func:`fit_predict_meta`.
WEIGHT_COLUMNS: tuple[str, ...] = (
    "fold_id",
    "cutoff",
    "block_end",
    "horizon_days",
    "quantile",
    "member",
    "bucket",
    "weight",
    "n_train",
    "input_digest",
)
#: Columns of :func:`attribution`.
ATTRIBUTION_COLUMNS: tuple[str, ...] = (
    "as_of_date",
    "horizon_days",
    "target_date",
    "split",
    "fold_id",
    "member",
    "bucket",
    "weight",
    "member_median_logret",
    "contribution_logret",
    "contribution_cents",
    "price_cents",
)
_Q_DEC = 6


@dataclass(frozen=True)
class MetaSettings:
    """Settings of the L1 meta model (immutable).

    Parameters
    ----------
    horizons : tuple of int
        Horizons in trading days.
    quantiles : tuple of float
        Output quantile levels (ascending; each member must provide them).
    start : pandas.Timestamp or None
        Start of the first meta block; None: first L0 OOF origin + ``warmup_months`` (month start).
    warmup_months : int
        Used when ``start`` is None.
    block_months : int
        Length of a walk-forward block (refit frequency) in calendar months.
    min_train_origins : int
        Fewer training rows: the block falls back to the random walk.
    halflife_days : float or None
        Half-life (calendar days, counted back from the block start) of the recency weights of the
        training rows; None: equal weights.
    l1_penalty : float
        Penalty per unit of weight on a member other than the random walk (z-pinball units).
    weight_by_scale : bool
        Weight rows by ``sigma * sqrt(h)`` (pinball of the log return instead of z).
    slow_lambda : float
        EWMA decay of the ``rw_slowvol`` member.
    garch_min_returns : int
        Years whose Jan-1 history holds fewer daily returns get no ``rw_garch`` value.
    lam : float
        EWMA decay of the reference (the z scale).
    median_intercept : bool
        Fit an intercept (a drift in z units) at the median; False keeps it at 0.
    intercept_penalty : float
        L1 penalty on the intercepts of the other levels (0: free, ``inf``: none).
    shared_weights : bool
        One member weight vector for all levels (intercepts per level) instead of one per level.
    members : tuple of str or None
        Members used (None: every member in the frame).
    model : str
        Model name of the output.
    """

    horizons: tuple[int, ...] = HORIZONS
    quantiles: tuple[float, ...] = QUANTILES
    start: pd.Timestamp | None = None
    warmup_months: int = 6
    block_months: int = 3
    min_train_origins: int = 120
    halflife_days: float | None = None
    l1_penalty: float = 0.1
    weight_by_scale: bool = True
    slow_lambda: float = 0.99
    garch_min_returns: int = 500
    lam: float = EWMA_LAMBDA
    median_intercept: bool = False
    intercept_penalty: float = float("inf")
    shared_weights: bool = False
    members: tuple[str, ...] | None = None
    model: str = META_MODEL

    def __post_init__(self) -> None:
        """Normalise types (text from a dbt config is accepted) and validate (raises ``ValueError``)."""
        coerce_fields(self, _META_KINDS)
        q = np.asarray(self.quantiles)
        if len(q) == 0 or np.any(np.diff(q) <= 0) or q[0] <= 0 or q[-1] >= 1:
            raise ValueError("quantiles must be ascending in (0, 1)")
        if self.block_months < 1 or self.min_train_origins < 1:
            raise ValueError("block_months and min_train_origins must be >= 1")
        if self.l1_penalty < 0 or self.intercept_penalty < 0:
            raise ValueError("l1_penalty and intercept_penalty must be >= 0")
        if self.halflife_days is not None and self.halflife_days <= 0:
            raise ValueError("halflife_days must be > 0 or None")


_META_KINDS = {
    "horizons": "ints",
    "quantiles": "floats",
    "start": "opt_date",
    "warmup_months": "int",
    "block_months": "int",
    "min_train_origins": "int",
    "halflife_days": "opt_float",
    "l1_penalty": "float",
    "weight_by_scale": "bool",
    "slow_lambda": "float",
    "garch_min_returns": "int",
    "lam": "float",
    "median_intercept": "bool",
    "intercept_penalty": "float",
    "shared_weights": "bool",
    "members": "opt_strs",
    "model": "str",
}


# --------------------------------------------------------------------------- members
def _garch_by_year(zl: pd.DataFrame, min_returns: int) -> list[tuple[np.ndarray, np.ndarray, float, float]]:
    """Per year: (origin mask, next-day variance s2 at every origin, long-run variance, persistence)."""
    from arch import arch_model

    dates = pd.DatetimeIndex(zl["trade_date"])
    ret = np.diff(zl["log_close"].to_numpy(dtype="float64")) * 100.0  # ret[j]: return on date j+1
    out = []
    for year in sorted(set(dates.year)):
        cut = int(dates.searchsorted(pd.Timestamp(f"{year}-01-01")))
        past = ret[: max(cut - 1, 0)]
        if len(past) < min_returns:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = arch_model(past, mean="Zero", vol="GARCH", p=1, q=1, dist="normal", rescale=False).fit(
                disp="off", show_warning=False
            )
        omega, alpha, beta = (float(res.params[n]) for n in ("omega", "alpha[1]", "beta[1]"))
        persistence = alpha + beta
        if not (0 < persistence < 1) or omega <= 0:
            continue
        s0 = float(np.var(past))
        # s2[i]: variance of the return after origin i, from the returns up to origin i
        filt, _ = lfilter([alpha], [1.0, -beta], ret**2, zi=np.array([beta * s0]))
        steps = np.arange(1, len(ret) + 1)
        s2 = np.concatenate([[s0], filt + omega * (1 - beta**steps) / (1 - beta)])
        out.append((np.asarray(dates.year == year), s2, omega / (1 - persistence), persistence))
    return out


def garch_sigma(zl: pd.DataFrame, horizon: int, min_returns: int = 500) -> pd.Series:
    """GARCH(1,1) daily vol averaged over the next ``horizon`` days, known at each origin.

    Parameters
    ----------
    zl : pandas.DataFrame
        ``trade_date, log_close`` sorted by date.
    horizon : int
        Days ahead.
    min_returns : int
        Years whose history (returns before January 1) is shorter get NaN.

    Returns
    -------
    pandas.Series
        ``sqrt(mean_{k=1..h} E[sigma^2_{d+k}])`` indexed by ``trade_date``, with
        ``E[sigma^2_{d+k}] = LR + p^(k-1) (sigma^2_{d+1} - LR)``. The parameters used for origins in
        year ``Y`` are fitted (``arch``, zero mean, normal) on the returns before ``Y-01-01``; the
        variance recursion uses the returns up to the origin.
    """
    return _garch_sigmas(zl, [horizon], min_returns)[int(horizon)]


def _garch_sigmas(zl: pd.DataFrame, horizons: Sequence[int], min_returns: int) -> dict[int, pd.Series]:
    """:func:`garch_sigma` for several horizons with one set of yearly fits."""
    idx = pd.DatetimeIndex(zl["trade_date"], name="trade_date")
    fits = _garch_by_year(zl, min_returns)
    res = {}
    for h in horizons:
        out = np.full(len(idx), np.nan)
        for mask, s2, long_run, p in fits:
            decay = float(np.mean(p ** np.arange(int(h), dtype="float64")))
            out[mask] = np.sqrt(long_run + (s2[mask] - long_run) * decay) / 100.0
        res[int(h)] = pd.Series(out, index=idx, name="sigma_garch")
    return res


def _vol_member(zl: pd.DataFrame, sigma: np.ndarray, h: int, quantiles: Sequence[float], model: str) -> pd.DataFrame:
    """Normal-quantile random walk with a given daily vol, split like :func:`rw_ewma_quantiles`."""
    dates = pd.DatetimeIndex(zl["trade_date"]).values
    n = len(dates)
    values = np.outer(sigma * np.sqrt(h), normal_quantiles(quantiles))
    ok = np.isfinite(sigma)
    realised = np.arange(n) + h < n
    m_oof, m_live = ok & realised, ok & ~realised
    tgt = dates[np.flatnonzero(m_oof) + h]
    return pd.concat(
        [
            long_predictions(dates[m_oof], h, tgt, model, quantiles, values[m_oof], "oof", -1),
            long_predictions(dates[m_live], h, None, model, quantiles, values[m_live], "live", -1),
        ],
        ignore_index=True,
    )


def meta_members(
    l0_preds: pd.DataFrame,
    zl: pd.DataFrame,
    rw_preds: pd.DataFrame | None = None,
    settings: MetaSettings | None = None,
    har_preds: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """All members of the meta model in the long prediction format.

    Parameters
    ----------
    l0_preds : pandas.DataFrame
        L0 predictions (``fct_l0_predictions``), long format; extra columns are dropped.
    zl : pandas.DataFrame
        ``trade_date, log_close`` sorted by date.
    rw_preds : pandas.DataFrame, optional
        The reference random walk (``ml_rw_ewma``); computed from ``zl`` when None.
    settings : MetaSettings, optional
    har_preds : pandas.DataFrame, optional
        The random walk with the HAR scale (``rw_har``, :func:`zlcast.forecast.volatility.har_walk_quantiles`),
        a member only when given (``vol_scale`` ``har``).

    Returns
    -------
    pandas.DataFrame
        L0 rows + ``rw_ewma`` (+ ``rw_har``) + ``rw_slowvol`` + ``rw_garch`` (columns :data:`PREDICTION_COLUMNS`).
    """
    s = settings or MetaSettings()
    cols = list(PREDICTION_COLUMNS)
    if rw_preds is None:
        rw_preds = rw_ewma_quantiles(zl, s.horizons, s.quantiles, s.lam)
    rw = _norm_dates(rw_preds)[cols].assign(model=RW_MODEL)
    slow = ewma_sigma(zl, s.slow_lambda).to_numpy()
    garch = _garch_sigmas(zl, s.horizons, s.garch_min_returns)
    extra = []
    for h in s.horizons:
        extra.append(_vol_member(zl, slow, h, s.quantiles, SLOWVOL_MEMBER))
        extra.append(_vol_member(zl, garch[h].to_numpy(), h, s.quantiles, GARCH_MEMBER))
    l0 = _norm_dates(l0_preds)[cols]
    l0 = l0[~l0["model"].isin(_BASELINES)]
    har = [] if har_preds is None else [_norm_dates(har_preds)[cols].assign(model=HAR_MODEL)]
    return pd.concat([l0, rw, *har, *extra], ignore_index=True)


def _norm_dates(df: pd.DataFrame) -> pd.DataFrame:
    """Copy with datetime64[ns] date columns, int64 horizon/fold and rounded quantile."""
    out = df.copy()
    for c in ("as_of_date", "target_date", "trade_date", "cutoff", "block_end"):
        if c in out:
            col = out[c] if pd.api.types.is_datetime64_dtype(out[c]) else pd.to_datetime(out[c])
            out[c] = col.astype("datetime64[ns]")
    for c in ("horizon_days", "fold_id"):
        if c in out:
            out[c] = out[c].astype("int64")
    if "quantile" in out:
        out["quantile"] = out["quantile"].astype("float64").round(_Q_DEC)
    return out


_BASELINES = (RW_MODEL, SLOWVOL_MEMBER, GARCH_MEMBER, HAR_MODEL)


def z_panel(
    members: pd.DataFrame,
    sigma_h: pd.Series,
    horizon: int,
    quantiles: Sequence[float],
    split: str,
    member_names: Sequence[str] | None = None,
    reference: str = RW_MODEL,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Wide z-quantile panel of the members at one horizon.

    Parameters
    ----------
    members : pandas.DataFrame
        Output of :func:`meta_members`.
    sigma_h : pandas.Series
        The h-day scale of this horizon indexed by trade date (:meth:`VolScale.series`).
    horizon : int
    quantiles : sequence of float
    split : {'oof', 'live'}
        Which rows of the trained (L0) members to use; the baselines use every row.
    member_names : sequence of str, optional
        Members to keep (default: all, the reference first).
    reference : str
        The reference random walk (``rw_ewma`` or ``rw_har``).

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        ``z``: index ``as_of_date`` (origins with at least one trained member row of that split, or
        every baseline origin when there is no trained member), columns ``(member, quantile)``, missing
        values filled with the reference's z; ``present``: same index, one boolean column per member
        (the member had its own value there).
    """
    qs = [round(float(q), _Q_DEC) for q in quantiles]
    p = members[(members["horizon_days"] == int(horizon)) & members["quantile"].isin(qs)]
    trained = p[~p["model"].isin(_BASELINES)]
    trained = trained[trained["split"] == split]
    base = p[p["model"].isin(_BASELINES)]
    names = list(member_names) if member_names is not None else sorted(set(p["model"]))
    names = [reference] + [m for m in names if m != reference]
    origins = (
        pd.DatetimeIndex(np.unique(trained["as_of_date"].to_numpy()))
        if len(trained)
        else pd.DatetimeIndex(np.unique(base["as_of_date"].to_numpy()))
    )
    rows = pd.concat([trained, base[base["as_of_date"].isin(origins)]], ignore_index=True)
    if rows.duplicated(["model", "as_of_date", "quantile"]).any():
        raise ValueError(f"members hold duplicate rows at horizon {horizon}, split {split!r}")
    wide = rows.pivot(index="as_of_date", columns=["model", "quantile"], values="value")
    full_cols = pd.MultiIndex.from_product([names, qs], names=["model", "quantile"])
    wide = wide.reindex(index=origins, columns=full_cols)
    scale = sigma_h.reindex(origins).to_numpy()
    z = wide.div(scale, axis=0)
    blocks = {m: cast(pd.DataFrame, z.xs(m, axis=1, level=0)) for m in names}
    present = pd.DataFrame({m: blocks[m].notna().all(axis=1).to_numpy() for m in names}, index=origins)
    rwz = blocks[reference]
    for m in names[1:]:
        z[m] = blocks[m].where(blocks[m].notna(), rwz.set_axis(blocks[m].columns, axis=1))
    keep = np.isfinite(scale) & (scale > 0) & present[reference].to_numpy()
    return z.loc[keep], present.loc[keep]


# --------------------------------------------------------------------------- walk-forward
def walk_forward_blocks(dates: DatesLike, start: pd.Timestamp, block_months: int) -> pd.DataFrame:
    """Consecutive calendar blocks snapped to the given dates.

    Parameters
    ----------
    dates : pandas.DatetimeIndex
        Origins to cover (sorted or not).
    start : pandas.Timestamp
        Start of block 0 (calendar date).
    block_months : int

    Returns
    -------
    pandas.DataFrame
        ``fold_id, cutoff, block_end`` with ``cutoff`` the calendar block start (the purge boundary:
        training targets must be realised strictly before it) and ``block_end`` the next block's start
        (exclusive); blocks without an origin are left out.
    """
    d = pd.DatetimeIndex(dates).sort_values()  # type: ignore[arg-type]  # DatesLike
    rows: list[tuple[int, pd.Timestamp, pd.Timestamp]] = []
    if len(d) == 0:
        return pd.DataFrame(rows, columns=["fold_id", "cutoff", "block_end"])
    s, k = pd.Timestamp(start), 0
    while s <= d[-1]:
        e = s + pd.DateOffset(months=block_months)
        if ((d >= s) & (d < e)).any():
            rows.append((k, s, e))
        s, k = e, k + 1
    out = pd.DataFrame(rows, columns=["fold_id", "cutoff", "block_end"])
    return out.astype({"fold_id": "int64", "cutoff": "datetime64[ns]", "block_end": "datetime64[ns]"})


def recency_weights(origins: pd.DatetimeIndex, cutoff: pd.Timestamp, halflife_days: float | None) -> np.ndarray:
    """Exponential recency weights ``0.5 ** (age_days / halflife)`` (ones when ``halflife_days`` is None).

    Parameters
    ----------
    origins : pandas.DatetimeIndex
    cutoff : pandas.Timestamp
    halflife_days : float or None

    Returns
    -------
    numpy.ndarray
    """
    if halflife_days is None:
        return np.ones(len(origins))
    age = (pd.Timestamp(cutoff) - pd.DatetimeIndex(origins)).days.to_numpy(dtype="float64")  # type: ignore[operator]
    return np.power(0.5, np.maximum(age, 0.0) / float(halflife_days))


def fit_qra(
    X: np.ndarray,
    y: np.ndarray,
    tau: float | Sequence[float],
    row_weight: np.ndarray | None = None,
    penalty: np.ndarray | None = None,
    active: np.ndarray | None = None,
    intercept_penalty: float | Sequence[float] | np.ndarray = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Pinball-optimal convex combination of member quantiles plus intercepts (exact LP).

    For levels ``tau_j`` (j = 1..k) with member predictions ``X_j`` solves::

        min  sum_j sum_i v_i rho_{tau_j}(y_i - b_j - X_{j,i} w) + penalty . w + sum_j lam_j |b_j|
        s.t. w >= 0,  sum w = 1

    (one weight vector shared by the k levels, one intercept per level; k = 1 is the classic
    per-quantile QRA) through its dual ``max sum_j y.d_j + g`` s.t. ``|sum_i d_{j,i}| <= lam_j``,
    ``sum_j X_j' d_j + g <= penalty``, ``-v_i (1 - tau_j) <= d_{j,i} <= v_i tau_j``; ``w`` and ``b`` are
    the dual's multipliers (HiGHS).

    Parameters
    ----------
    X : numpy.ndarray, shape (n, M) or (k, n, M)
        Member predictions of each level.
    y : numpy.ndarray, shape (n,)
        Realised values.
    tau : float or sequence of float (length k)
    row_weight : numpy.ndarray, optional
        Non-negative row weights ``v`` (normalised to sum 1; default equal).
    penalty : numpy.ndarray, optional
        Per-member linear penalty (default 0).
    active : numpy.ndarray of bool, optional
        Members allowed a weight (default all); inactive ones get 0.
    intercept_penalty : float or sequence of float
        ``lam_j`` per level (a scalar applies to all): 0 leaves ``b_j`` free, ``inf`` fixes ``b_j = 0``.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Intercepts ``b`` (length k) and weights ``w`` (length M, non-negative, summing to 1).

    Raises
    ------
    RuntimeError
        When the LP solver fails.
    """
    X = np.asarray(X, dtype="float64")
    if X.ndim == 2:
        X = X[None, :, :]
    taus = np.atleast_1d(np.asarray(tau, dtype="float64"))
    y = np.asarray(y, dtype="float64")
    k, n, M = X.shape
    if len(taus) != k:
        raise ValueError("one tau per level of X is needed")
    v = np.ones(n) if row_weight is None else np.asarray(row_weight, dtype="float64")
    v = v / v.sum()
    pen = np.zeros(M) if penalty is None else np.asarray(penalty, dtype="float64")
    act = np.ones(M, dtype=bool) if active is None else np.asarray(active, dtype=bool)
    Xa = X[:, :, act]
    c = np.concatenate([np.tile(-y, k), [-1.0]])
    a_ub = np.hstack([Xa.transpose(2, 0, 1).reshape(int(act.sum()), k * n), np.ones((int(act.sum()), 1))])
    lo = np.concatenate([np.concatenate([-v * (1.0 - t) for t in taus]), [-np.inf]])
    hi = np.concatenate([np.concatenate([v * t for t in taus]), [np.inf]])
    lam = np.broadcast_to(np.asarray(intercept_penalty, dtype="float64"), (k,))
    rows = np.zeros((k, k * n + 1))
    for j in range(k):
        rows[j, j * n : (j + 1) * n] = 1.0
    eq = lam == 0
    box = np.isfinite(lam) & ~eq
    a_ub = np.vstack([a_ub, rows[box], -rows[box]])
    b_ub = np.concatenate([pen[act], lam[box], lam[box]])
    res = linprog(
        c,
        A_ub=a_ub,
        b_ub=b_ub,
        A_eq=rows[eq] if eq.any() else None,
        b_eq=np.zeros(int(eq.sum())) if eq.any() else None,
        bounds=np.column_stack([lo, hi]),
        method="highs",
    )
    if res.status != 0:
        raise RuntimeError(f"QRA linear programme failed: {res.message}")
    n_act = int(act.sum())
    marg = -np.asarray(res.ineqlin.marginals, dtype="float64")
    w_act = np.clip(marg[:n_act], 0.0, None)
    w_act = w_act / w_act.sum() if w_act.sum() > 0 else np.full(n_act, 1.0 / n_act)
    w = np.zeros(M)
    w[act] = w_act
    b = np.zeros(k)
    if eq.any():
        b[eq] = -np.asarray(res.eqlin.marginals, dtype="float64")
    n_box = int(box.sum())
    if n_box:
        b[box] = marg[n_act : n_act + n_box] - marg[n_act + n_box :]
    return b, w


def _cube(z: pd.DataFrame, names: list[str], qs: list[float]) -> np.ndarray:
    """Panel of :func:`z_panel` as an array ``(k levels, n origins, M members)``."""
    return np.stack([z.loc[:, [(m, q) for m in names]].to_numpy(dtype="float64") for q in qs])


def _fit_block(
    Z: np.ndarray,
    present: np.ndarray,
    origins: pd.DatetimeIndex,
    zy: np.ndarray,
    scale: np.ndarray,
    train: np.ndarray,
    cutoff: pd.Timestamp,
    qs: list[float],
    s: MetaSettings,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Fit every level of one block; returns (intercepts (k,), weights (k, M), n_train).

    ``Z`` is ``(k, n, M)`` with the random walk as member 0, ``present`` ``(n, M)`` booleans.
    """
    n_train = int(train.sum())
    k, _, M = Z.shape
    b = np.zeros(k)
    w = np.zeros((k, M))
    w[:, 0] = 1.0  # the random walk: the fallback
    if n_train < s.min_train_origins:
        return b, w, n_train
    row_w = recency_weights(origins[train], cutoff, s.halflife_days)
    if s.weight_by_scale:
        row_w = row_w * scale[train] / np.mean(scale[train])
    active = present[train].mean(axis=0) >= 0.9
    active[0] = True
    pen = np.full(M, s.l1_penalty)
    pen[0] = 0.0
    y = zy[train]
    X = Z[:, train, :]
    lam = np.array(
        [s.intercept_penalty if abs(q - 0.5) > 1e-9 else (0.0 if s.median_intercept else np.inf) for q in qs]
    )
    if s.shared_weights:
        b, w_shared = fit_qra(X, y, qs, row_w, pen, active, lam)
        w[:] = w_shared
    else:
        for j, q in enumerate(qs):
            bj, w[j] = fit_qra(X[j], y, q, row_w, pen, active, lam[j])
            b[j] = bj[0]
    return b, w, n_train


def _predict_block(Z: np.ndarray, rows: np.ndarray, b: np.ndarray, w: np.ndarray) -> np.ndarray:
    """z-quantiles ``(n_rows, k)`` of a fitted block: ``b_j + Z[j, rows] @ w_j``."""
    return b[None, :] + np.einsum("knm,km->nk", Z[:, rows, :], w)


def _member_names(members: pd.DataFrame, s: MetaSettings, reference: str = RW_MODEL) -> list[str]:
    """Members of the fits, the reference random walk first (the order of the weight vectors)."""
    names_all = sorted(set(members["model"]))
    if s.members is not None:
        names_all = [n for n in names_all if n in s.members or n == reference]
    return [reference] + [n for n in names_all if n != reference]


def _vol_scale(zl: pd.DataFrame, s: MetaSettings, scale: VolScale | None) -> VolScale:
    """The given scale, or the EWMA walk's ``sigma_ewma * sqrt(h)`` (decay ``s.lam``)."""
    return scale if scale is not None else VolScale.ewma(zl, s.horizons, s.lam)


def _meta_start(members: pd.DataFrame, s: MetaSettings) -> pd.Timestamp:
    """Start of block 0: ``settings.start`` or the first trained OOF origin + ``warmup_months`` (month start)."""
    if s.start is not None:
        return pd.Timestamp(s.start)
    trained = members[~members["model"].isin(_BASELINES) & (members["split"] == "oof")]
    first = trained["as_of_date"].min() if len(trained) else members["as_of_date"].min()
    return (pd.Timestamp(first) + pd.DateOffset(months=s.warmup_months)).to_period("M").to_timestamp()


@dataclass
class _Panel:
    """One horizon's OOF panel: z-quantiles ``Z (k, n, M)``, presence, realised z targets and scales."""

    z: pd.DataFrame
    idx: pd.DatetimeIndex
    Z: np.ndarray
    present: np.ndarray
    zy: np.ndarray
    scale: np.ndarray
    realised: np.ndarray
    tvals: np.ndarray


def _by_horizon(m: pd.DataFrame) -> dict[int, pd.DataFrame]:
    """The member rows of each horizon (row order kept), so per-horizon panels scan a third of the table."""
    return {int(cast(int, h)): g for h, g in m.groupby("horizon_days", sort=True)}


def _oof_panel(
    m: pd.DataFrame, t: pd.DataFrame, sigma_h: pd.Series, h: int, qs: list[float], names: list[str]
) -> _Panel:
    """The OOF panel of horizon ``h`` (members ``names``, the reference first)."""
    th = t[t["horizon_days"] == h].set_index("trade_date")
    z, present = z_panel(m, sigma_h, h, qs, "oof", names, names[0])
    tdate = th["target_date"].reindex(z.index)
    scale = sigma_h.reindex(z.index).to_numpy()
    zy = th["fwd_log_return"].reindex(z.index).to_numpy() / scale
    realised = tdate.notna().to_numpy() & np.isfinite(zy)
    return _Panel(
        z,
        pd.DatetimeIndex(z.index),
        _cube(z, names, qs),
        present[names].to_numpy(),
        zy,
        scale,
        realised,
        tdate.to_numpy(),
    )


def _live_panel(m: pd.DataFrame, sigma_h: pd.Series, h: int, qs: list[float], names: list[str]) -> pd.DataFrame:
    """z-quantiles of the live origins of horizon ``h`` (empty when no trained member has live rows)."""
    has_live = bool(((m["split"] == "live") & (m["horizon_days"] == h) & ~m["model"].isin(_BASELINES)).any())
    return z_panel(m, sigma_h, h, qs, "live", names, names[0])[0] if has_live else pd.DataFrame()


def fit_meta_weights(
    members: pd.DataFrame,
    targets: pd.DataFrame,
    zl: pd.DataFrame,
    settings: MetaSettings | None = None,
    existing: pd.DataFrame | None = None,
    scale: VolScale | None = None,
) -> pd.DataFrame:
    """Walk-forward QRA fits: the member weights and intercepts of every block, horizon and level.

    Parameters
    ----------
    members : pandas.DataFrame
        Output of :func:`meta_members` (long format).
    targets : pandas.DataFrame
        ``trade_date, horizon_days, target_date, fwd_log_return`` (realised rows).
    zl : pandas.DataFrame
        ``trade_date, log_close`` sorted by date.
    settings : MetaSettings, optional
    existing : pandas.DataFrame, optional
        Weights stored by an earlier run (same columns). A walk-forward block whose training inputs are
        unchanged (same ``input_digest``) is not refitted and left out of the result; the live fit always is.
    scale : VolScale, optional
        The h-day z scale and its reference member (None: the EWMA walk, ``rw_ewma``).

    Returns
    -------
    pandas.DataFrame
        Tidy, columns :data:`WEIGHT_COLUMNS` (member ``intercept`` is the z-unit intercept), one row per
        (block, horizon, quantile, member); block ``fold_id`` -1 is the live fit, fitted on the rows realised
        before the first live origin. ``input_digest`` identifies what a block was fitted on. Without
        ``existing`` every block; with it, the new, changed and live blocks. :func:`predict_meta` turns the
        whole table into predictions.
    """
    s = settings or MetaSettings()
    m, t = _norm_dates(members), _norm_dates(targets)
    vs = _vol_scale(zl, s, scale)
    qs = [round(q, _Q_DEC) for q in s.quantiles]
    names = _member_names(m, s, vs.reference)
    start = _meta_start(m, s)
    stored: dict[tuple[int, int], str] = {}
    if existing is not None and len(existing) and "input_digest" in existing:
        keys = existing.drop_duplicates(["fold_id", "horizon_days"])
        stored = {
            (int(f), int(h)): str(d) for f, h, d in zip(keys["fold_id"], keys["horizon_days"], keys["input_digest"])
        }
    weights = []
    by_h = _by_horizon(m)
    for h in s.horizons:
        mh = by_h.get(int(h), m.iloc[:0])
        pan = _oof_panel(mh, t, vs.series(h), h, qs, names)
        blocks = walk_forward_blocks(pan.idx[pan.realised], start, s.block_months)
        for fid, cut, end in blocks.itertuples(index=False):
            train = pan.realised & (pan.tvals < np.datetime64(cut))
            digest = _block_digest(pan, train, pd.Timestamp(cut), pd.Timestamp(end), qs, names, s)
            if stored.get((int(fid), int(h))) == digest:
                continue
            b, w, n_train = _fit_block(pan.Z, pan.present, pan.idx, pan.zy, pan.scale, train, cut, qs, s)
            weights.append(_weight_rows(int(fid), cut, end, h, qs, names, b, w, n_train).assign(input_digest=digest))
        live = _live_panel(mh, vs.series(h), h, qs, names)
        if len(live):
            cut = pd.Timestamp(live.index.min())
            train = pan.realised & (pan.tvals < np.datetime64(cut))
            b, w, n_train = _fit_block(pan.Z, pan.present, pan.idx, pan.zy, pan.scale, train, cut, qs, s)
            digest = _block_digest(pan, train, cut, None, qs, names, s)
            weights.append(_weight_rows(-1, cut, None, h, qs, names, b, w, n_train).assign(input_digest=digest))
    if not weights:
        return pd.DataFrame(columns=list(WEIGHT_COLUMNS))
    return pd.concat(weights, ignore_index=True)


def _block_digest(
    pan: _Panel,
    train: np.ndarray,
    cut: pd.Timestamp,
    end: pd.Timestamp | None,
    qs: list[float],
    names: list[str],
    s: MetaSettings,
) -> str:
    """Digest of everything a block's fit reads: its training panel, members, levels, dates and settings."""
    return digest_parts(
        "meta.block.v1",
        names,
        qs,
        str(cut.date()),
        str(end.date()) if end is not None else None,
        repr(s),
        np.ascontiguousarray(pan.Z[:, train, :]),
        np.ascontiguousarray(pan.present[train]),
        np.ascontiguousarray(pan.zy[train]),
        np.ascontiguousarray(pan.scale[train]),
        pan.idx[train].to_numpy(dtype="datetime64[ns]").view("int64"),
    )[:32]


def predict_meta(
    members: pd.DataFrame,
    weights: pd.DataFrame,
    targets: pd.DataFrame,
    zl: pd.DataFrame,
    settings: MetaSettings | None = None,
    scale: VolScale | None = None,
) -> pd.DataFrame:
    """Meta predictions from fitted weights: ``sort(b + sum_m w_m z_m) * scale_h`` per origin.

    Parameters
    ----------
    members : pandas.DataFrame
        Output of :func:`meta_members`.
    weights : pandas.DataFrame
        Output of :func:`fit_meta_weights` on the same members and targets.
    targets : pandas.DataFrame
        Realised targets (which origins of a block are OOF rows).
    zl : pandas.DataFrame
        ``trade_date, log_close`` sorted by date.
    settings : MetaSettings, optional
    scale : VolScale, optional
        The z scale the weights were fitted on (None: the EWMA walk).

    Returns
    -------
    pandas.DataFrame
        Long format, model ``settings.model``: ``split='oof'`` rows for every origin of a block that has a
        realised target (``fold_id`` = block id), ``split='live'`` rows for the L0 live origins (``fold_id``
        -1), quantiles sorted per row.
    """
    s = settings or MetaSettings()
    m, t, wt = _norm_dates(members), _norm_dates(targets), _norm_dates(weights)
    vs = _vol_scale(zl, s, scale)
    qs = [round(q, _Q_DEC) for q in s.quantiles]
    names = _member_names(m, s, vs.reference)
    preds = []
    by_h = _by_horizon(m)
    for h in s.horizons:
        wh = wt[wt["horizon_days"] == h]
        if wh.empty:
            continue
        mh = by_h.get(int(h), m.iloc[:0])
        pan = _oof_panel(mh, t, vs.series(h), h, qs, names)
        for fid, g in wh[wh["fold_id"] >= 0].groupby("fold_id", sort=True):
            b, w = _block_params(g, qs, names)
            cut, end = pd.Timestamp(g["cutoff"].iloc[0]), pd.Timestamp(g["block_end"].iloc[0])
            rows = pan.realised & np.asarray(pan.idx >= cut) & np.asarray(pan.idx < end)
            vals = _predict_block(pan.Z, rows, b, w) * pan.scale[rows][:, None]
            preds.append(
                long_predictions(
                    pan.idx[rows], h, pan.tvals[rows], s.model, qs, np.sort(vals, axis=1), "oof", int(cast(int, fid))
                )
            )
        live_w = wh[wh["fold_id"] == -1]
        live = _live_panel(mh, vs.series(h), h, qs, names)
        if len(live) and len(live_w):
            b, w = _block_params(live_w, qs, names)
            sc = vs.at(h, live.index)
            vals = _predict_block(_cube(live, names, qs), np.ones(len(live), dtype=bool), b, w) * sc[:, None]
            live_t = _live_target_dates(mh, h, pd.DatetimeIndex(live.index))
            preds.append(long_predictions(live.index, h, live_t, s.model, qs, np.sort(vals, axis=1), "live", -1))
    if not preds:
        return long_predictions([], 1, [], s.model, qs, np.empty((0, len(qs))), "oof", 0)[list(PREDICTION_COLUMNS)]
    return pd.concat(preds, ignore_index=True)[list(PREDICTION_COLUMNS)]


def _block_params(rows: pd.DataFrame, qs: list[float], names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Intercepts ``(k,)`` and weights ``(k, M)`` of one fitted block, members in the order ``names``."""
    wide = rows.pivot(index="quantile", columns="member", values="weight").reindex(index=qs)
    return (
        np.ascontiguousarray(wide[INTERCEPT].to_numpy(dtype="float64")),
        np.ascontiguousarray(wide[names].to_numpy(dtype="float64")),
    )


def fit_predict_meta(
    members: pd.DataFrame,
    targets: pd.DataFrame,
    zl: pd.DataFrame,
    settings: MetaSettings | None = None,
    scale: VolScale | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`fit_meta_weights` then :func:`predict_meta`: (predictions, weights).

    Parameters
    ----------
    members, targets, zl : pandas.DataFrame
        See :func:`fit_meta_weights`.
    settings : MetaSettings, optional
    scale : VolScale, optional
        The z scale (None: the EWMA walk).

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
    """
    weights = fit_meta_weights(members, targets, zl, settings, scale=scale)
    return predict_meta(members, weights, targets, zl, settings, scale), weights


def _live_target_dates(m: pd.DataFrame, h: int, origins: pd.DatetimeIndex) -> np.ndarray:
    """Target dates of live origins as given by the L0 live rows (first member with a value)."""
    live = m[(m["split"] == "live") & (m["horizon_days"] == h) & ~m["model"].isin(_BASELINES)]
    td = live.drop_duplicates("as_of_date").set_index("as_of_date")["target_date"]
    return td.reindex(origins).to_numpy()


def _weight_rows(
    fid: int,
    cut: pd.Timestamp,
    end: pd.Timestamp | None,
    h: int,
    qs: list[float],
    names: list[str],
    b: np.ndarray,
    w: np.ndarray,
    n_train: int,
) -> pd.DataFrame:
    """Tidy weight rows of one fit (members + intercept)."""
    k, M = w.shape
    member = np.array([*names, INTERCEPT], dtype=object)
    vals = np.column_stack([w, b])
    return pd.DataFrame(
        {
            "fold_id": np.int64(fid),
            "cutoff": pd.Timestamp(cut),
            "block_end": pd.Timestamp(end) if end is not None else pd.NaT,
            "horizon_days": np.int64(h),
            "quantile": np.repeat(qs, M + 1),
            "member": np.tile(member, k),
            "bucket": np.tile(np.array([bucket_of(str(m)) for m in member], dtype=object), k),
            "weight": vals.reshape(-1),
            "n_train": np.int64(n_train),
        }
    ).astype({"cutoff": "datetime64[ns]", "block_end": "datetime64[ns]"})


# --------------------------------------------------------------------------- attribution
def bucket_of(member: str) -> str:
    """BI label of a member: ``specialist_crush`` -> ``crush``, ``core_ts`` -> ``core``, ``rw_*`` -> ``random_walk``.

    Parameters
    ----------
    member : str

    Returns
    -------
    str
    """
    if member.startswith("specialist_"):
        return member[len("specialist_") :]
    if member == "core_ts":
        return "core"
    if member == "lightgbm_zl":
        return "lightgbm"
    if member in _BASELINES:
        return "random_walk"
    return member


def attribution(
    members: pd.DataFrame,
    meta_preds: pd.DataFrame,
    weights: pd.DataFrame,
    zl: pd.DataFrame,
    final: pd.DataFrame | None = None,
    lam: float = EWMA_LAMBDA,
    scale: VolScale | None = None,
) -> pd.DataFrame:
    """How much each member (bucket) moved the median away from the reference random walk's median.

    For an origin ``d`` of block ``k``: ``contribution_m = w_{m,0.5}^{(k)} * (median_m(d) - median_rw(d))``
    (log return). With the simplex weights the contributions plus the intercept row
    (``b * scale_h``) add up exactly to ``meta median - rw median`` (before the per-row sort, which
    only matters when quantiles cross). With ``final`` (the L2 output) a row ``l2_adjustment`` (final median -
    meta median) makes them add up to the final median's shift.

    Parameters
    ----------
    members : pandas.DataFrame
        Output of :func:`meta_members`.
    meta_preds, weights : pandas.DataFrame
        Output of :func:`fit_predict_meta`.
    zl : pandas.DataFrame
        ``trade_date, log_close`` (log of the price in US cents/lb).
    final : pandas.DataFrame, optional
        L2 predictions (long format, one model).
    lam : float
        EWMA decay of the z scale (when ``scale`` is None).
    scale : VolScale, optional
        The z scale of the meta and its reference member (None: the EWMA walk, ``rw_ewma``).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`ATTRIBUTION_COLUMNS`; ``contribution_cents = price * (exp(contribution_logret) - 1)``
        with ``price`` the as-of close in US cents/lb.
    """
    m = _norm_dates(members)
    mp = _norm_dates(meta_preds)
    w = _norm_dates(weights)
    mp = mp[mp["quantile"] == 0.5]
    w = w[w["quantile"] == 0.5]
    med = m[m["quantile"] == 0.5]
    vs = scale if scale is not None else VolScale.ewma(zl, sorted(set(mp["horizon_days"].astype(int))), lam)
    price = pd.Series(np.exp(zl["log_close"].to_numpy(dtype="float64")), index=pd.DatetimeIndex(zl["trade_date"]))
    out = []
    for (split, key), g in mp.groupby(["split", "horizon_days"], sort=True):
        h = int(cast(int, key))
        mh = med[med["horizon_days"] == h]
        trained = mh[~mh["model"].isin(_BASELINES) & (mh["split"] == split)]
        base = mh[mh["model"].isin(_BASELINES)]
        vals = (
            pd.concat([trained, base])
            .drop_duplicates(["model", "as_of_date"])
            .pivot(index="as_of_date", columns="model", values="value")
        )
        vals = vals.reindex(pd.DatetimeIndex(g["as_of_date"]))
        rw = vals[vs.reference].to_numpy()
        shift = vals.sub(rw, axis=0).fillna(0.0)
        wh = w[w["horizon_days"] == h].pivot(index="fold_id", columns="member", values="weight")
        wrow = wh.reindex(g["fold_id"].to_numpy())
        scale_h = vs.at(h, g["as_of_date"])
        p0 = price.reindex(pd.DatetimeIndex(g["as_of_date"])).to_numpy()
        base_cols = {
            "as_of_date": g["as_of_date"].to_numpy(),
            "horizon_days": np.int64(h),
            "target_date": g["target_date"].to_numpy(),
            "split": split,
            "fold_id": g["fold_id"].to_numpy(),
            "price_cents": p0,
        }
        for member in wh.columns:
            wt = wrow[member].to_numpy(dtype="float64")
            if member == INTERCEPT:
                msh, contrib = np.zeros(len(g)), wt * scale_h
            else:
                msh = shift[member].to_numpy() if member in shift else np.zeros(len(g))
                contrib = wt * msh
            out.append(
                pd.DataFrame(
                    {
                        **base_cols,
                        "member": member,
                        "bucket": bucket_of(str(member)),
                        "weight": wt,
                        "member_median_logret": msh,
                        "contribution_logret": contrib,
                    }
                )
            )
        if final is not None:
            f = _norm_dates(final)
            f = f[(f["quantile"] == 0.5) & (f["split"] == split) & (f["horizon_days"] == h)]
            fv = f.set_index("as_of_date")["value"].reindex(pd.DatetimeIndex(g["as_of_date"])).to_numpy()
            adj = fv - g["value"].to_numpy()
            out.append(
                pd.DataFrame(
                    {
                        **base_cols,
                        "member": "l2_adjustment",
                        "bucket": "l2_adjustment",
                        "weight": np.nan,
                        "member_median_logret": np.nan,
                        "contribution_logret": adj,
                    }
                )
            )
    if not out:
        return pd.DataFrame(columns=list(ATTRIBUTION_COLUMNS))
    res = pd.concat(out, ignore_index=True)
    for c in ("member_median_logret", "contribution_logret"):
        v = res[c].to_numpy(dtype="float64")
        res[c] = np.where(np.abs(v) < 1e-12, 0.0, v)  # no -0.0 / round-off noise in BI tables
    res["contribution_cents"] = res["price_cents"] * np.expm1(res["contribution_logret"])
    res = res[np.isfinite(res["contribution_logret"].to_numpy(dtype="float64"))]
    return (
        res[list(ATTRIBUTION_COLUMNS)]
        .sort_values(["split", "horizon_days", "as_of_date", "member"])
        .reset_index(drop=True)
    )
