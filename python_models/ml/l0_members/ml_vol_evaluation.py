"""QLIKE and MSE of the h-day volatility forecast against the EWMA walk's variance, per horizon and period."""


def model(dbt, session):
    from zlcast.glue.l0 import vol_evaluation_table

    return vol_evaluation_table(dbt.ref("ml_vol_forecast").df(), dbt.ref("fct_zl_targets").df())
