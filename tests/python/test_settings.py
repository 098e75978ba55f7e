"""ForecastSettings: presets, validation, fingerprint-relevant dict."""

from __future__ import annotations

import dataclasses
import json

import pandas as pd
import pytest

from zlcast.settings import NON_MODEL_KEYS, ForecastSettings, preset_names


def test_default_settings_are_the_fast_preset() -> None:
    s = ForecastSettings()
    assert s == ForecastSettings.from_config({})
    assert s.presets == "fast"
    assert s.horizons == (5, 20, 60)
    assert s.quantiles == (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)
    assert list(s.tabular_hyperparameters) == ["GBM"]
    assert s.num_bag_folds == 0 and not s.tuning
    assert s.fold_months == 12 and s.retrain_after_days == 20
    assert s.oof_start == pd.Timestamp("2020-01-01")


def test_from_config_rejects_unknown_keys_naming_them() -> None:
    with pytest.raises(ValueError, match=r"unknown ForecastSettings key\(s\) \['horizon', 'timelimit'\]"):
        ForecastSettings.from_config({"horizon": 5, "timelimit": 3})


def test_from_config_rejects_unknown_preset() -> None:
    with pytest.raises(ValueError, match="unknown preset 'turbo'"):
        ForecastSettings.from_config({"presets": "turbo"})


def test_overrides_apply_on_top_of_the_named_preset() -> None:
    s = ForecastSettings.from_config({"presets": "quality", "seed": 7, "oof_start": "2021-01-01"})
    assert s.seed == 7 and s.presets == "quality"
    assert s.oof_start == pd.Timestamp("2021-01-01")
    assert set(s.tabular_hyperparameters) == {"GBM", "CAT"}
    assert s.num_bag_folds >= 2


def test_tune_preset_uses_autogluon_hpo_kwargs() -> None:
    s = ForecastSettings.preset("tune", tune_num_trials=4)
    assert s.hyperparameter_tune_kwargs() == {"num_trials": 4, "scheduler": "local", "searcher": "random"}
    assert ForecastSettings().hyperparameter_tune_kwargs() is None


def test_search_spaces_without_tuning_are_rejected() -> None:
    spaces = ForecastSettings.preset("tune").tabular_hyperparameters
    with pytest.raises(ValueError, match="search spaces but tuning is off"):
        ForecastSettings.from_config({"tabular_hyperparameters": spaces})


@pytest.mark.parametrize(
    "override, message",
    [
        ({"quantiles": (0.2, 0.5, 0.8)}, "must include 0.1, 0.5 and 0.9"),
        ({"quantiles": (0.9, 0.5, 0.1)}, "ascending"),
        ({"horizons": (20, 5)}, "horizons"),
        ({"fold_months": 0}, "fold_months"),
        ({"num_bag_folds": 1}, "num_bag_folds"),
        ({"embargo_days": -1}, "embargo_days"),
    ],
)
def test_invalid_values_are_rejected_with_the_field_name(override: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ForecastSettings.from_config(override)


def test_settings_are_immutable() -> None:
    s = ForecastSettings()
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.seed = 3  # type: ignore[misc]
    assert hash(s) == hash(ForecastSettings())


def test_embargo_defaults_to_the_horizon() -> None:
    assert ForecastSettings().embargo_for(20) == 20
    assert ForecastSettings.from_config({"embargo_days": 3}).embargo_for(60) == 3


def test_every_preset_is_valid_and_json_serialisable() -> None:
    for name in preset_names():
        s = ForecastSettings.preset(name)
        assert json.loads(json.dumps(s.to_dict()))["presets"] == name


def test_model_dict_leaves_out_keys_that_do_not_change_a_model() -> None:
    s = ForecastSettings()
    assert not NON_MODEL_KEYS & set(s.model_dict())
    assert s.replace(artifact_dir="elsewhere").model_dict() == s.model_dict()
    assert s.replace(seed=1).model_dict() != s.model_dict()


def test_text_values_from_dbt_meta_are_coerced() -> None:
    s = ForecastSettings.from_config(
        {"presets": "fast", "seed": "3", "time_limit_s": "45", "embargo_days": "none", "tuning": "false", "num_cpus": "2"}
    )
    assert (s.seed, s.time_limit_s, s.embargo_days, s.tuning, s.num_cpus) == (3, 45.0, None, False, 2)
    assert s == ForecastSettings.from_config({"seed": 3, "time_limit_s": 45, "num_cpus": 2})


def test_uncoercible_text_is_rejected_with_the_field_name() -> None:
    with pytest.raises(ValueError, match="seed='abc'"):
        ForecastSettings.from_config({"seed": "abc"})
