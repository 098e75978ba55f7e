-- Forecast targets, kept apart from the features: forward log return of the ZL front-month close
-- (US cents/lb) over h = 5, 20, 60 sessions, h counted in rows of the low-volume-filtered ZL series
-- (the reference protocol). Not roll-adjusted: the target is the change of the nearby price a buyer faces.
-- One row per (origin trade_date, horizon_days) whose target is realized.
with zl as (

    select
        trade_date,
        close_price
    from {{ ref('int_futures__continuous') }}
    where root = 'ZL' and is_valid

),

horizons as (

    select unnest({{ var('horizons') }}) as horizon_days

),

forward as (

    select
        zl.trade_date,
        horizons.horizon_days,
        zl.close_price as origin_close_usc_lb,
        lead(zl.close_price, horizons.horizon_days) over w as target_close_usc_lb,
        lead(zl.trade_date, horizons.horizon_days) over w as target_date
    from zl
    cross join horizons
    window w as (partition by horizons.horizon_days order by zl.trade_date)

),

targets as (

    select
        trade_date,
        horizon_days,
        target_date,
        origin_close_usc_lb,
        target_close_usc_lb,
        ln(target_close_usc_lb / origin_close_usc_lb) as fwd_log_return
    from forward
    where target_date is not null

)

select * from targets
