-- Big 8 bucket 'crush': one call of macros/big8/crush.sql over the aligned futures panel.
{{ big8_crush(ref('int_futures__zl_aligned'), zscore_window=var('zscore_window') ) }}
