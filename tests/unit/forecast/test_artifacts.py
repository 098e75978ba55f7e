"""Predictor store: fingerprints, atomic publication, live-cutoff retrain policy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from zlcast.forecast.artifacts import PredictorStore, fingerprint, frame_digest, live_cutoff
from zlcast.settings import ForecastSettings


def _fp(**kw: object) -> str:
    args: dict[str, object] = {
        "model": "specialist_crush",
        "horizon": 20,
        "cutoff": "2024-01-02",
        "features": ["core__a", "crush__b"],
        "settings": ForecastSettings(),
    }
    args.update(kw)
    return fingerprint(**args)  # type: ignore[arg-type]


def test_fingerprint_is_stable_and_feature_order_insensitive() -> None:
    a = _fp()
    assert a == _fp(features=["crush__b", "core__a"])
    assert a == _fp(cutoff=pd.Timestamp("2024-01-02"))
    assert len(a) == 64 and int(a, 16) >= 0


@pytest.mark.parametrize(
    "change",
    [
        {"model": "specialist_fx"},
        {"horizon": 60},
        {"cutoff": "2024-01-03"},
        {"features": ["core__a"]},
        {"settings": ForecastSettings(seed=1)},
        {"version": "9.9.9"},
        {"extra": {"kind": "live"}},
    ],
)
def test_fingerprint_changes_with_every_identity_field(change: dict) -> None:
    assert _fp(**change) != _fp()


def test_fingerprint_ignores_settings_that_do_not_change_a_model() -> None:
    assert _fp(settings=ForecastSettings(artifact_dir="x", retrain_after_days=5)) == _fp()


def test_frame_digest_ignores_float_noise_but_not_revisions() -> None:
    df = pd.DataFrame({"d": pd.bdate_range("2024-01-01", periods=5), "x": np.linspace(0, 1, 5)})
    assert frame_digest(df) == frame_digest(df.assign(x=df["x"] * (1 + 4e-16)))  # last-bit noise
    assert frame_digest(df) != frame_digest(df.assign(x=df["x"] + 1e-3))
    assert frame_digest(df) != frame_digest(df.iloc[:4])


def test_publish_is_atomic_and_writes_a_manifest(tmp_path: Path) -> None:
    store = PredictorStore(tmp_path / "store")
    fp = _fp()
    assert not store.exists(fp)

    def build(d: Path) -> dict:
        (d / "model.bin").write_bytes(b"abc")
        assert not store.exists(fp)  # invisible while building
        return {"best_model": "LightGBM"}

    path = store.publish(
        fp, build, {"model": "specialist_crush", "horizon": 20, "cutoff": "2024-01-02", "kind": "live"}
    )
    assert path == store.path_for(fp) and store.exists(fp)
    assert (path / "model.bin").read_bytes() == b"abc"
    m = store.manifest(fp)
    assert m["fingerprint"] == fp and m["best_model"] == "LightGBM" and m["kind"] == "live"
    assert [p.name for p in (tmp_path / "store").iterdir()] == [fp]  # no temp dir left


def test_failed_build_leaves_nothing_behind(tmp_path: Path) -> None:
    store = PredictorStore(tmp_path)
    fp = _fp()

    def build(d: Path) -> None:
        (d / "half").write_text("x")
        raise RuntimeError("fit crashed")

    with pytest.raises(RuntimeError, match="fit crashed"):
        store.publish(fp, build)
    assert not store.exists(fp)
    assert list(tmp_path.iterdir()) == []


def test_second_publication_of_a_fingerprint_keeps_the_first(tmp_path: Path) -> None:
    store = PredictorStore(tmp_path)
    fp = _fp()
    store.publish(fp, lambda d: (d / "v").write_text("1") and None)
    store.publish(fp, lambda d: (d / "v").write_text("2") and None)
    assert (store.path_for(fp) / "v").read_text() == "1"
    assert len(list(tmp_path.iterdir())) == 1


def test_previous_cutoff_reads_the_latest_live_manifest(tmp_path: Path) -> None:
    store = PredictorStore(tmp_path)
    assert store.previous_cutoff("m", 20) is None
    for cut in ["2024-01-02", "2024-02-01"]:
        store.publish(_fp(cutoff=cut), lambda d: None, {"model": "m", "horizon": 20, "cutoff": cut, "kind": "live"})
    store.publish(
        _fp(cutoff="2024-03-01", extra={"k": 1}),
        lambda d: None,
        {"model": "m", "horizon": 20, "cutoff": "2024-03-01", "kind": "oof"},
    )
    assert store.previous_cutoff("m", 20) == pd.Timestamp("2024-02-01")
    assert store.previous_cutoff("m", 20, before=pd.Timestamp("2024-01-31")) == pd.Timestamp("2024-01-02")
    assert store.previous_cutoff("m", 5) is None


def test_live_cutoff_is_kept_until_it_is_old_enough() -> None:
    dates = pd.bdate_range("2024-01-01", periods=60)
    prev = dates[30]
    assert live_cutoff(dates[30 + 19], prev, dates, 20) == prev  # 19 days old: keep
    assert live_cutoff(dates[30 + 20], prev, dates, 20) == dates[50]  # 20 days old: retrain
    assert live_cutoff(dates[40], None, dates, 20) == dates[40]
    assert live_cutoff(dates[20], prev, dates, 20) == dates[20]  # previous is in the future
    assert live_cutoff(dates[40], pd.Timestamp("2024-01-06"), dates, 20) == dates[40]  # not a trading date
