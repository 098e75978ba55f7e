-- Calibration and sharpness of the whole published distribution, beside the EWMA random walk, per horizon and
-- group (overall, calendar half-year, EWMA-vol tercile, PIT bin). Contracted: a typed wrapper over the Python step
-- ml_forecast_calibration (dbt cannot contract a Python model).
with calibration as (

    select * from {{ ref('ml_forecast_calibration') }}

),

final as (

    select
        cast(model as varchar) as model,
        cast(horizon_days as integer) as horizon_days,
        cast(group_kind as varchar) as group_kind,
        cast(group_label as varchar) as group_label,
        cast(group_lower as double) as group_lower,
        cast(group_upper as double) as group_upper,
        cast(n_origins as integer) as n_origins,
        cast(period_start as date) as period_start,
        cast(period_end as date) as period_end,
        cast(pinball as double) as pinball,
        cast(crps_approx as double) as crps_approx,
        cast(pinball_10_50_90 as double) as pinball_10_50_90,
        cast(skill_vs_rw as double) as skill_vs_rw,
        cast(skill_vs_rw_10_50_90 as double) as skill_vs_rw_10_50_90,
        cast(coverage80 as double) as coverage80,
        cast(coverage90 as double) as coverage90,
        cast(winkler80 as double) as winkler80,
        cast(winkler90 as double) as winkler90,
        cast(pit_share as double) as pit_share
    from calibration

)

select * from final
