"""Trained-predictor store: fingerprints, atomic publication, retrain policy.

A fitted predictor is identified by a **fingerprint**: the sha256 of the
canonical JSON (sorted keys, no whitespace) of

``{model, horizon, cutoff, features (sorted), settings (model-relevant keys),
version (zlcast), extra}``

where ``extra`` carries anything else that defines the fit (e.g. the fold kind
and a digest of the training data). The same inputs always give the same
fingerprint, so a rerun finds its predictor and fits nothing.

:class:`PredictorStore` keeps one directory per fingerprint under ``root``::

    root/<fingerprint>/manifest.json   # small JSON manifest (model, horizon, cutoff, kind, ...)
    root/<fingerprint>/...             # whatever the model saved (e.g. an AutoGluon predictor)

Publication is atomic: the model is trained into ``root/.tmp-<fingerprint>-<random>``
and the directory is renamed into place; readers never see a half-written
predictor, and of two concurrent writers the first rename wins.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from zlcast import __version__
from zlcast.settings import ForecastSettings

__all__ = [
    "MANIFEST_NAME",
    "PredictorStore",
    "canonical_json",
    "digest_parts",
    "fingerprint",
    "frame_digest",
    "live_cutoff",
]

MANIFEST_NAME = "manifest.json"


def _default(o: Any) -> Any:
    """JSON fallback for dates, numpy scalars and tuples."""
    if isinstance(o, (pd.Timestamp, dt.date, np.datetime64)):
        return pd.Timestamp(o).isoformat()
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, (set, frozenset)):
        return sorted(o)
    raise TypeError(f"cannot serialise {type(o).__name__} into a fingerprint")


def canonical_json(obj: Any) -> str:
    """Canonical JSON text (sorted keys, compact separators).

    Parameters
    ----------
    obj : Any
        JSON-serialisable data; dates become ISO strings.

    Returns
    -------
    str
    """
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=_default, allow_nan=True)


def fingerprint(
    model: str,
    horizon: int,
    cutoff: pd.Timestamp | str | dt.date,
    features: Sequence[str],
    settings: ForecastSettings | Mapping[str, Any],
    version: str = __version__,
    extra: Mapping[str, Any] | None = None,
) -> str:
    """Fingerprint of one fit.

    Parameters
    ----------
    model : str
        Model name (e.g. ``specialist_crush``).
    horizon : int
        Horizon in trading days.
    cutoff : date-like
        Training cutoff (fold ``val_start`` or the live cutoff).
    features : sequence of str
        Feature columns (order-insensitive).
    settings : ForecastSettings or Mapping
        Settings; for :class:`ForecastSettings` only :meth:`~ForecastSettings.model_dict` counts.
    version : str
        Package version.
    extra : Mapping, optional
        Further identity (fold kind, training-data digest, ...).

    Returns
    -------
    str
        64 hex characters.
    """
    s = settings.model_dict() if isinstance(settings, ForecastSettings) else dict(settings)
    payload = {
        "model": str(model),
        "horizon": int(horizon),
        "cutoff": pd.Timestamp(cutoff).date().isoformat(),
        "features": sorted(str(f) for f in features),
        "settings": s,
        "version": str(version),
        "extra": dict(extra or {}),
    }
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


def digest_parts(*parts: Any) -> str:
    """Stable sha256 hex digest of a sequence of parts (the key of a stored time-series predictor).

    Parameters
    ----------
    *parts : Any
        JSON-able values (hashed as sorted-key JSON, ``str`` for anything else) or numpy arrays (hashed by
        their bytes); a zero byte separates the parts.

    Returns
    -------
    str
        64 hex characters.
    """
    h = hashlib.sha256()
    for part in parts:
        if isinstance(part, np.ndarray):
            h.update(np.ascontiguousarray(part).tobytes())
        else:
            h.update(json.dumps(part, sort_keys=True, default=str).encode())
        h.update(b"\x00")
    return h.hexdigest()


def frame_digest(df: pd.DataFrame) -> str:
    """Digest of a frame's values, robust to last-bit float noise.

    Floats are rounded to float32 before hashing, so recomputing the same
    features upstream (e.g. a parallel DuckDB sum) does not force a refit,
    while any real revision of the data does.

    Parameters
    ----------
    df : pandas.DataFrame

    Returns
    -------
    str
        sha256 hex digest of column names, dtypes and values.
    """
    h = hashlib.sha256()
    h.update(canonical_json([str(c) for c in df.columns]).encode())
    for c in df.columns:
        col = df[c]
        if pd.api.types.is_float_dtype(col):
            arr = col.to_numpy(dtype="float64").astype("float32")
            arr = np.where(np.isnan(arr), np.float32(np.nan), arr)
            h.update(np.ascontiguousarray(arr).tobytes())
        else:
            h.update(pd.util.hash_pandas_object(col, index=False).to_numpy().tobytes())
    return h.hexdigest()


class PredictorStore:
    """Directory of published predictors keyed by fingerprint.

    Parameters
    ----------
    root : str or os.PathLike
        Store directory (created on first publication).
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"PredictorStore({str(self.root)!r})"

    def path_for(self, fp: str) -> Path:
        """Directory of a fingerprint (may not exist).

        Parameters
        ----------
        fp : str

        Returns
        -------
        pathlib.Path
        """
        if not fp or any(ch in fp for ch in "/\\."):
            raise ValueError(f"invalid fingerprint {fp!r}")
        return self.root / fp

    def exists(self, fp: str) -> bool:
        """True when the fingerprint is published (directory with manifest).

        Parameters
        ----------
        fp : str

        Returns
        -------
        bool
        """
        return (self.path_for(fp) / MANIFEST_NAME).is_file()

    def manifest(self, fp: str) -> dict[str, Any]:
        """Read a published predictor's manifest.

        Parameters
        ----------
        fp : str

        Returns
        -------
        dict

        Raises
        ------
        FileNotFoundError
            When the fingerprint is not published.
        """
        return json.loads((self.path_for(fp) / MANIFEST_NAME).read_text())

    def publish(
        self,
        fp: str,
        build: Callable[[Path], Mapping[str, Any] | None],
        manifest: Mapping[str, Any] | None = None,
    ) -> Path:
        """Train into a temporary directory and rename it into place.

        Parameters
        ----------
        fp : str
            Fingerprint.
        build : callable
            ``build(tmp_dir)`` writes the predictor into ``tmp_dir`` (which
            exists and is empty); it may return extra manifest entries.
        manifest : Mapping, optional
            Manifest entries (model, horizon, cutoff, kind, ...).

        Returns
        -------
        pathlib.Path
            The published directory. When another writer published the same
            fingerprint first, its directory is kept and this build discarded.
        """
        final = self.path_for(fp)
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / f".tmp-{fp}-{uuid.uuid4().hex[:8]}"
        tmp.mkdir()
        try:
            extra = build(tmp) or {}
            meta = {
                **dict(manifest or {}),
                **dict(extra),
                "fingerprint": fp,
                "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "zlcast_version": __version__,
            }
            (tmp / MANIFEST_NAME).write_text(canonical_json(meta))
            if self.exists(fp):
                shutil.rmtree(tmp, ignore_errors=True)
                return final
            if final.exists():  # a leftover without manifest (crashed writer)
                shutil.rmtree(final, ignore_errors=True)
            try:
                os.rename(tmp, final)
            except OSError:
                if not self.exists(fp):
                    raise
                shutil.rmtree(tmp, ignore_errors=True)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return final

    def entries(self) -> pd.DataFrame:
        """Manifests of every published predictor.

        Returns
        -------
        pandas.DataFrame
            One row per manifest (columns = union of manifest keys); empty when
            the store is empty.
        """
        rows = []
        if self.root.is_dir():
            for p in sorted(self.root.iterdir()):
                m = p / MANIFEST_NAME
                if not p.name.startswith(".") and m.is_file():
                    rows.append(json.loads(m.read_text()))
        return pd.DataFrame(rows)

    def previous_cutoff(
        self, model: str, horizon: int, kind: str = "live", before: pd.Timestamp | None = None
    ) -> pd.Timestamp | None:
        """Latest published cutoff of a model's live predictor.

        Parameters
        ----------
        model : str
        horizon : int
        kind : str
            Manifest ``kind`` (``'live'``).
        before : pandas.Timestamp, optional
            Ignore cutoffs after this date (e.g. when the data were truncated).

        Returns
        -------
        pandas.Timestamp or None
        """
        e = self.entries()
        need = {"model", "horizon", "kind", "cutoff"}
        if e.empty or not need.issubset(e.columns):
            return None
        e = e[(e["model"] == model) & (e["horizon"] == int(horizon)) & (e["kind"] == kind)]
        cut = pd.to_datetime(e["cutoff"])
        if before is not None:
            cut = cut[cut <= pd.Timestamp(before)]
        return None if cut.empty else pd.Timestamp(cut.max())


def live_cutoff(
    last_date: pd.Timestamp,
    previous_cutoff: pd.Timestamp | None,
    trading_dates: Sequence[Any] | pd.DatetimeIndex | pd.Series,
    retrain_after_days: int,
) -> pd.Timestamp:
    """Training cutoff of the live predictor.

    Keep the previous cutoff until it is ``retrain_after_days`` trading days
    old; then (or when there is none, or it is not usable) move to ``last_date``.

    Parameters
    ----------
    last_date : pandas.Timestamp
        Latest trading date of the data.
    previous_cutoff : pandas.Timestamp or None
        Cutoff of the stored live predictor.
    trading_dates : array-like of dates
    retrain_after_days : int

    Returns
    -------
    pandas.Timestamp
        ``previous_cutoff`` if it is a trading date ``<= last_date`` and fewer
        than ``retrain_after_days`` trading dates lie in ``(previous_cutoff, last_date]``;
        otherwise ``last_date``.
    """
    last = pd.Timestamp(last_date)
    if previous_cutoff is None or pd.isna(previous_cutoff):
        return last
    prev = pd.Timestamp(previous_cutoff)
    idx = pd.DatetimeIndex(pd.to_datetime(pd.Series(trading_dates)).to_numpy())
    if prev > last or prev not in idx:
        return last
    age = int(((idx > prev) & (idx <= last)).sum())
    return prev if age < int(retrain_after_days) else last
