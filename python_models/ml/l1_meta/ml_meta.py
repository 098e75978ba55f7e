"""L1 meta model: walk-forward quantile regression averaging of the members, predictions from the fitted weights."""


def model(dbt, session):
    from zlcast.glue.fusion import meta_table

    return meta_table(
        dbt.ref("ml_meta_members").df(),
        dbt.ref("ml_meta_weights").df(),
        dbt.ref("fct_zl_features").df(),
        dbt.ref("fct_zl_targets").df(),
        dbt.ref("ml_vol_forecast").df(),
        dbt.config.get("meta"),
    )
