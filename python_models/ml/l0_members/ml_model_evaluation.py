"""Out-of-fold scores of every L0 model per horizon against the EWMA random walk on the same origins."""


def model(dbt, session):
    from zlcast.glue.l0 import evaluation_table

    return evaluation_table(
        dbt.ref("fct_l0_predictions").df(),
        dbt.ref("fct_zl_targets").df(),
        dbt.ref("ml_rw_ewma").df(),
        dbt.config.get("meta"),
    )
