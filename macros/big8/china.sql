{#- China bucket: Chinese demand and the US-vs-Brazil soybean competition.
    HG (copper, USD/lb) momentum as a China-growth proxy; rolling ZS-HG daily return correlation;
    CNY per USD (DEXCHUS, H.10, as of its weekly release) momentum (+ = weaker yuan);
    Brazil competitiveness: 6L (USD per BRL) 60-session momentum (- = weaker real = cheaper Brazilian beans) and
    soybeans priced in BRL (ZS/100 USD/bu / 6L USD/BRL = BRL/bu) as a trailing z-score. -#}
{% macro big8_china(aligned, macro, corr_window=60, zscore_window=252, optional=none) -%}
with prices as (

    select trade_date, hg_log_index, hg_log_return, zs_log_return, zs_close, brl_close, brl_log_index
    from {{ aligned }}

),

macro_wide as (

    {{ zl_pivot_macro(macro, ['DEXCHUS']) }}

),

joined as (

    select prices.*, macro_wide.dexchus, zs_close / 100.0 / brl_close as zs_brl_per_bu
    from prices
    left join macro_wide using (trade_date)

),

features as (

    select
        trade_date,
        {{ zl_diff('hg_log_index', 20) }} as china__hg_mom_20d,
        {{ zl_diff('hg_log_index', 60) }} as china__hg_mom_60d,
        {{ zl_rolling_corr('zs_log_return', 'hg_log_return', corr_window) }} as china__zs_hg_corr_{{ corr_window }}d,
        {{ zl_log_change('dexchus', 20) }} as china__cny_per_usd_mom_20d,
        {{ zl_log_change('dexchus', 60) }} as china__cny_per_usd_mom_60d,
        {{ zl_diff('brl_log_index', 60) }} as china__brl_usd_mom_60d,
        {{ zl_rolling_zscore('zs_brl_per_bu', zscore_window) }} as china__zs_in_brl_z{{ zscore_window }}
    from joined

)

{%- if optional is not none %}
, with_optional as (

    {{ zl_optional_asof('features', optional, {'export_sales_china_mt': 'china__export_sales_china_mt'}) }}

)

select * from with_optional
{%- else %}

select * from features
{%- endif %}
{%- endmacro %}
