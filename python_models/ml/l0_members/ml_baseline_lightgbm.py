"""LightGBM quantile baseline (lightgbm_zl) on the whole feature matrix: OOF and live predictions."""


def model(dbt, session):
    from zlcast.glue.l0 import lgbm_table

    return lgbm_table(
        dbt.ref("fct_zl_features").df(),
        dbt.ref("fct_zl_targets").df(),
        dbt.ref("ml_cv_folds").df(),
        dbt.ref("ml_vol_forecast").df(),
        dbt.config.get("meta"),
    )
