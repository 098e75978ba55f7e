"""Data in: the input contract of a data directory, the Databento DBN loader, the sources and the demo data set.

``contract`` validates a data directory before dbt reads it; ``dbn`` turns raw Databento hourly bars into
``futures_daily.parquet``; ``sources`` fetches what is new (Databento, FRED/ALFRED, CFTC, EPA export) for the
daily refresh; ``demo_data`` writes the deterministic synthetic set a fresh clone builds on.
"""
