"""The forecast models, from folds to the final distribution (no dbt here).

``frames`` (frame contracts, the long prediction format), ``folds`` (walk-forward splits), ``artifacts``
(fingerprints, predictor store), ``baselines`` (EWMA random walk), ``specialists`` and ``baseline_lgbm`` (L0 tabular
models), ``core_ts`` (AutoGluon-TS core, Mitra fallback), ``parallel`` (fit worker pool), ``devices``,
``meta`` (L1 QRA), ``ensemble`` (L2), ``evaluation`` (pinball, coverage, skill), ``signals`` (median-signal study).
"""
