-- Big 8 bucket 'china': one call of macros/big8/china.sql.
{{ big8_china(ref('int_futures__zl_aligned'), ref('int_macro__as_of_release'), corr_window=var('corr_window'), zscore_window=var('zscore_window'), optional=ref('stg_optional__weekly_observations')) }}
