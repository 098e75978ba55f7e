"""The final distribution, wide, in prices (US cents/lb), with expected return and probability of a rise."""


def model(dbt, session):
    from zlcast.glue.fusion import distribution_table

    return distribution_table(dbt.ref("ml_ensemble").df(), dbt.ref("fct_zl_features").df(), dbt.config.get("meta"))
