"""Monte Carlo paths of the latest forecast (10,000 seeded paths matched to its quantiles), long."""


def model(dbt, session):
    from zlcast.glue.fusion import monte_carlo_table

    return monte_carlo_table(
        dbt.ref("ml_forecast_distribution").df(), dbt.ref("fct_zl_features").df(), dbt.config.get("meta")
    )
