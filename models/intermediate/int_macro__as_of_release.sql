-- Macro series on the ZL calendar as of their RELEASE, never their observation date. Two kinds of files:
-- * latest vintage (realtime_start null): a value is usable from its release-lag date,
--   release_date = observation_date + release_lag_months + release_lag_days, then (if release_isodow is set) moved
--   forward to that weekday: daily FRED series t+1; H.10 series (DTWEXBGS, DEXCHUS, DEXBZUS) on the Monday after the
--   observation week; STLFSI4 Friday + 6 days; ANFCI/NFCI Friday + 5 days; monthly series one month + 1 day after
--   their 1st-of-month date.
-- * ALFRED vintages (realtime_start set): a value is usable from realtime_start + 1 day (FRED publishes during the
--   US day, often after the CBOT close, so the next session is the first that could trade on it). The first vintage
--   of the file (the day ALFRED, or the first fetch, started archiving the series) carries the history known then;
--   its values stand in for the first releases and are usable from the earlier of realtime_start + 1 and the
--   release-lag date.
-- At each session: the newest observation already usable, with its latest vintage usable by that session.
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
        observations.realtime_start,
        observations.observation_date
        + to_months(series.release_lag_months)
        + to_days(series.release_lag_days) as earliest_release_date,
        series.release_isodow
    from observations
    inner join series on observations.series_id = series.series_id

),

lag_rule as (

    select
        series_id,
        observation_date,
        value,
        realtime_start,
        cast(case
            when release_isodow is null then earliest_release_date
            else
                earliest_release_date
                + to_days(cast((7 + release_isodow - isodow(earliest_release_date)) % 7 as integer))
        end as date) as lag_release_date,
        min(realtime_start) over (partition by series_id) as first_vintage_date
    from released

),

vintages as (

    -- when each value became usable; a tie (two vintages usable the same day) keeps the later vintage
    select
        series_id,
        observation_date,
        value,
        realtime_start,
        cast(case
            when realtime_start is null then lag_release_date
            when realtime_start = first_vintage_date then least(realtime_start + 1, lag_release_date)
            else realtime_start + 1
        end as date) as release_date
    from lag_rule
    qualify
        row_number() over (
            partition by series_id, observation_date, release_date order by realtime_start desc nulls last
        ) = 1

),

first_release as (

    select
        series_id,
        observation_date,
        min(release_date) as first_release_date
    from vintages
    group by series_id, observation_date

),

newest_known as (

    -- newest observation usable on each release date (several can be published together, e.g. a weekly H.10)
    select
        series_id,
        first_release_date,
        max(max(observation_date)) over (
            partition by series_id order by first_release_date rows between unbounded preceding and current row
        ) as observation_date
    from first_release
    group by series_id, first_release_date

),

session_series as (

    select
        calendar.trade_date,
        series.series_id
    from calendar
    cross join series

),

session_observation as (

    select
        session_series.trade_date,
        session_series.series_id,
        newest_known.observation_date
    from session_series
    asof left join newest_known
        on
            session_series.series_id = newest_known.series_id
            and session_series.trade_date >= newest_known.first_release_date

),

as_of as (

    select
        session_observation.trade_date,
        session_observation.series_id,
        vintages.value,
        vintages.observation_date,
        vintages.release_date,
        vintages.realtime_start,
        session_observation.trade_date - vintages.observation_date as observation_age_days
    from session_observation
    asof left join vintages
        on
            session_observation.series_id = vintages.series_id
            and session_observation.observation_date = vintages.observation_date
            and session_observation.trade_date >= vintages.release_date

)

select * from as_of
