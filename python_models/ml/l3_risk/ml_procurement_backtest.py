"""What following the model's calls would have cost versus buying on a fixed schedule, per horizon, and its verdict."""


def model(dbt, session):
    from zlcast.glue.fusion import procurement_backtest_table

    return procurement_backtest_table(dbt.ref("ml_procurement_calls").df(), dbt.config.get("meta"))
