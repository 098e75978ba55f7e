-- sqlfluff:exclude_rules:AM04,ST06,RF04,CV03,LT05,ST07,LT02
-- (LT02 off: the Jinja loops below emit their own indentation)
-- The feature roots on the ZL calendar, wide (one row per ZL session). Each root's values are taken
-- as of the ZL session date (its latest session on or before it), so a holiday session of a 23-hour
-- product folds into the next ZL session and nothing later than the ZL date is ever used.
-- Columns per root prefix p: p_close (last valid close, quoted unit), p_log_index (roll-adjusted),
-- p_log_return (change of p_log_index since the previous ZL session), p_is_stale (no valid session of
-- the root on this date).
{%- set roots = zl_feature_roots() %}
with calendar as (

    select trade_date from {{ ref('int_calendar__zl_sessions') }}

),

continuous as (

    select * from {{ ref('int_futures__continuous') }}
    where clean_close_price is not null

),

{% for root, p in roots.items() %}
bars_{{ p }} as (

    select * from continuous
    where root = '{{ root }}'

),

asof_{{ p }} as (

    select
        calendar.trade_date,
        bars_{{ p }}.clean_close_price as {{ p }}_close,
        bars_{{ p }}.adjusted_log_index as {{ p }}_log_index,
        not coalesce(bars_{{ p }}.trade_date = calendar.trade_date and bars_{{ p }}.is_valid, false) as {{ p }}_is_stale
    from calendar
    asof left join bars_{{ p }}
        on calendar.trade_date >= bars_{{ p }}.trade_date

),

{% endfor %}
joined as (

    select
        calendar.trade_date
        {%- for root, p in roots.items() %},
        asof_{{ p }}.{{ p }}_close,
        asof_{{ p }}.{{ p }}_log_index,
        asof_{{ p }}.{{ p }}_log_index
        - lag(asof_{{ p }}.{{ p }}_log_index) over (order by calendar.trade_date) as {{ p }}_log_return,
        asof_{{ p }}.{{ p }}_is_stale
        {%- endfor %}
    from calendar
    {%- for root, p in roots.items() %}
    left join asof_{{ p }} using (trade_date)
    {%- endfor %}

)

select * from joined
