{#- FX bucket: the US dollar and the Brazilian real.
    Broad dollar index (DTWEXBGS, H.10, as of its weekly release): 20/60-session log momentum and
    60-session volatility of its daily log changes (annualised, sqrt(252)).
    BRL from 6L futures (USD per BRL, daily, real time): 20-session momentum and 20-session annualised vol;
    rolling 60-session correlation of ZL and 6L daily returns. -#}
{% macro big8_fx(aligned, macro, corr_window=60, vol_window=20) -%}
with prices as (

    select trade_date, brl_log_index, brl_log_return, zl_log_return
    from {{ aligned }}

),

macro_wide as (

    {{ zl_pivot_macro(macro, ['DTWEXBGS']) }}

),

joined as (

    select prices.*, macro_wide.dtwexbgs,
        ln(macro_wide.dtwexbgs) - ln(lag(macro_wide.dtwexbgs) over (order by trade_date)) as usd_broad_log_change
    from prices
    left join macro_wide using (trade_date)

),

features as (

    select
        trade_date,
        {{ zl_log_change('dtwexbgs', 20) }} as fx__usd_broad_mom_20d,
        {{ zl_log_change('dtwexbgs', 60) }} as fx__usd_broad_mom_60d,
        {{ zl_rolling_std('usd_broad_log_change', 60, scale='sqrt(252)') }} as fx__usd_broad_vol_60d,
        {{ zl_diff('brl_log_index', 20) }} as fx__brl_mom_20d,
        {{ zl_rolling_std('brl_log_return', vol_window, scale='sqrt(252)') }} as fx__brl_vol_{{ vol_window }}d,
        {{ zl_rolling_corr('zl_log_return', 'brl_log_return', corr_window) }} as fx__zl_brl_corr_{{ corr_window }}d
    from joined

)

select * from features
{%- endmacro %}
