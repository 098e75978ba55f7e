-- zl_forecast_calibration: per model and horizon, the half-year, vol-tercile and PIT-bin groups partition the
-- overall origins (their counts add up), the PIT shares sum to 1, and the walk's skill against itself is 0.
-- Fails with the offending (model, horizon_days) and the check that broke.
with calibration as (

    select * from {{ ref('zl_forecast_calibration') }}

),

per_kind as (

    select
        model,
        horizon_days,
        group_kind,
        sum(n_origins) as n_origins,
        sum(pit_share) as pit_share
    from calibration
    group by model, horizon_days, group_kind

),

overall as (

    select
        model,
        horizon_days,
        n_origins
    from per_kind
    where group_kind = 'overall'

),

count_breaks as (

    select
        per_kind.model,
        per_kind.horizon_days,
        per_kind.group_kind || ' counts do not add up to overall' as failure
    from per_kind
    inner join overall
        on per_kind.model = overall.model and per_kind.horizon_days = overall.horizon_days
    where per_kind.n_origins <> overall.n_origins

),

share_breaks as (

    select
        model,
        horizon_days,
        'pit shares do not sum to 1' as failure
    from per_kind
    where group_kind = 'pit_bin' and abs(pit_share - 1) > 1e-9

),

skill_breaks as (

    select
        model,
        horizon_days,
        'rw_ewma skill is not 0' as failure
    from calibration
    where model = 'rw_ewma' and group_kind <> 'pit_bin' and abs(skill_vs_rw) > 1e-12

)

select * from count_breaks
union all
select * from share_breaks
union all
select * from skill_breaks
