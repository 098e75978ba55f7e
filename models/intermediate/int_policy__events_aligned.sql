-- Trade-policy events mapped to the first ZL session that could react to them.
-- The calendar has no time of day, so every event is treated as announced after the CME close of its
-- date (or on a weekend / in Beijing the next day): it takes effect on the first ZL session strictly
-- after event_date. This never lets a feature know an event before the market could have.
with events as (

    select * from {{ ref('stg_policy__events') }}

),

calendar as (

    select trade_date from {{ ref('int_calendar__zl_sessions') }}

),

aligned as (

    select
        events.*,
        (
            select min(calendar.trade_date)
            from calendar
            where calendar.trade_date > events.event_date
        ) as effective_trade_date
    from events

)

select * from aligned
