"""What following the buyer's signal would have saved versus buying on a fixed schedule, per horizon."""


def model(dbt, session):
    from zlcast.fusion import procurement_tables

    _, backtest = procurement_tables(dbt.ref("ml_forecast_distribution").df(), dbt.config.get("meta"))
    return backtest
