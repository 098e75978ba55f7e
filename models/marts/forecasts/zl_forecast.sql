-- The user-facing forecast: for the latest as_of_date (and every live origin), the distribution of the ZL
-- front-month price at 5/20/60 trading days, in US cents/lb.
with distribution as (

    select * from {{ ref('ml_forecast_distribution') }}
    where split = 'live'

),

final as (

    select
        cast(as_of_date as date) as as_of_date,
        cast(horizon_days as integer) as horizon_days,
        cast(target_date as date) as target_date,
        cast(p05 as double) as p05,
        cast(p10 as double) as p10,
        cast(p25 as double) as p25,
        cast(p50 as double) as p50,
        cast(p75 as double) as p75,
        cast(p90 as double) as p90,
        cast(p95 as double) as p95,
        cast(spot_close as double) as spot_close,
        cast(expected_return as double) as expected_return,
        cast(prob_up as double) as prob_up,
        cast(model_version as varchar) as model_version
    from distribution

)

select * from final
