"""dbt-duckdb plugin: prepares the data directory before any model runs.

Configured in ``profiles.yml`` (``plugins: - module: zlcast.glue.plugin``). When dbt opens its
DuckDB environment the plugin

1. resolves the data directory: ``ZL_DATA_DIR`` if set, else the generated synthetic demo set
   (written once, deterministically, to ``demo_data_dir``);
2. validates the input contract (:func:`zlcast.contract.validate_data_dir`), so bad input stops
   the run with a message naming the file, column and rows *before* anything is rebuilt;
3. imports AutoGluon once in the main thread, because dbt-duckdb runs Python models in worker
   threads and concurrent first imports of AutoGluon deadlock.
"""

from __future__ import annotations

import importlib
import logging
import os
from pathlib import Path
from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin

from zlcast.data.demo_data import write_demo_data
from zlcast.data.gates import check_data_dir, data_fingerprint

LOG = logging.getLogger("zlcast.glue.plugin")
_TRUE = {"1", "true", "yes", "on"}
#: Imported once in the main thread before dbt starts model threads (first imports of these race otherwise).
PREIMPORT = (
    "torch",
    "lightgbm",
    "catboost",
    "autogluon.tabular",
    "autogluon.tabular.models",
    "autogluon.timeseries",
    "autogluon.timeseries.models",
    "zlcast.forecast.specialists",
    "zlcast.forecast.baseline_lgbm",
    "zlcast.forecast.core_ts",
)


def resolve_data_dir(data_dir: str | None, demo_data_dir: str) -> tuple[Path, bool]:
    """Return the data directory to read and whether it is the demo set.

    Parameters
    ----------
    data_dir
        Value of ``ZL_DATA_DIR`` (empty or None means: use the demo set).
    demo_data_dir
        Where the synthetic demo set lives (generated when absent).

    Returns
    -------
    tuple of (Path, bool)
    """
    if data_dir:
        return Path(data_dir), False
    return Path(demo_data_dir), True


class Plugin(BasePlugin):
    """Prepare and validate the data directory; pre-import AutoGluon."""

    def initialize(self, plugin_config: dict[str, Any]) -> None:
        data_dir, is_demo = resolve_data_dir(
            plugin_config.get("data_dir"), plugin_config.get("demo_data_dir", "state/demo_data")
        )
        if is_demo:
            write_demo_data(data_dir)
        validated = os.environ.get("ZL_VALIDATED_FINGERPRINT")
        if validated and validated == data_fingerprint(data_dir):
            LOG.info("data directory %s validated by zlcast refresh; not validated again", data_dir)
        else:
            _, gates = check_data_dir(
                data_dir,
                Path(plugin_config.get("roots_seed", "seeds/futures_roots.csv")),
                Path(plugin_config.get("macro_seed", "seeds/macro_series.csv")),
            )
            for warning in gates.warnings:
                LOG.warning("%s", warning)
        if str(plugin_config.get("preimport_autogluon", "true")).lower() in _TRUE:
            for module in PREIMPORT:
                importlib.import_module(module)
