-- VaR backtest of the final forecast per horizon, level and origin sample. Contracted: a typed wrapper over the
-- Python step ml_var_backtest (dbt cannot contract a Python model).
with backtest as (

    select * from {{ ref('ml_var_backtest') }}

),

final as (

    select
        {{ zl_contract_casts() }}
    from backtest

)

select * from final
