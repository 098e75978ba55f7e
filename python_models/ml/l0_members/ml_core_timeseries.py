"""Core ZL forecast: AutoGluon TimeSeriesPredictor on ZL alone, Mitra fallback, statistical last resort."""


def model(dbt, session):
    from zlcast.glue.l0 import core_table

    return core_table(
        dbt.ref("fct_zl_features").df(),
        dbt.ref("fct_zl_targets").df(),
        dbt.ref("ml_cv_folds").df(),
        dbt.config.get("meta"),
    )
