-- How much each meta member (Big 8 bucket specialist, core_ts, baselines, intercept, L2 adjustment) moved the
-- final median, per as_of_date, horizon and split. Contracted: a typed wrapper over the Python step
-- ml_driver_attribution (dbt cannot contract a Python model).
with attribution as (

    select * from {{ ref('ml_driver_attribution') }}

),

final as (

    select
        cast(as_of_date as date) as as_of_date,
        cast(horizon_days as integer) as horizon_days,
        cast(target_date as date) as target_date,
        cast(split as varchar) as split,
        cast(fold_id as integer) as fold_id,
        cast(member as varchar) as member,
        cast(bucket as varchar) as bucket,
        cast(weight as double) as weight,
        cast(member_median_logret as double) as member_median_logret,
        cast(contribution_logret as double) as contribution_logret,
        cast(contribution_cents as double) as contribution_cents,
        cast(price_cents as double) as price_cents
    from attribution

)

select * from final
