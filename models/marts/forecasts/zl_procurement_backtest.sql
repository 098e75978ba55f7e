-- Following the buyer's signal versus buying on a fixed schedule, per horizon.
with source as (

    select * from {{ ref('ml_procurement_backtest') }}

)

select * from source
