"""L1 members: the L0 predictions, the reference random walk and two computed volatility baselines (long)."""


def model(dbt, session):
    from zlcast.glue.fusion import meta_members_table

    return meta_members_table(
        dbt.ref("fct_l0_predictions").df(),
        dbt.ref("ml_rw_ewma").df(),
        dbt.ref("fct_zl_features").df(),
        dbt.config.get("meta"),
    )
