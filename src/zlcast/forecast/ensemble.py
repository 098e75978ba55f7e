"""L2 ensemble: blend meta + core, smooth causally, calibrate the bands, emit the final distribution.

Every step works on the vol-standardised scale ``z = value / scale_h(d)`` of
:mod:`zlcast.forecast.specialists` / :mod:`zlcast.forecast.meta` (the project's ``vol_scale``,
:class:`zlcast.forecast.volatility.VolScale`: ``sigma_ewma(d) * sqrt(h)`` or the HAR forecast), per
horizon, with walk-forward blocks of ``block_months`` calendar months (block ``k`` starts at ``s_k``;
its parameters use only rows whose realised ``target_date < s_k``):

1. **Blend** ``z = a_k * z_meta + (1 - a_k) * z_core`` quantile by quantile; ``a_k`` is the grid value
   with the lowest pinball (all levels, log-return scale) on the past rows. Origins without a core
   prediction use the meta alone.
2. **Smooth** each z-quantile with a causal EWMA over consecutive origins
   (``s_t = (1 - a) s_{t-1} + a x_t``, ``a = 1 - 0.5 ** (1 / halflife)``): only past and present
   predictions enter, never targets. Smoothing z (not the log return) keeps the band tracking the
   current scale.
3. **Calibrate**: for each pair of levels ``(tau, 1 - tau)`` a scale ``c`` of the distance to the
   median. Default mode ``online`` (adaptive conformal inference, :func:`online_scales`): a per-origin
   scale that every resolved outcome nudges, up after a miss of the band and down after a hit, so
   that the long-run share inside is ``1 - 2 tau`` whatever the regime. Block modes fit one scale per
   block on the past rows: ``symmetric`` such that a share ``1 - 2 tau`` of the past outcomes fall
   inside the scaled band (``c`` = weighted quantile of ``|y - m| / (half-width on y's side)``),
   ``tails`` each side on its own, ``pinball`` the pinball-optimal scale; each shrunk toward 1 by
   ``calib_prior_obs`` pseudo-outcomes against the ``n_rows / h`` independent outcomes the
   overlapping h-day targets hold. The median is not moved.
4. **Monotone**: quantiles are sorted per row and spaced by at least ``min_gap`` (z units).

Defaults (chosen before looking at 2020-2025)
---------------------------------------------
Calibration variants were compared on 2013-2019 by running this layer on a meta fed only with the
computed random-walk members (the L0 OOF starts in 2016), skill vs the random walk at 5/20/60 days:
none 0.0/0.0/0.0% (coverage 80/83/82%), coverage scale -0.06/-0.15/-0.77%, pinball scale
-0.06/-0.15/-0.73%, 730-day half-life -0.05/-0.19/-0.82%, prior 5 -0.06/-0.12/-0.51%, prior 20
-0.05/-0.06/-0.26% (coverage 81/82/82%). Every calibration cost pinball there, least with
``calib_prior_obs=20`` (kept: the step is wanted for regime shifts the selection years lack).
Smoothing (``smooth_halflife=2``) and the blend grid changed nothing measurable on 2018-2019 (the
selected meta equals the random walk there), they stay for the product's sake.

That block calibration (prior 20) left the [P10, P90] band of 2020-2025 at 75% (20 days) and 72%
(60 days): scales learned on calm years do not follow a regime shift. The default is now the
``online`` mode with ``calib_gamma=0.005``, the step Gibbs & Candes (2021) use throughout, not tuned
here (the switch itself was made after seeing the 2020-2025 coverage, so its 2020-2025 figures are
not a clean test of the choice; its property -- long-run coverage near the target whatever the
data -- does not depend on them). Real data, skill vs the random walk / [P10, P90] coverage:
2017-2019 block -0.24/+0.13/-0.25% (81/81/83%), online -0.30/-0.01/-0.49% (81/80/80%);
2020-2025 block +0.09/-0.20/-0.71% (79/75/72%), online -0.07/-0.34/-1.28% (80/79/81%).
Calibrated bands cost a little pinball where the miss pattern shifts late (60 days).

Output: model ``settings.model`` at ``settings.quantiles`` for every meta OOF origin from the first
block on (``split='oof'``, ``fold_id`` = block id) and for the meta's live origins (``split='live'``,
``fold_id`` -1, blend weight and block scales fitted at the first live origin, smoothing state and online
scales carried over from the OOF series before it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from zlcast.forecast.frames import PREDICTION_COLUMNS, long_predictions
from zlcast.forecast.meta import META_MODEL, recency_weights, walk_forward_blocks
from zlcast.forecast.volatility import VolScale
from zlcast.settings import EWMA_LAMBDA, HORIZONS, QUANTILES, coerce_fields

__all__ = [
    "CORE_MODEL",
    "DIAGNOSTIC_COLUMNS",
    "ENSEMBLE_MODEL",
    "EnsembleSettings",
    "apply_calibration",
    "calibration_scales",
    "causal_ewma",
    "ensemble_forecast",
    "make_monotone",
    "online_scales",
    "weighted_quantile",
]

#: Model name of the final forecast.
ENSEMBLE_MODEL = "zl_ensemble"
#: Model name of the core forecaster blended in.
CORE_MODEL = "core_ts"
#: Columns of the diagnostics frame of :func:`ensemble_forecast`.
DIAGNOSTIC_COLUMNS: tuple[str, ...] = ("fold_id", "cutoff", "horizon_days", "parameter", "value", "n_train")
_Q_DEC = 6


@dataclass(frozen=True)
class EnsembleSettings:
    """Settings of the L2 ensemble (immutable).

    Parameters
    ----------
    horizons : tuple of int
    quantiles : tuple of float
        Output levels, ascending and symmetric around 0.5 (must contain 0.5).
    start : pandas.Timestamp or None
        First block start; None: first meta OOF origin + ``warmup_months`` (month start).
    warmup_months : int
    block_months : int
        Refit frequency (calendar months).
    min_train_origins : int
        Fewer past rows: meta only (``a = 1``) and no calibration (``c = 1``).
    blend_grid : tuple of float
        Candidate meta weights ``a``.
    smooth_halflife : float
        Half-life (origins) of the causal EWMA; 0 or less: no smoothing.
    calibration : {'symmetric', 'tails', 'pinball', 'online', 'none'}
        Block modes: see :func:`calibration_scales`. ``online``: per-origin scales by adaptive conformal
        inference (:func:`online_scales`, step ``calib_gamma``).
    calib_gamma : float
        Step of the ``online`` mode (log scale per resolved outcome).
    calib_prior_obs : float
        Shrinkage of the scales toward 1, in independent outcomes (see :func:`calibration_scales`).
    calib_halflife_days : float or None
        Half-life (calendar days before the block start) of the row weights of the calibration and of
        the blend-weight choice; None: equal.
    calib_window_days : int or None
        Only rows with an origin at most this many calendar days before the block start calibrate.
    scale_bounds : tuple of float
        Calibration scales are clipped to this range.
    min_gap : float
        Minimal spacing of consecutive quantiles (z units).
    lam : float
        EWMA decay of the z scale.
    meta_model, core_model, model : str
        Input and output model names.
    """

    horizons: tuple[int, ...] = HORIZONS
    quantiles: tuple[float, ...] = QUANTILES
    start: pd.Timestamp | None = None
    warmup_months: int = 6
    block_months: int = 3
    min_train_origins: int = 120
    blend_grid: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 1.0)
    smooth_halflife: float = 2.0
    calibration: str = "online"
    calib_gamma: float = 0.005
    calib_prior_obs: float = 20.0
    calib_halflife_days: float | None = None
    calib_window_days: int | None = None
    scale_bounds: tuple[float, float] = (0.5, 2.0)
    min_gap: float = 1e-4
    lam: float = EWMA_LAMBDA
    meta_model: str = META_MODEL
    core_model: str = CORE_MODEL
    model: str = ENSEMBLE_MODEL

    def __post_init__(self) -> None:
        """Normalise types (text from a dbt config is accepted) and validate (raises ``ValueError``)."""
        coerce_fields(self, _ENSEMBLE_KINDS)
        if len(self.scale_bounds) != 2 or not 0 < self.scale_bounds[0] <= 1 <= self.scale_bounds[1]:
            raise ValueError("scale_bounds must be (low <= 1, high >= 1), low > 0")
        q = np.asarray(self.quantiles)
        if np.any(np.diff(q) <= 0) or not np.allclose(q + q[::-1], 1.0) or not np.any(np.isclose(q, 0.5)):
            raise ValueError("quantiles must be ascending, symmetric around 0.5 and contain 0.5")
        if self.calibration not in {"symmetric", "tails", "pinball", "online", "none"}:
            raise ValueError("calibration must be 'symmetric', 'tails', 'pinball', 'online' or 'none'")
        if not self.calib_gamma > 0:
            raise ValueError("calib_gamma must be > 0")
        if not self.blend_grid or min(self.blend_grid) < 0 or max(self.blend_grid) > 1:
            raise ValueError("blend_grid values must lie in [0, 1]")


_ENSEMBLE_KINDS = {
    "horizons": "ints",
    "quantiles": "floats",
    "start": "opt_date",
    "warmup_months": "int",
    "block_months": "int",
    "min_train_origins": "int",
    "blend_grid": "floats",
    "smooth_halflife": "float",
    "calibration": "str",
    "calib_gamma": "float",
    "calib_prior_obs": "float",
    "calib_halflife_days": "opt_float",
    "calib_window_days": "opt_int",
    "scale_bounds": "floats",
    "min_gap": "float",
    "lam": "float",
    "meta_model": "str",
    "core_model": "str",
    "model": "str",
}


# --------------------------------------------------------------------------- building blocks
def causal_ewma(x: np.ndarray, halflife: float) -> np.ndarray:
    """Causal exponential smoothing down the rows: ``s_t = (1 - a) s_{t-1} + a x_t``, ``s_0 = x_0``.

    Parameters
    ----------
    x : numpy.ndarray, shape (n,) or (n, k)
    halflife : float
        In rows; ``<= 0`` returns a copy of ``x``.

    Returns
    -------
    numpy.ndarray
        Same shape; row ``t`` depends on rows ``<= t`` only.
    """
    x = np.asarray(x, dtype="float64")
    if halflife <= 0 or len(x) == 0:
        return x.copy()
    a = 1.0 - 0.5 ** (1.0 / float(halflife))
    out = np.empty_like(x)
    out[0] = x[0]
    for t in range(1, len(x)):
        out[t] = (1.0 - a) * out[t - 1] + a * x[t]
    return out


def weighted_quantile(values: np.ndarray, weights: np.ndarray, level: float) -> float:
    """Weighted quantile (inverse of the weighted empirical CDF, lower value at ties).

    Parameters
    ----------
    values, weights : numpy.ndarray, shape (n,)
    level : float in [0, 1]

    Returns
    -------
    float
    """
    v = np.asarray(values, dtype="float64")
    w = np.asarray(weights, dtype="float64")
    order = np.argsort(v, kind="stable")
    cw = np.cumsum(w[order])
    idx = int(np.searchsorted(cw, level * cw[-1], side="left"))
    return float(v[order][min(idx, len(v) - 1)])


def _pinball_scale(
    m: np.ndarray, lo: np.ndarray, hi: np.ndarray, zy: np.ndarray, tau: float, w: np.ndarray, grid: np.ndarray
) -> float:
    """Grid scale ``c`` minimising the weighted pinball of the pair ``(m + c (lo - m), m + c (hi - m))``."""
    e_lo = zy[None, :] - (m[None, :] + grid[:, None] * (lo - m)[None, :])
    e_hi = zy[None, :] - (m[None, :] + grid[:, None] * (hi - m)[None, :])
    loss = np.maximum(tau * e_lo, (tau - 1.0) * e_lo) + np.maximum((1.0 - tau) * e_hi, -tau * e_hi)
    return float(grid[int(np.argmin(loss @ w))])


def calibration_scales(
    zhat: np.ndarray,
    zy: np.ndarray,
    quantiles: Sequence[float],
    weights: np.ndarray | None = None,
    mode: str = "symmetric",
    bounds: tuple[float, float] = (0.5, 2.0),
    prior_obs: float = 0.0,
    overlap: int = 1,
) -> np.ndarray:
    """Scales of the distance to the median that calibrate each band on past rows.

    Parameters
    ----------
    zhat : numpy.ndarray, shape (n, k)
        Past predicted z-quantiles (sorted per row, levels symmetric around 0.5).
    zy : numpy.ndarray, shape (n,)
        Their realised z.
    quantiles : sequence of float, length k
    weights : numpy.ndarray, optional
        Row weights (default equal).
    mode : {'symmetric', 'tails', 'pinball', 'none'}
        ``symmetric``: the weighted ``1 - 2 tau`` quantile of ``|y - m| / half-width`` (band coverage);
        ``tails``: each side on its own (tail share ``tau``); ``pinball``: the grid scale (step 0.01)
        with the lowest weighted pinball of the pair -- uses the size of every miss, not only the count.
    bounds : (float, float)
        Clip range of the scales.
    prior_obs : float
        Shrinkage toward 1: ``log c`` is multiplied by ``n_eff / (n_eff + prior_obs)`` with
        ``n_eff`` = Kish effective rows / ``overlap`` (independent outcomes).
    overlap : int
        Rows sharing one outcome window (the horizon for overlapping h-day targets).

    Returns
    -------
    numpy.ndarray, shape (2, k)
        Row 0: scale of the lower side per level, row 1: of the upper side (1 at the median; in
        ``symmetric``/``pinball`` modes both rows are equal).
    """
    k = len(quantiles)
    out = np.ones((2, k))
    if mode == "none" or len(zy) == 0:
        return out
    w = np.ones(len(zy)) if weights is None else np.asarray(weights, dtype="float64")
    j_med = int(np.argmin(np.abs(np.asarray(quantiles) - 0.5)))
    m = zhat[:, j_med]
    eps = 1e-9
    grid = np.round(np.arange(bounds[0], bounds[1] + 1e-9, 0.01), 10)
    for j in range(j_med):
        jj = k - 1 - j
        tau = float(quantiles[j])
        down = (m - zy) / np.maximum(m - zhat[:, j], eps)
        up = (zy - m) / np.maximum(zhat[:, jj] - m, eps)
        if mode == "symmetric":
            c = weighted_quantile(np.where(zy >= m, up, down), w, 1.0 - 2.0 * tau)
            out[:, j] = out[:, jj] = c
        elif mode == "pinball":
            c = _pinball_scale(m, zhat[:, j], zhat[:, jj], zy, tau, w, grid)
            out[:, j] = out[:, jj] = c
        else:
            out[0, j] = weighted_quantile(down, w, 1.0 - tau)
            out[1, jj] = weighted_quantile(up, w, 1.0 - tau)
    out[0, j_med + 1 :] = out[1, j_med + 1 :]
    out[1, :j_med] = out[0, :j_med]
    out = np.clip(out, bounds[0], bounds[1])
    if prior_obs > 0:
        n_eff = float(w.sum() ** 2 / np.sum(w**2)) / max(int(overlap), 1)
        out = np.exp(np.log(out) * n_eff / (n_eff + float(prior_obs)))
    return out


def online_scales(
    zhat: np.ndarray,
    zy: np.ndarray,
    origins: np.ndarray,
    resolved: np.ndarray,
    quantiles: Sequence[float],
    gamma: float,
    bounds: tuple[float, float] = (0.5, 2.0),
) -> np.ndarray:
    """Per-origin band scales by adaptive conformal inference with delayed outcomes.

    Adaptive conformal inference (Gibbs & Candes 2021) in its quantile-tracking form: each band
    ``(tau, 1 - tau)`` keeps a log scale ``theta`` (start 0). Before origin ``i`` is issued, every row
    ``j`` whose outcome was resolved strictly before it (``resolved[j] < origins[i]``) and not used yet
    updates ``theta += gamma * (miss_j - 2 tau)``, ``miss_j`` = 1 when ``zy[j]`` fell outside the band
    issued at ``j`` (with the scale in force at ``j``). ``theta`` is kept within ``log(bounds)``.
    Whatever the data, the long-run share of misses tends to ``2 tau`` (the bounded ``theta`` forces
    it); with h-day targets the feedback arrives h sessions late, so ``gamma`` trades reaction speed
    for noise.

    Parameters
    ----------
    zhat : numpy.ndarray, shape (n, k)
        Uncalibrated z-quantiles (sorted per row, levels symmetric around 0.5), rows in origin order.
    zy : numpy.ndarray, shape (n,)
        Realised z (NaN where not realised).
    origins, resolved : numpy.ndarray, shape (n,)
        Origin dates (ascending) and the dates the outcomes become known (target dates).
    quantiles : sequence of float, length k
    gamma : float
        Step size (> 0).
    bounds : (float, float)
        Range of the scales.

    Returns
    -------
    numpy.ndarray, shape (n, 2, k)
        Per row the lower-side (``[:, 0]``) and upper-side (``[:, 1]``) scales, as
        :func:`calibration_scales` returns them (1 at the median; both sides equal).
    """
    q = np.asarray(quantiles, dtype="float64")
    k, n = len(q), len(zhat)
    j_med = int(np.argmin(np.abs(q - 0.5)))
    lo_idx = np.arange(j_med)
    hi_idx = k - 1 - lo_idx
    tau2 = 2.0 * q[lo_idx]
    lo_b, hi_b = np.log(bounds[0]), np.log(bounds[1])
    org = np.asarray(origins, dtype="datetime64[ns]")
    res = np.asarray(resolved, dtype="datetime64[ns]")
    if n > 1 and np.any(org[1:] < org[:-1]):
        raise ValueError("online_scales: origins must be ascending")
    zy = np.asarray(zy, dtype="float64")
    m = zhat[:, j_med]
    queue = [j for j in np.argsort(res, kind="stable") if np.isfinite(zy[j]) and not np.isnat(res[j])]
    theta = np.zeros(j_med)
    used = np.zeros((n, j_med))
    ptr = 0
    for i in range(n):
        while ptr < len(queue) and res[queue[ptr]] < org[i]:
            j = queue[ptr]
            c = np.exp(used[j])
            lo = m[j] + c * (zhat[j, lo_idx] - m[j])
            hi = m[j] + c * (zhat[j, hi_idx] - m[j])
            miss = ((zy[j] < lo) | (zy[j] > hi)).astype("float64")
            theta = np.clip(theta + gamma * (miss - tau2), lo_b, hi_b)
            ptr += 1
        used[i] = theta
    out = np.ones((n, 2, k))
    out[:, :, lo_idx] = np.exp(used)[:, None, :]
    out[:, :, hi_idx] = np.exp(used)[:, None, :]
    return out


def apply_calibration(zhat: np.ndarray, scales: np.ndarray, quantiles: Sequence[float]) -> np.ndarray:
    """Scale each quantile's distance to the median.

    Parameters
    ----------
    zhat : numpy.ndarray, shape (n, k)
    scales : numpy.ndarray, shape (2, k) or (n, 2, k)
        Output of :func:`calibration_scales` (row 0 used below the median, row 1 above), or per-row
        scales of :func:`online_scales`.
    quantiles : sequence of float

    Returns
    -------
    numpy.ndarray, shape (n, k)
    """
    q = np.asarray(quantiles, dtype="float64")
    j_med = int(np.argmin(np.abs(q - 0.5)))
    m = zhat[:, [j_med]]
    sc = np.asarray(scales, dtype="float64")
    s = np.where(q < 0.5, sc[..., 0, :], sc[..., 1, :])
    return m + (zhat - m) * (s[None, :] if sc.ndim == 2 else s)


def make_monotone(values: np.ndarray, min_gap: float = 0.0) -> np.ndarray:
    """Sort each row and push apart quantiles closer than ``min_gap`` (upwards from the median).

    Parameters
    ----------
    values : numpy.ndarray, shape (n, k)
    min_gap : float

    Returns
    -------
    numpy.ndarray
        Strictly increasing rows when ``min_gap > 0``.
    """
    v = np.sort(np.asarray(values, dtype="float64"), axis=1)
    if min_gap <= 0 or v.shape[1] < 2:
        return v
    k = v.shape[1]
    mid = k // 2
    for j in range(mid + 1, k):
        v[:, j] = np.maximum(v[:, j], v[:, j - 1] + min_gap)
    for j in range(mid - 1, -1, -1):
        v[:, j] = np.minimum(v[:, j], v[:, j + 1] - min_gap)
    return v


def _pinball(zhat: np.ndarray, zy: np.ndarray, quantiles: Sequence[float], w: np.ndarray) -> float:
    """Weighted mean pinball over rows and levels."""
    q = np.asarray(quantiles, dtype="float64")[None, :]
    e = zy[:, None] - zhat
    loss = np.maximum(q * e, (q - 1.0) * e).mean(axis=1)
    return float(np.sum(w * loss) / np.sum(w))


def _panel(
    preds: pd.DataFrame, model: str, split: str, h: int, qs: list[float], sigma_h: pd.Series
) -> tuple[pd.DataFrame, pd.Series]:
    """(z panel indexed by as_of_date with one column per level, target_date per origin) of one model."""
    p = preds[(preds["model"] == model) & (preds["split"] == split) & (preds["horizon_days"] == h)]
    p = p[p["quantile"].isin(qs)]
    wide = p.pivot(index="as_of_date", columns="quantile", values="value").reindex(columns=qs).dropna()
    scale = sigma_h.reindex(wide.index).to_numpy()
    ok = np.isfinite(scale) & (scale > 0)
    z = wide.div(scale, axis=0).loc[ok]
    tdate = p.drop_duplicates("as_of_date").set_index("as_of_date")["target_date"].reindex(z.index)
    return z, tdate


def _norm(df: pd.DataFrame) -> pd.DataFrame:
    """Copy with ns dates, int64 horizon/fold and rounded quantile."""
    out = df.copy()
    for c in ("as_of_date", "target_date", "trade_date"):
        if c in out:
            out[c] = pd.to_datetime(out[c]).astype("datetime64[ns]")
    for c in ("horizon_days", "fold_id"):
        if c in out:
            out[c] = out[c].astype("int64")
    if "quantile" in out:
        out["quantile"] = out["quantile"].astype("float64").round(_Q_DEC)
    return out


# --------------------------------------------------------------------------- main entry
def ensemble_forecast(
    preds: pd.DataFrame,
    targets: pd.DataFrame,
    zl: pd.DataFrame,
    settings: EnsembleSettings | None = None,
    scale: VolScale | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Final calibrated forecast from the meta and core predictions (walk-forward).

    Parameters
    ----------
    preds : pandas.DataFrame
        Long predictions holding at least the meta model (``settings.meta_model``) and optionally the
        core model (``settings.core_model``), ``oof`` and ``live`` rows.
    targets : pandas.DataFrame
        ``trade_date, horizon_days, target_date, fwd_log_return`` (realised rows).
    zl : pandas.DataFrame
        ``trade_date, log_close`` sorted by date.
    settings : EnsembleSettings, optional
    scale : VolScale, optional
        The h-day z scale (None: the EWMA walk's ``sigma_ewma * sqrt(h)``, decay ``settings.lam``).

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        ``final``: long format (model ``settings.model``, levels ``settings.quantiles``, monotone);
        ``diagnostics``: tidy per block and horizon (columns :data:`DIAGNOSTIC_COLUMNS`), parameters
        ``meta_weight`` and ``scale_lo_qXX`` / ``scale_hi_qXX`` per band level.
    """
    s = settings or EnsembleSettings()
    p = _norm(preds)
    t = _norm(targets)
    vs = scale if scale is not None else VolScale.ewma(zl, s.horizons, s.lam)
    qs = [round(q, _Q_DEC) for q in s.quantiles]
    grid = np.asarray(s.blend_grid, dtype="float64")
    meta_oof_all = p[(p["model"] == s.meta_model) & (p["split"] == "oof")]
    if s.start is not None:
        start = s.start
    else:
        first = meta_oof_all["as_of_date"].min()
        start = (pd.Timestamp(first) + pd.DateOffset(months=s.warmup_months)).to_period("M").to_timestamp()
    out, diag = [], []
    for h in s.horizons:
        sigma_h = vs.series(h)
        zm, _tdate = _panel(p, s.meta_model, "oof", h, qs, sigma_h)
        if zm.empty:
            continue
        zc, _ = _panel(p, s.core_model, "oof", h, qs, sigma_h)
        zc = zc.reindex(zm.index)
        has_core = zc.notna().all(axis=1).to_numpy()
        zc = zc.where(zc.notna(), zm)
        idx = pd.DatetimeIndex(zm.index)
        scale_h = sigma_h.reindex(idx).to_numpy()
        th = t[t["horizon_days"] == h].set_index("trade_date")
        zy = th["fwd_log_return"].reindex(idx).to_numpy() / scale_h
        tvals = th["target_date"].reindex(idx).to_numpy()
        realised = np.isfinite(zy)
        blocks = walk_forward_blocks(idx, start, s.block_months)
        # pass 1: blend weight per block (raw meta/core on past rows), blended series for every origin
        alpha = np.ones(len(idx))
        fits: list[tuple[int, pd.Timestamp, pd.Timestamp, float, np.ndarray]] = []
        for fid, cut, end in blocks.itertuples(index=False):
            train = realised & (tvals < np.datetime64(cut))
            a = _choose_alpha(zm.to_numpy(), zc.to_numpy(), zy, scale_h, train & has_core, qs, cut, idx, grid, s)
            rows = np.asarray(idx >= cut) & np.asarray(idx < end)
            alpha[rows] = a
            fits.append((int(fid), pd.Timestamp(cut), pd.Timestamp(end), a, train))
        blended = alpha[:, None] * zm.to_numpy() + (1.0 - alpha[:, None]) * zc.to_numpy()
        smooth = make_monotone(causal_ewma(blended, s.smooth_halflife))
        # pass 2: calibration per block on the past smoothed rows (online: per origin from resolved outcomes)
        per_row = (
            online_scales(smooth, zy, idx.to_numpy(), tvals, qs, s.calib_gamma, s.scale_bounds)
            if s.calibration == "online"
            else None
        )
        for fid, cut, end, a, train in fits:
            block = np.asarray(idx >= cut) & np.asarray(idx < end)
            rows = block & realised
            if per_row is None:
                sc = _calibrate(smooth, zy, train, cut, idx, qs, s, h)
                row_sc = sc
            else:
                sc = per_row[int(np.argmax(block))] if block.any() else np.ones((2, len(qs)))
                row_sc = per_row[rows]
            zf = make_monotone(apply_calibration(smooth[rows], row_sc, qs), s.min_gap)
            out.append(
                long_predictions(idx[rows], h, tvals[rows], s.model, qs, zf * scale_h[rows][:, None], "oof", fid)
            )
            diag.append(_diag_rows(fid, cut, h, a, sc, qs, int(train.sum())))
        # live
        live = _live(p, h, qs, sigma_h, s, idx, blended, smooth, zy, tvals, realised, grid, zm, zc, has_core, scale_h)
        if live is not None:
            frame, d = live
            out.append(frame)
            diag.append(d)
    final = (
        pd.concat(out, ignore_index=True)
        if out
        else long_predictions([], 1, [], s.model, qs, np.empty((0, len(qs))), "oof", 0)
    )
    dg = pd.concat(diag, ignore_index=True) if diag else pd.DataFrame(columns=list(DIAGNOSTIC_COLUMNS))
    return final[list(PREDICTION_COLUMNS)], dg


def _choose_alpha(
    zm: np.ndarray,
    zc: np.ndarray,
    zy: np.ndarray,
    scale: np.ndarray,
    train: np.ndarray,
    qs: list[float],
    cut: pd.Timestamp,
    idx: pd.DatetimeIndex,
    grid: np.ndarray,
    s: EnsembleSettings,
) -> float:
    """Grid meta weight with the lowest past pinball (log-return scale); 1 without enough rows."""
    if int(train.sum()) < s.min_train_origins:
        return 1.0
    w = scale[train] * recency_weights(idx[train], cut, s.calib_halflife_days)
    losses = [_pinball(np.sort(a * zm[train] + (1 - a) * zc[train], axis=1), zy[train], qs, w) for a in grid]
    return float(grid[int(np.argmin(losses))])


def _calibrate(
    smooth: np.ndarray,
    zy: np.ndarray,
    train: np.ndarray,
    cut: pd.Timestamp,
    idx: pd.DatetimeIndex,
    qs: list[float],
    s: EnsembleSettings,
    h: int,
) -> np.ndarray:
    """Calibration scales from the past rows of one block (ones without enough rows)."""
    rows = train.copy()
    if s.calib_window_days is not None:
        rows &= np.asarray(idx >= pd.Timestamp(cut) - pd.Timedelta(days=int(s.calib_window_days)))
    if int(rows.sum()) < s.min_train_origins:
        return np.ones((2, len(qs)))
    w = recency_weights(idx[rows], cut, s.calib_halflife_days)
    return calibration_scales(smooth[rows], zy[rows], qs, w, s.calibration, s.scale_bounds, s.calib_prior_obs, h)


def _live(
    p: pd.DataFrame,
    h: int,
    qs: list[float],
    sigma_h: pd.Series,
    s: EnsembleSettings,
    idx: pd.DatetimeIndex,
    blended: np.ndarray,
    smooth: np.ndarray,
    zy: np.ndarray,
    tvals: np.ndarray,
    realised: np.ndarray,
    grid: np.ndarray,
    zm: pd.DataFrame,
    zc: pd.DataFrame,
    has_core: np.ndarray,
    scale: np.ndarray,
) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """Live rows: parameters fitted at the first live origin, smoothing continued from the OOF series."""
    lm, ltd = _panel(p, s.meta_model, "live", h, qs, sigma_h)
    if lm.empty:
        return None
    lc, _ = _panel(p, s.core_model, "live", h, qs, sigma_h)
    lc = lc.reindex(lm.index)
    lc = lc.where(lc.notna(), lm)
    cut = pd.Timestamp(lm.index.min())
    train = realised & (tvals < np.datetime64(cut))
    a = _choose_alpha(zm.to_numpy(), zc.to_numpy(), zy, scale, train & has_core, qs, cut, idx, grid, s)
    lb = a * lm.to_numpy() + (1.0 - a) * lc.to_numpy()
    hist = np.asarray(idx < cut)
    series = np.vstack([blended[hist], lb])
    sm_all = make_monotone(causal_ewma(series, s.smooth_halflife))
    n_hist = int(hist.sum())
    if s.calibration == "online":
        origins = np.concatenate([idx[hist].to_numpy(), lm.index.to_numpy()]).astype("datetime64[ns]")
        resolved = np.concatenate(
            [tvals[hist].astype("datetime64[ns]"), np.full(len(lm), np.datetime64("NaT"), dtype="datetime64[ns]")]
        )
        zy_all = np.concatenate([zy[hist], np.full(len(lm), np.nan)])
        row_sc = online_scales(sm_all, zy_all, origins, resolved, qs, s.calib_gamma, s.scale_bounds)[n_hist:]
        sc = row_sc[0]
    else:
        sc = row_sc = _calibrate(smooth, zy, train, cut, idx, qs, s, h)
    zf = make_monotone(apply_calibration(sm_all[n_hist:], row_sc, qs), s.min_gap)
    lscale = sigma_h.reindex(lm.index).to_numpy()
    frame = long_predictions(lm.index, h, ltd.to_numpy(), s.model, qs, zf * lscale[:, None], "live", -1)
    return frame, _diag_rows(-1, cut, h, a, sc, qs, int(train.sum()))


def _diag_rows(
    fid: int, cut: pd.Timestamp, h: int, a: float, sc: np.ndarray, qs: list[float], n_train: int
) -> pd.DataFrame:
    """Tidy diagnostics of one block."""
    names, vals = ["meta_weight"], [a]
    for j, q in enumerate(qs):
        if q < 0.5:
            tag = f"q{round(q * 100):02d}_q{round((1 - q) * 100):02d}"
            names += [f"scale_lo_{tag}", f"scale_hi_{tag}"]
            vals += [float(sc[0, j]), float(sc[1, len(qs) - 1 - j])]
    return pd.DataFrame(
        {
            "fold_id": np.int64(fid),
            "cutoff": pd.Timestamp(cut),
            "horizon_days": np.int64(h),
            "parameter": names,
            "value": vals,
            "n_train": np.int64(n_train),
        }
    ).astype({"cutoff": "datetime64[ns]"})
