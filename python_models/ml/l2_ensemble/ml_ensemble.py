"""L2 ensemble: meta blended with the core forecast, causally smoothed, monotone and calibrated (long format)."""


def model(dbt, session):
    from zlcast.glue.fusion import ensemble_table

    return ensemble_table(
        dbt.ref("ml_meta").df(),
        dbt.ref("fct_l0_predictions").df(),
        dbt.ref("fct_zl_features").df(),
        dbt.ref("fct_zl_targets").df(),
        dbt.ref("ml_vol_forecast").df(),
        dbt.config.get("meta"),
    )
