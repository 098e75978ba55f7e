-- VaR backtest of the final forecast per horizon and level.
with source as (

    select * from {{ ref('ml_var_backtest') }}

)

select * from source
