"""Buyer's signal (BUY NOW / WAIT / LADDER) with its reasoning, for every live and backtest forecast."""


def model(dbt, session):
    from zlcast.fusion import procurement_tables

    signals, _ = procurement_tables(dbt.ref("ml_forecast_distribution").df(), dbt.config.get("meta"))
    return signals
