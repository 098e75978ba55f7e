"""The h-day volatility forecast (HAR on range variance, walk-forward QLIKE) and the scale every layer uses."""


def model(dbt, session):
    from zlcast.glue.l0 import vol_table

    return vol_table(dbt.ref("fct_zl_features").df(), dbt.ref("int_zl__daily_range").df(), dbt.config.get("meta"))
