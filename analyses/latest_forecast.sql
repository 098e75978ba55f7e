-- The latest ZL forecast: for the newest forecast origin, one row per horizon (5, 20, 60 trading sessions)
-- with the price fan in US cents/lb (P05 ... P95, P50 = median), the move from the spot close, the 80% band
-- width, the chance of a rise, and the same moves in USD per contract (ZL = 60,000 lb, so 1 cent/lb = 600 USD).
with forecast as (

    select * from {{ ref('zl_forecast') }}

),

latest as (

    select * from forecast
    where as_of_date = (select max(all_origins.as_of_date) from forecast as all_origins)

)

select
    as_of_date,
    horizon_days,
    target_date,
    model_version,
    spot_close,
    p05,
    p10,
    p25,
    p50,
    p75,
    p90,
    p95,
    expected_return,
    prob_up,
    round(100 * (p50 / spot_close - 1), 2) as p50_change_pct,
    round(p90 - p10, 3) as band80_width_cents,
    round(100 * (p90 - p10) / spot_close, 2) as band80_width_pct,
    round(600 * (p05 - spot_close), 0) as p05_move_usd_per_contract,
    round(600 * (p50 - spot_close), 0) as p50_move_usd_per_contract,
    round(600 * (p95 - spot_close), 0) as p95_move_usd_per_contract
from latest
order by horizon_days
