-- The buyer's signal for every live and backtest forecast row: the model's call (model_call) and the published
-- signal, which is the call only where the causal backtest of its horizon shows an edge and NO EDGE: BUY ON
-- SCHEDULE otherwise. Contracted: a typed wrapper over the Python step ml_procurement_signal (dbt cannot contract
-- a Python model).
with signals as (

    select * from {{ ref('ml_procurement_signal') }}

),

final as (

    select
        cast(as_of_date as date) as as_of_date,
        cast(horizon_days as integer) as horizon_days,
        cast(target_date as date) as target_date,
        cast(split as varchar) as split,
        cast(spot_close as double) as spot_close,
        cast(signal as varchar) as signal,
        cast(expected_price as double) as expected_price,
        cast(expected_saving as double) as expected_saving,
        cast(expected_saving_pct as double) as expected_saving_pct,
        cast(p_lower as double) as p_lower,
        cast(rise_p90 as double) as rise_p90,
        cast(rise_p95 as double) as rise_p95,
        cast(rise_p95_pct as double) as rise_p95_pct,
        cast(risk_budget_pct as double) as risk_budget_pct,
        cast(reason as varchar) as reason,
        cast(model_call as varchar) as model_call,
        cast(model_reason as varchar) as model_reason,
        cast(backtest_verdict as varchar) as backtest_verdict,
        cast(backtest_n_decisions as integer) as backtest_n_decisions,
        cast(backtest_extra_cost_mean_pct as double) as backtest_extra_cost_mean_pct,
        cast(backtest_extra_cost_p95_pct as double) as backtest_extra_cost_p95_pct,
        cast(backtest_saving_t_stat as double) as backtest_saving_t_stat
    from signals

)

select * from final
