"""The reference random walk with EWMA volatility (lambda 0.94, normal quantiles): the yardstick, every origin."""


def model(dbt, session):
    from zlcast.glue.l0 import rw_table

    return rw_table(dbt.ref("fct_zl_features").df(), dbt.config.get("meta"))
