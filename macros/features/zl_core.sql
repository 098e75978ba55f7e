{#- Core ZL price features shared by every specialist (not a Big 8 bucket): roll-adjusted log momentum
    over 1/5/20/60 sessions, distance of the log price from its 50- and 200-session means, and the
    log of the last valid close (US cents/lb). -#}
{% macro zl_core(aligned) -%}
with prices as (

    select trade_date, zl_close, zl_log_index, zl_log_return, zl_is_stale
    from {{ aligned }}

),

features as (

    select
        trade_date,
        ln(zl_close) as core__zl_log_close,
        zl_log_return as core__zl_ret_1d,
        {{ zl_diff('zl_log_index', 5) }} as core__zl_mom_5d,
        {{ zl_diff('zl_log_index', 20) }} as core__zl_mom_20d,
        {{ zl_diff('zl_log_index', 60) }} as core__zl_mom_60d,
        zl_log_index - avg(zl_log_index) over {{ zl_window(50) }} as core__zl_dist_ma50,
        zl_log_index - avg(zl_log_index) over {{ zl_window(200) }} as core__zl_dist_ma200
    from prices

)

select * from features
{%- endmacro %}
