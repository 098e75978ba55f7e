"""VaR backtest of the final forecast: exceedances, Kupiec POF, Christoffersen independence, Basel traffic light."""


def model(dbt, session):
    from zlcast.glue.fusion import var_backtest_table

    return var_backtest_table(dbt.ref("ml_var_forecasts").df())
