"""ForecastSettings: presets, validation, fingerprint-relevant dict."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from zlcast.settings import NON_MODEL_KEYS, ForecastSettings, ProjectSettings, coerce_value, preset_names


def test_default_settings_are_the_fast_preset() -> None:
    s = ForecastSettings()
    assert s == ForecastSettings.from_config({})
    assert s.presets == "fast"
    assert s.horizons == (5, 20, 60)
    assert s.quantiles == (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)
    assert list(s.tabular_hyperparameters) == ["GBM"]
    assert s.num_bag_folds == 0 and not s.tuning
    assert s.fold_months == 12 and s.retrain_after_days == 20
    assert s.oof_start == pd.Timestamp("2016-01-01")  # as dbt_project.yml and the README


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
        {
            "presets": "fast",
            "seed": "3",
            "time_limit_s": "45",
            "embargo_days": "none",
            "tuning": "false",
            "num_cpus": "2",
        }
    )
    assert (s.seed, s.time_limit_s, s.embargo_days, s.tuning, s.num_cpus) == (3, 45.0, None, False, 2)
    assert s == ForecastSettings.from_config({"seed": 3, "time_limit_s": 45, "num_cpus": 2})


def test_uncoercible_text_is_rejected_with_the_field_name() -> None:
    with pytest.raises(ValueError, match="seed='abc'"):
        ForecastSettings.from_config({"seed": "abc"})


# ------------------------------------------------------------------------------------------ ProjectSettings
REPO = Path(__file__).resolve().parents[2]


def _dbt_project() -> dict:
    return yaml.safe_load((REPO / "dbt_project.yml").read_text())


def _meta_default(name: str) -> str:
    """The default of ``var('<name>', <default>)`` in the +meta block of dbt_project.yml."""
    found = re.search(rf"var\('{name}', '?([^')]+)'?\)", (REPO / "dbt_project.yml").read_text())
    assert found, name
    return found.group(1)


def test_python_defaults_equal_the_dbt_project_vars() -> None:
    project = _dbt_project()
    p = ProjectSettings()
    assert list(p.horizons) == project["vars"]["horizons"]
    assert list(p.quantiles) == project["vars"]["quantiles"]
    assert list(p.buckets) == project["vars"]["buckets"]
    assert p.vol_scale == project["vars"]["vol_scale"]
    assert p.ewma_lambda == float(_meta_default("ewma_lambda"))
    assert p.oof_start == pd.Timestamp(_meta_default("forecast_oof_start"))
    assert p.eval_start == pd.Timestamp(_meta_default("forecast_eval_start"))


def test_meta_of_dbt_project_gives_the_default_settings() -> None:
    meta = _dbt_project()["models"]["zl_forecast"]["+meta"]
    rendered = json.loads(
        re.sub(
            r'"\{\{ var\(\'[a-z_]+\', (none|\'?[^\')]*\'?)\) \}\}"',
            lambda m: "null" if m.group(1) == "none" else json.dumps(m.group(1).strip("'")),
            json.dumps(meta),
        )
    )
    p = ProjectSettings.from_meta(rendered)
    assert p == ProjectSettings(forecast=p.forecast, core_ts=p.core_ts)
    assert p.forecast is not None and p.forecast.presets == "fast"
    assert p.core_ts_settings().use_timeseries is True


def test_var_overrides_reach_every_layer() -> None:
    meta = {
        "forecast": {
            "horizons": "[5, 20]",
            "buckets": "['crush', 'fx']",
            "ewma_lambda": "0.97",
            "project_vars": {"horizons": [5, 20, 60], "buckets": list(ProjectSettings().buckets)},
            "core_ts": {"use_timeseries": "False"},
            "meta": {"l1_penalty": "0.2"},
        }
    }
    p = ProjectSettings.from_meta(meta)
    assert p.horizons == (5, 20) and p.buckets == ("crush", "fx")
    assert p.forecast is not None and p.forecast.horizons == (5, 20) and p.forecast.ewma_lambda == 0.97
    core = p.core_ts_settings()
    assert core.horizons == (5, 20) and core.ewma_lambda == 0.97 and core.use_timeseries is False
    m = p.meta_settings()
    assert m.horizons == (5, 20) and m.lam == 0.97 and m.l1_penalty == 0.2
    e = p.ensemble_settings()
    assert e.horizons == (5, 20) and e.lam == 0.97 and e.quantiles == p.quantiles


def test_unset_vars_fall_back_to_the_project_vars() -> None:
    p = ProjectSettings.from_meta({"forecast": {"horizons": None, "project_vars": {"horizons": [20, 60]}}})
    assert p.horizons == (20, 60)


def test_a_layer_section_may_not_set_a_shared_key() -> None:
    with pytest.raises(ValueError, match=r"forecast.meta sets \['horizons'\]"):
        ProjectSettings.from_meta({"forecast": {"meta": {"horizons": [5]}}})


def test_unknown_bucket_is_rejected_naming_the_known_ones() -> None:
    with pytest.raises(ValueError, match="buckets must be a non-empty subset"):
        ProjectSettings(buckets=("crush", "weather"))


def test_buckets_keep_the_canonical_order() -> None:
    assert ProjectSettings(buckets=("fx", "crush")).buckets == ("crush", "fx")


@pytest.mark.parametrize(
    ("kind", "text", "value"),
    [
        ("ints", "[5, 20, 60]", (5, 20, 60)),
        ("ints", "5,20", (5, 20)),
        ("floats", "[0.1, 0.5, 0.9]", (0.1, 0.5, 0.9)),
        ("strs", "['crush', 'fx']", ("crush", "fx")),
        ("bool", "False", False),
        ("bool", "true", True),
        ("opt_int", "None", None),
        ("opt_int", "", None),
        ("int", "12", 12),
        ("float", "0.94", 0.94),
        ("date", "2016-01-01", pd.Timestamp("2016-01-01")),
        ("dict", '{"a": 1}', {"a": 1}),
    ],
)
def test_settings_text_from_dbt_is_read_one_way(kind: str, text: str, value: object) -> None:
    assert coerce_value(kind, text) == value


@pytest.mark.parametrize(("kind", "text"), [("int", "2.5"), ("bool", "maybe"), ("int", None)])
def test_unreadable_settings_text_raises(kind: str, text: object) -> None:
    with pytest.raises(ValueError):
        coerce_value(kind, text)
