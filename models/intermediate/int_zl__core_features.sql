-- Core ZL price features shared by every specialist: one call of macros/features/zl_core.sql.
{{ zl_core(ref('int_futures__zl_aligned')) }}
