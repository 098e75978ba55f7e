"""macros/contracts/zl_contract_casts.sql rendered with Jinja as dbt renders it (the model's YAML columns)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
import pytest

MACROS = Path(__file__).resolve().parents[3] / "macros" / "contracts"


class CompilerError(Exception):
    pass


def _raise(message: str) -> None:
    raise CompilerError(message)


def _render(columns: dict[str, dict[str, Any]], execute: bool = True) -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(MACROS), extensions=["jinja2.ext.do"])
    template = env.from_string(
        "{% from 'zl_contract_casts.sql' import zl_contract_casts with context %}"
        "select\n        {{ zl_contract_casts() }}\n    from x"
    )
    return template.render(
        model={"name": "zl_example", "columns": columns},
        execute=execute,
        exceptions={"raise_compiler_error": _raise},
    )


def test_every_yaml_column_is_cast_to_its_type_in_yaml_order() -> None:
    columns = {
        "as_of_date": {"name": "as_of_date", "data_type": "date"},
        "horizon_days": {"name": "horizon_days", "data_type": "integer"},
        "value": {"name": "value", "data_type": "double"},
    }
    assert _render(columns) == (
        "select\n"
        "        cast(as_of_date as date) as as_of_date,\n"
        "        cast(horizon_days as integer) as horizon_days,\n"
        "        cast(value as double) as value\n"
        "    from x"
    )


def test_a_column_without_a_type_fails_compilation_naming_the_model() -> None:
    columns = {"a": {"name": "a", "data_type": "date"}, "b": {"name": "b", "data_type": None}}
    with pytest.raises(CompilerError, match="zl_example must declare every column with a data_type"):
        _render(columns)


def test_a_model_without_yaml_columns_fails_compilation() -> None:
    with pytest.raises(CompilerError, match="zl_example"):
        _render({})


def test_parsing_without_execute_renders_without_error() -> None:
    assert "from x" in _render({}, execute=False)
