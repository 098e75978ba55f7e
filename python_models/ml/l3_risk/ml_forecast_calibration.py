"""Scores of the whole distribution of the final forecast and of the EWMA walk, by half-year, vol tercile and PIT."""


def model(dbt, session):
    from zlcast.glue.fusion import calibration_table

    return calibration_table(
        dbt.ref("ml_forecast_distribution").df(),
        dbt.ref("ml_rw_ewma").df(),
        dbt.ref("fct_zl_features").project("trade_date, is_valid_origin, core__zl_log_close").df(),
        dbt.ref("fct_zl_targets").df(),
        dbt.config.get("meta"),
    )
