"""L1 meta model: walk-forward quantile regression averaging over the L0 members' out-of-fold outputs."""


def model(dbt, session):
    from zlcast.fusion import meta_tables

    preds, _, _ = meta_tables(dbt.ref("fct_l0_predictions").df(), dbt.ref("ml_rw_ewma").df(),
                              dbt.ref("fct_zl_features").df(), dbt.ref("fct_zl_targets").df(), dbt.config.get("meta"))
    return preds
