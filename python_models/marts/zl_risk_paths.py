"""A compact sample of the latest forecast's Monte Carlo price paths, for fan charts."""


def model(dbt, session):
    from zlcast.fusion import risk_tables

    _, sample = risk_tables(dbt.ref("ml_forecast_distribution").df(), dbt.ref("fct_zl_features").df(),
                            dbt.config.get("meta"))
    return sample
