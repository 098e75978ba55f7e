"""L1 meta model fits: member (bucket) weights per walk-forward block, horizon and quantile."""


def model(dbt, session):
    from zlcast.glue.fusion import meta_weights_table

    return meta_weights_table(
        dbt.ref("ml_meta_members").df(),
        dbt.ref("fct_zl_features").df(),
        dbt.ref("fct_zl_targets").df(),
        dbt.config.get("meta"),
    )
