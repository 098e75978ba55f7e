"""dbt glue, in one place: ``plugin`` (the dbt-duckdb plugin that prepares and validates the data directory),
``l0`` (what the L0 dbt Python models call) and ``fusion`` (what the L1-L3 dbt Python models call). Only this
subpackage knows the frames dbt hands over; everything else takes plain pandas frames and settings objects."""
