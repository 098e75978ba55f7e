-- The same forecast for every historical as_of_date produced out of fold (walk-forward: each row made by models
-- that never saw a target window reaching its block), with the realised price at the target date.
with distribution as (

    select * from {{ ref('ml_forecast_distribution') }}
    where split = 'oof'

),

targets as (

    select trade_date, horizon_days, target_date, target_close_usc_lb from {{ ref('fct_zl_targets') }}

),

final as (

    select
        cast(distribution.as_of_date as date) as as_of_date,
        cast(distribution.horizon_days as integer) as horizon_days,
        cast(distribution.target_date as date) as target_date,
        distribution.p05, distribution.p10, distribution.p25, distribution.p50,
        distribution.p75, distribution.p90, distribution.p95,
        distribution.spot_close,
        distribution.expected_return,
        distribution.prob_up,
        cast(distribution.model_version as varchar) as model_version,
        targets.target_close_usc_lb as realized_close,
        targets.target_close_usc_lb between distribution.p10 and distribution.p90 as realized_in_p10_p90
    from distribution
    inner join targets
        on targets.trade_date = distribution.as_of_date
        and targets.horizon_days = distribution.horizon_days

)

select * from final
