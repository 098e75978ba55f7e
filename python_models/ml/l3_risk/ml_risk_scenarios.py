"""Monte Carlo risk summary of the latest forecast per horizon: VaR/CVaR 95/99 (long, buyer), move odds, drawdowns."""


def model(dbt, session):
    from zlcast.glue.fusion import risk_scenarios_table

    return risk_scenarios_table(dbt.ref("ml_monte_carlo").df(), dbt.config.get("meta"))
