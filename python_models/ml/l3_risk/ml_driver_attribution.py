"""How much each Big 8 bucket moved the final median away from the random walk, per as_of_date and horizon."""


def model(dbt, session):
    from zlcast.glue.fusion import attribution_table

    return attribution_table(
        dbt.ref("ml_meta_members").df(),
        dbt.ref("ml_meta").df(),
        dbt.ref("ml_meta_weights").df(),
        dbt.ref("fct_zl_features").df(),
        dbt.ref("ml_ensemble").df(),
        dbt.ref("ml_vol_forecast").df(),
        dbt.config.get("meta"),
    )
