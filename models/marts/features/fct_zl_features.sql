-- sqlfluff:exclude_rules:AM04,ST06,RF04,CV03,LT05,ST07,LT02
-- (LT02 off: the Jinja loops below emit their own indentation)
-- The feature matrix: one row per ZL session, the features of every bucket in var('buckets') (wide, `<bucket>__<feature>`)
-- plus the shared `core__` ZL price features. Only information available at the session's close.
-- Targets are NOT here (fct_zl_targets).
{%- set buckets = var('buckets') %}
with calendar as (

    select
        trade_date,
        is_valid_origin
    from {{ ref('int_calendar__zl_sessions') }}

),

core as (

    select * from {{ ref('int_zl__core_features') }}

),

{% for b in buckets %}
{{ b }} as (

    select * from {{ ref('int_big8__' ~ b) }}

),

{% endfor %}
joined as (

    select
        calendar.trade_date,
        calendar.is_valid_origin,
        core.* exclude (trade_date)
        {%- for b in buckets %},
        {{ b }}.* exclude (trade_date)
        {%- endfor %}
    from calendar
    left join core using (trade_date)
    {%- for b in buckets %}
    left join {{ b }} using (trade_date)
    {%- endfor %}

)

select * from joined
