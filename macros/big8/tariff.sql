{#- Tariff bucket: US-China trade-policy event calendar, aligned to the session that could react.
    Calendar days since the last escalation / de-escalation (capped at cap_days, which also stands for
    "none yet"); counts of escalations and de-escalations taking effect in the trailing 90 calendar days;
    event-window flags: an event took effect in the last 5 sessions (current included). -#}
{% macro big8_tariff(calendar, events, cap_days=730, count_days=90, window_sessions=5) -%}
with sessions as (

    select trade_date, session_index from {{ calendar }}

),

events as (

    select effective_trade_date, direction_sign
    from {{ events }}
    where effective_trade_date is not null

),

last_events as (

    select
        sessions.trade_date,
        sessions.session_index,
        max(events.effective_trade_date) filter (where events.direction_sign = 1) as last_escalation_date,
        max(events.effective_trade_date) filter (where events.direction_sign = -1) as last_deescalation_date,
        count(events.effective_trade_date) filter (
            where events.direction_sign = 1 and events.effective_trade_date > sessions.trade_date - {{ count_days }}
        ) as escalations_recent,
        count(events.effective_trade_date) filter (
            where events.direction_sign = -1 and events.effective_trade_date > sessions.trade_date - {{ count_days }}
        ) as deescalations_recent
    from sessions
    left join events on events.effective_trade_date <= sessions.trade_date
    group by sessions.trade_date, sessions.session_index

),

window_flags as (

    select
        sessions.trade_date,
        count(events.effective_trade_date) filter (where events.direction_sign = 1) as escalations_in_window,
        count(events.effective_trade_date) as events_in_window
    from sessions
    left join sessions as window_start
        on window_start.session_index = greatest(sessions.session_index - {{ window_sessions - 1 }}, 1)
    left join events
        on events.effective_trade_date between window_start.trade_date and sessions.trade_date
    group by sessions.trade_date

),

features as (

    select
        last_events.trade_date,
        least(coalesce(last_events.trade_date - last_events.last_escalation_date, {{ cap_days }}), {{ cap_days }})
            as tariff__days_since_escalation,
        least(coalesce(last_events.trade_date - last_events.last_deescalation_date, {{ cap_days }}), {{ cap_days }})
            as tariff__days_since_deescalation,
        last_events.escalations_recent as tariff__escalations_{{ count_days }}d,
        last_events.deescalations_recent as tariff__deescalations_{{ count_days }}d,
        last_events.escalations_recent - last_events.deescalations_recent as tariff__net_escalations_{{ count_days }}d,
        cast(window_flags.events_in_window > 0 as integer) as tariff__event_window_{{ window_sessions }}s,
        cast(window_flags.escalations_in_window > 0 as integer) as tariff__escalation_window_{{ window_sessions }}s
    from last_events
    inner join window_flags using (trade_date)

)

select * from features
{%- endmacro %}
