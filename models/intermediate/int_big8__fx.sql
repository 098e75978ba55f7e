-- Big 8 bucket 'fx': one call of macros/big8/fx.sql.
{{ big8_fx(ref('int_futures__zl_aligned'), ref('int_macro__as_of_release'), corr_window=var('corr_window'), vol_window=var('vol_window')) }}
