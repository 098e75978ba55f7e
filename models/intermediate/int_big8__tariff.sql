-- Big 8 bucket 'tariff': one call of macros/big8/tariff.sql.
{{ big8_tariff(ref('int_calendar__zl_sessions'), ref('int_policy__events_aligned')) }}
