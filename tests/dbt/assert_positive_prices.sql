-- Prices must be positive for every root whose seed row does not allow zero/negative prices
-- (only QM, whose May 2020 contract settled at -37.63 USD/bbl, is allowed). Fails with the offending rows.
with bars as (

    select * from {{ ref('stg_futures__daily_bars') }}

),

strict_roots as (

    select root from {{ ref('futures_roots') }}
    where not nonpositive_allowed

)

select
    bars.root,
    bars.trade_date,
    bars.open_price,
    bars.high_price,
    bars.low_price,
    bars.close_price
from bars
inner join strict_roots using (root)
where not (bars.open_price > 0 and bars.high_price > 0 and bars.low_price > 0 and bars.close_price > 0)
