"""Data in: the input contract of a data directory, the Databento DBN loader and the synthetic demo data set.

``contract`` validates a data directory before dbt reads it; ``dbn`` turns raw Databento hourly bars into
``futures_daily.parquet``; ``demo_data`` writes the deterministic synthetic set a fresh clone builds on.
"""
