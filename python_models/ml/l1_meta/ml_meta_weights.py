"""L1 meta model fits: member (bucket) weights per walk-forward block, horizon and quantile (incremental)."""


def model(dbt, session):
    from zlcast.glue.fusion import meta_weights_table

    existing = session.sql(f"select * from {dbt.this}").df() if dbt.is_incremental else None
    return meta_weights_table(
        dbt.ref("ml_meta_members").df(),
        dbt.ref("fct_zl_features").df(),
        dbt.ref("fct_zl_targets").df(),
        dbt.ref("ml_vol_forecast").df(),
        existing,
        dbt.config.get("meta"),
    )
