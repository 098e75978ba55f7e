"""How much each Big 8 bucket moved the final median away from the random walk, per as_of_date and horizon."""


def model(dbt, session):
    from zlcast.fusion import attribution_table

    return attribution_table(dbt.ref("fct_l0_predictions").df(), dbt.ref("ml_rw_ewma").df(),
                             dbt.ref("fct_zl_features").df(), dbt.ref("fct_zl_targets").df(),
                             dbt.ref("ml_ensemble").df(), dbt.config.get("meta"))
