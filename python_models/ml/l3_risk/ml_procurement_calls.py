"""The model's buyer call (BUY NOW / WAIT / LADDER) with its reasoning, for every live and backtest forecast."""


def model(dbt, session):
    from zlcast.glue.fusion import procurement_calls_table

    return procurement_calls_table(dbt.ref("ml_forecast_distribution").df(), dbt.config.get("meta"))
