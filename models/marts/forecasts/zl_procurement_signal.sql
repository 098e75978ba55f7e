-- The buyer's signal for every live and backtest forecast row.
with source as (

    select * from {{ ref('ml_procurement_signal') }}

)

select * from source
