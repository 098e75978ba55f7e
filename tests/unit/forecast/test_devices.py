"""zlcast.devices.choose_device: override > ZL_DEVICE > cuda -> mps -> cpu."""

from __future__ import annotations

import logging

import pytest
import torch

from zlcast.forecast.devices import ENV_VAR, choose_device


@pytest.fixture
def accel(monkeypatch: pytest.MonkeyPatch):
    """Set fake cuda / mps availability."""

    def _set(cuda: bool, mps: bool) -> None:
        monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
        monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)

    monkeypatch.delenv(ENV_VAR, raising=False)
    return _set


def test_auto_prefers_cuda_then_mps_then_cpu(accel) -> None:
    accel(cuda=True, mps=True)
    assert choose_device() == "cuda"
    accel(cuda=False, mps=True)
    assert choose_device() == "mps"
    accel(cuda=False, mps=False)
    assert choose_device() == "cpu"


def test_env_var_overrides_auto_detection(accel, monkeypatch: pytest.MonkeyPatch) -> None:
    accel(cuda=True, mps=False)
    monkeypatch.setenv(ENV_VAR, "cpu")
    assert choose_device() == "cpu"


def test_argument_overrides_env_var(accel, monkeypatch: pytest.MonkeyPatch) -> None:
    accel(cuda=True, mps=False)
    monkeypatch.setenv(ENV_VAR, "cpu")
    assert choose_device("cuda") == "cuda"
    assert choose_device("cuda:1") == "cuda:1"
    assert choose_device("auto") == "cuda"


def test_unavailable_accelerator_request_warns_and_falls_back(accel, caplog: pytest.LogCaptureFixture) -> None:
    accel(cuda=False, mps=False)
    with caplog.at_level(logging.WARNING, logger="zlcast.forecast.devices"):
        assert choose_device("cuda") == "cpu"
        assert choose_device("mps") == "cpu"
    assert sum("requested but not available" in r.getMessage() for r in caplog.records) == 2


def test_unknown_device_name_is_rejected(accel) -> None:
    with pytest.raises(ValueError, match="unknown device"):
        choose_device("tpu")
