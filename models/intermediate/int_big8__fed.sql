-- Big 8 bucket 'fed': one call of macros/big8/fed.sql.
{{ big8_fed(ref('int_futures__zl_aligned'), ref('int_macro__as_of_release')) }}
