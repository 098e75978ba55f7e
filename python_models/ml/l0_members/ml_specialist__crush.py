"""AutoGluon quantile specialist of the 'crush' bucket (its features + the shared core__ ZL features)."""


def model(dbt, session):
    from zlcast.glue.l0 import specialist_table

    return specialist_table(
        "crush",
        dbt.ref("fct_zl_features").df(),
        dbt.ref("fct_zl_targets").df(),
        dbt.ref("ml_cv_folds").df(),
        dbt.ref("ml_vol_forecast").df(),
        dbt.config.get("meta"),
    )
