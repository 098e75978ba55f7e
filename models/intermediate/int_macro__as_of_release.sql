-- Macro series on the ZL calendar as of their RELEASE, never their observation date.
-- release_date = observation_date + release_lag_months + release_lag_days, then (if release_isodow is set)
-- moved forward to that weekday: daily FRED series t+1; H.10 series (DTWEXBGS, DEXCHUS, DEXBZUS) on the
-- Monday after the observation week; STLFSI4 Friday + 6 days; ANFCI/NFCI Friday + 5 days; monthly series
-- one month + 1 day after their 1st-of-month date. A value is usable on a ZL session on/after its release.
with observations as (

    select * from {{ ref('stg_fred__observations') }}
    where observation_date is not null and value is not null

),

series as (

    select * from {{ ref('macro_series') }}

),

calendar as (

    select trade_date from {{ ref('int_calendar__zl_sessions') }}

),

released as (

    select
        observations.series_id,
        observations.observation_date,
        observations.value,
        observations.observation_date
            + to_months(series.release_lag_months)
            + to_days(series.release_lag_days) as earliest_release_date,
        series.release_isodow
    from observations
    inner join series using (series_id)

),

release_dates as (

    select
        series_id,
        observation_date,
        value,
        cast(case
            when release_isodow is null then earliest_release_date
            else earliest_release_date + to_days(cast((7 + release_isodow - isodow(earliest_release_date)) % 7 as integer))
        end as date) as release_date
    from released

),

latest_per_release as (

    -- Several observations can be published together (a weekly H.10 release): keep the newest.
    select *
    from release_dates
    qualify row_number() over (partition by series_id, release_date order by observation_date desc) = 1

),

session_series as (

    select calendar.trade_date, series.series_id
    from calendar
    cross join series

),

as_of as (

    select
        session_series.trade_date,
        session_series.series_id,
        latest_per_release.value,
        latest_per_release.observation_date,
        latest_per_release.release_date,
        session_series.trade_date - latest_per_release.observation_date as observation_age_days
    from session_series
    asof left join latest_per_release
        on session_series.series_id = latest_per_release.series_id
        and latest_per_release.release_date <= session_series.trade_date

)

select * from as_of
