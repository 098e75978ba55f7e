-- Big 8 bucket 'biofuel': one call of macros/big8/biofuel.sql over the aligned futures panel.
{{ big8_biofuel(ref('int_futures__zl_aligned'), zscore_window=var('zscore_window'), corr_window=var('corr_window'), optional=ref('stg_optional__weekly_observations')) }}
