-- Following the buyer's signal versus buying on a fixed schedule, per horizon. Contracted: a typed wrapper over
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
        cast(saving_pct as double) as saving_pct
    from backtest

)

select * from final
