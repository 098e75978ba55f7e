"""The published buyer's signal: the model's call where its causal backtest shows an edge, else NO EDGE."""


def model(dbt, session):
    from zlcast.glue.fusion import procurement_signal_table

    return procurement_signal_table(
        dbt.ref("ml_procurement_calls").df(), dbt.ref("ml_procurement_backtest").df(), dbt.config.get("meta")
    )
