-- Following the model's buyer calls versus buying on a fixed schedule, per horizon: average prices, the
-- distribution of the per-decision extra cost and the verdict (edge / no_edge). Contracted: a typed wrapper over
-- the Python step ml_procurement_backtest (its start/end are published as period_start/period_end, the names
-- fct_model_evaluation uses; `end` is an SQL keyword BI tools would have to quote).
with backtest as (

    select * from {{ ref('ml_procurement_backtest') }}

),

final as (

    select
        cast(horizon_days as integer) as horizon_days,
        cast(n_decisions as integer) as n_decisions,
        cast(n_buy_now as integer) as n_buy_now,
        cast(n_wait as integer) as n_wait,
        cast(n_ladder as integer) as n_ladder,
        cast(start as date) as period_start,
        cast("end" as date) as period_end,
        cast(avg_price_signal as double) as avg_price_signal,
        cast(avg_price_schedule as double) as avg_price_schedule,
        cast(saving as double) as saving,
        cast(saving_pct as double) as saving_pct,
        cast(extra_cost_mean_pct as double) as extra_cost_mean_pct,
        cast(extra_cost_std_pct as double) as extra_cost_std_pct,
        cast(extra_cost_p95_pct as double) as extra_cost_p95_pct,
        cast(extra_cost_worst_pct as double) as extra_cost_worst_pct,
        cast(share_cheaper as double) as share_cheaper,
        cast(share_dearer as double) as share_dearer,
        cast(saving_t_stat as double) as saving_t_stat,
        cast(risk_budget_pct as double) as risk_budget_pct,
        cast(verdict as varchar) as verdict,
        cast(verdict_reason as varchar) as verdict_reason
    from backtest

)

select * from final
