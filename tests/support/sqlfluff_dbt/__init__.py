"""dbt's `var()` for sqlfluff's jinja templater (`make lint`): the values of the project's own vars.

sqlfluff's dbt builtins return a placeholder string for `var()`, which breaks SQL that loops over a list var
(`buckets`) or computes with an integer var (window lengths). This library (pyproject.toml,
`[tool.sqlfluff.templater.jinja] library_path`) answers with the values of `vars:` in dbt_project.yml, and gives
`model` (the node dbt passes to a model's Jinja) one typed placeholder column for macros that read the model's YAML
(`zl_contract_casts`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

_VARS: dict[str, Any] = yaml.safe_load((Path(__file__).resolve().parents[3] / "dbt_project.yml").read_text())["vars"]


def var(name: str, default: Any = None) -> Any:
    """The project's value of a dbt var (its default, else the name, when the project does not set it)."""
    return _VARS.get(name, name if default is None else default)


#: dbt's ``model`` as the contract macro reads it: a name and a YAML column with a data_type.
model: dict[str, Any] = {
    "name": "linted_model",
    "columns": {"column_name": {"name": "column_name", "data_type": "varchar"}},
}
