{#- Volatility bucket: ZL realised volatility and the market's fear gauge (annualised, sqrt(252)).
    Estimators over the last n VALID ZL sessions, roll sessions excluded:
    close-close = stdev of daily log returns; Parkinson = sqrt(mean(ln(H/L)^2) / (4 ln 2));
    Garman-Klass = sqrt(mean(0.5 ln(H/L)^2 - (2 ln 2 - 1) ln(C/O)^2)). Vol of vol = stdev of the 20-session
    close-close vol over 60 sessions. VIX (VIXCLS, t+1) level and 5-session change, index points. -#}
{% macro big8_volatility(continuous, calendar, macro, vol_window=20, optional=none) -%}
with zl as (

    select
        trade_date,
        log_return,
        case when log_return is not null then ln(high_price / low_price) end as log_hl,
        case when log_return is not null then ln(close_price / open_price) end as log_co
    from {{ continuous }}
    where root = 'ZL' and is_valid

),

estimators as (

    select
        trade_date,
        {{ zl_rolling_std('log_return', vol_window, scale='sqrt(252)') }} as rv_cc,
        {{ zl_rolling_std('log_return', 60, scale='sqrt(252)') }} as rv_cc_60,
        case when count(log_hl) over {{ zl_window(vol_window) }} >= {{ vol_window // 2 }}
             then sqrt(avg(log_hl * log_hl) over {{ zl_window(vol_window) }} / (4 * ln(2))) * sqrt(252)
        end as rv_parkinson,
        case when count(log_hl) over {{ zl_window(vol_window) }} >= {{ vol_window // 2 }}
             then sqrt(greatest(avg(0.5 * log_hl * log_hl - (2 * ln(2) - 1) * log_co * log_co) over {{ zl_window(vol_window) }}, 0))
                  * sqrt(252)
        end as rv_garman_klass
    from zl

),

with_vol_of_vol as (

    select *, {{ zl_rolling_std('rv_cc', 60) }} as vol_of_vol
    from estimators

),

sessions as (

    select trade_date from {{ calendar }}

),

on_calendar as (

    -- invalid ZL sessions carry the estimates of the last valid one
    select sessions.trade_date, with_vol_of_vol.* exclude (trade_date)
    from sessions
    asof left join with_vol_of_vol on with_vol_of_vol.trade_date <= sessions.trade_date

),

macro_wide as (

    {{ zl_pivot_macro(macro, ['VIXCLS']) }}

),

features as (

    select
        on_calendar.trade_date,
        rv_cc as volatility__zl_rv_cc_{{ vol_window }}d,
        rv_cc_60 as volatility__zl_rv_cc_60d,
        rv_parkinson as volatility__zl_rv_parkinson_{{ vol_window }}d,
        rv_garman_klass as volatility__zl_rv_gk_{{ vol_window }}d,
        rv_cc / nullif(rv_cc_60, 0) as volatility__zl_rv_ratio_{{ vol_window }}_60,
        vol_of_vol as volatility__zl_vol_of_vol_60d,
        macro_wide.vixcls as volatility__vix_level,
        {{ zl_diff('macro_wide.vixcls', 5, order_by='on_calendar.trade_date') }} as volatility__vix_chg_5d
    from on_calendar
    left join macro_wide using (trade_date)

)

{%- if optional is not none %}
, with_optional as (

    {{ zl_optional_asof('features', optional, {'cot_managed_money_net': 'volatility__cot_managed_money_net'}) }}

)

select * from with_optional
{%- else %}

select * from features
{%- endif %}
{%- endmacro %}
