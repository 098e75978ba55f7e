-- Following the model's buyer calls versus buying on a fixed schedule, per horizon: average prices, the
-- distribution of the per-decision extra cost and the verdict (edge / no_edge). Contracted: a typed wrapper over
-- the Python step ml_procurement_backtest.
with backtest as (

    select * from {{ ref('ml_procurement_backtest') }}

),

final as (

    select
        {{ zl_contract_casts() }}
    from backtest

)

select * from final
