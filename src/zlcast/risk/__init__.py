"""Risk and decisions from the final distribution: ``montecarlo`` (paths matched to the forecast quantiles),
``var`` (VaR/CVaR and their backtests) and ``procurement`` (the buyer's signal and its backtest)."""
