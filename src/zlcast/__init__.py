"""zlcast: shared Python code of the ZL soybean-oil forecasting dbt project.

The package never imports dbt. dbt Python models (``python_models/``) and the
dbt-duckdb plugin (:mod:`zlcast.glue.plugin`) import from it; pytest tests it.
"""

__all__ = ["__version__"]
__version__ = "0.1.0"
