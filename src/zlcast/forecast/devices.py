"""Torch device selection shared by the foundation-model forecasters (Chronos-Bolt, Mitra).

Order: an explicit ``override`` argument, else the ``ZL_DEVICE`` environment variable, else auto-detection
cuda -> mps -> cpu. ``"auto"`` (or an empty string) in either place means auto-detection. An explicit request for
an accelerator that is not available logs one warning and falls back to auto-detection, so the same config runs
on a GPU box and on a laptop. torch is imported lazily; without torch the answer is ``"cpu"``.
"""

from __future__ import annotations

import logging
import os

__all__ = ["ENV_VAR", "choose_device"]

logger = logging.getLogger(__name__)

ENV_VAR = "ZL_DEVICE"
_AUTO = {"", "auto"}


def _cuda_available() -> bool:
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a pinned dependency
        return False
    return bool(torch.cuda.is_available())


def _mps_available() -> bool:
    try:
        import torch
    except ImportError:  # pragma: no cover
        return False
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def _auto() -> str:
    if _cuda_available():
        return "cuda"
    if _mps_available():
        return "mps"
    return "cpu"


def choose_device(override: str | None = None) -> str:
    """Return the torch device string to use: ``"cuda"`` (or ``"cuda:N"``), ``"mps"`` or ``"cpu"``.

    ``override`` wins over the ``ZL_DEVICE`` environment variable, which wins over auto-detection.
    """
    requested = override if override is not None else os.environ.get(ENV_VAR)
    if requested is None:
        return _auto()
    req = requested.strip().lower()
    if req in _AUTO:
        return _auto()
    if req == "cpu":
        return "cpu"
    if req == "cuda" or req.startswith("cuda:"):
        if _cuda_available():
            return req
    elif req == "mps":
        if _mps_available():
            return "mps"
    else:
        raise ValueError(f"unknown device {requested!r}: expected one of auto, cpu, cuda, cuda:N, mps")
    fallback = _auto()
    logger.warning("devices: %s requested but not available; using %s", req, fallback)
    return fallback
