-- Big 8 bucket 'volatility': one call of macros/big8/volatility.sql.
{{ big8_volatility(ref('int_futures__continuous'), ref('int_calendar__zl_sessions'), ref('int_macro__as_of_release'), vol_window=var('vol_window'), optional=ref('stg_optional__weekly_observations')) }}
