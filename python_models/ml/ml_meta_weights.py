"""L1 meta model: fitted member (bucket) weights per walk-forward block, horizon and quantile."""


def model(dbt, session):
    from zlcast.fusion import meta_tables

    _, weights, _ = meta_tables(dbt.ref("fct_l0_predictions").df(), dbt.ref("ml_rw_ewma").df(),
                                dbt.ref("fct_zl_features").df(), dbt.ref("fct_zl_targets").df(), dbt.config.get("meta"))
    return weights
