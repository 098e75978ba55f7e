-- The buyer's signal for every live and backtest forecast row: the model's call (model_call) and the published
-- signal, which is the call only where the causal backtest of its horizon shows an edge and NO EDGE: BUY ON
-- SCHEDULE otherwise. Contracted: a typed wrapper over the Python step ml_procurement_signal (dbt cannot contract
-- a Python model).
with signals as (

    select * from {{ ref('ml_procurement_signal') }}

),

final as (

    select
        {{ zl_contract_casts() }}
    from signals

)

select * from final
