"""What following the buyer's signal would have saved versus buying on a fixed schedule, per horizon."""


def model(dbt, session):
    from zlcast.glue.fusion import procurement_backtest_table

    return procurement_backtest_table(dbt.ref("ml_procurement_signal").df(), dbt.config.get("meta"))
