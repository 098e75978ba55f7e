"""Fixtures shared by the unit and integration suites: the deterministic demo data set, written once."""

from __future__ import annotations

from pathlib import Path

import pytest

from zlcast.data.demo_data import write_demo_data


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The deterministic demo data set, written to a temporary folder (read it, never change it)."""
    return write_demo_data(tmp_path_factory.mktemp("demo") / "data")


@pytest.fixture
def offline_hub(monkeypatch: pytest.MonkeyPatch) -> None:
    """No model hub: Hugging Face offline, CPU device (foundation models load from local paths or fall back)."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.setenv("ZL_DEVICE", "cpu")
