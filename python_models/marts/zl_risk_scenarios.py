"""Monte Carlo risk summary of the latest forecast per horizon: VaR/CVaR 95/99 (long and buyer), move odds, drawdowns."""


def model(dbt, session):
    from zlcast.fusion import risk_tables

    summary, _ = risk_tables(dbt.ref("ml_forecast_distribution").df(), dbt.ref("fct_zl_features").df(),
                             dbt.config.get("meta"))
    return summary
