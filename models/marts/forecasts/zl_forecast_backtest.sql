-- The same forecast for every historical as_of_date produced out of fold (walk-forward: each row made by models
-- that never saw a target window reaching its block), with the realised price at the target date. Contracted.
with distribution as (

    select * from {{ ref('ml_forecast_distribution') }}
    where split = 'oof'

),

targets as (

    select
        trade_date,
        horizon_days,
        target_close_usc_lb
    from {{ ref('fct_zl_targets') }}

),

final as (

    select
        cast(distribution.as_of_date as date) as as_of_date,
        cast(distribution.horizon_days as integer) as horizon_days,
        cast(distribution.target_date as date) as target_date,
        cast(distribution.p05 as double) as p05,
        cast(distribution.p10 as double) as p10,
        cast(distribution.p25 as double) as p25,
        cast(distribution.p50 as double) as p50,
        cast(distribution.p75 as double) as p75,
        cast(distribution.p90 as double) as p90,
        cast(distribution.p95 as double) as p95,
        cast(distribution.spot_close as double) as spot_close,
        cast(distribution.expected_return as double) as expected_return,
        cast(distribution.prob_up as double) as prob_up,
        cast(distribution.model_version as varchar) as model_version,
        cast(targets.target_close_usc_lb as double) as realized_close,
        cast(
            targets.target_close_usc_lb between distribution.p10 and distribution.p90 as boolean
        ) as realized_in_p10_p90
    from distribution
    inner join targets
        on
            distribution.as_of_date = targets.trade_date
            and distribution.horizon_days = targets.horizon_days

)

select * from final
