"""L1 members: the L0 predictions, the random walks (rw_ewma; rw_har with vol_scale har) and two vol baselines."""


def model(dbt, session):
    from zlcast.glue.fusion import meta_members_table

    return meta_members_table(
        dbt.ref("fct_l0_predictions").df(),
        dbt.ref("ml_rw_ewma").df(),
        dbt.ref("fct_zl_features").df(),
        dbt.ref("ml_vol_forecast").df(),
        dbt.config.get("meta"),
    )
