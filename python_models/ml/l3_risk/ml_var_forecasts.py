"""VaR95/VaR99 per scored origin and horizon from that origin's Monte Carlo distribution (incremental)."""


def model(dbt, session):
    from zlcast.glue.fusion import var_forecasts_table

    existing = session.sql(f"select * from {dbt.this}").df() if dbt.is_incremental else None
    return var_forecasts_table(
        dbt.ref("ml_forecast_distribution").df(),
        dbt.ref("fct_zl_features").df(),
        dbt.ref("fct_zl_targets").df(),
        existing,
        dbt.config.get("meta"),
    )
