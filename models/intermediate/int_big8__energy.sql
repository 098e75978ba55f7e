-- Big 8 bucket 'energy': one call of macros/big8/energy.sql over the aligned futures panel.
{{ big8_energy(ref('int_futures__zl_aligned'), zscore_window=var('zscore_window'), corr_window=var('corr_window') ) }}
