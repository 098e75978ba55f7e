{#- Biofuel bucket: soybean oil against diesel (the biodiesel/renewable diesel feedstock margin proxy).
    BOHO spread (USD/gal) = ZL (US cents/lb) / 100 * 7.5 lb/gal - HO (USD/gal): positive = soybean oil
    dearer than heating oil per gallon. 20-session change, trailing z-score, ZL-HO return correlation.
    Optional: EPA RIN prices as of their publication (stg_optional__weekly_observations): D6 from the raw EPA export
    epa_rin_prices_d6.csv (stg_epa__rin_d6_weekly, used from the first day of the second month after the transfer week's
    month) or rins.csv, D4 from rins.csv; level (USD/RIN) and 20-session change. -#}
{% macro big8_biofuel(aligned, corr_window=60, zscore_window=252, optional=none) -%}
with prices as (

    select trade_date, zl_close, ho_close, zl_log_return, ho_log_return
    from {{ aligned }}

),

levels as (

    select *, zl_close / 100.0 * 7.5 - ho_close as boho_spread_usd_gal
    from prices

),

features as (

    select
        trade_date,
        boho_spread_usd_gal as biofuel__boho_spread_usd_gal,
        {{ zl_diff('boho_spread_usd_gal', 5) }} as biofuel__boho_chg_5d,
        {{ zl_diff('boho_spread_usd_gal', 20) }} as biofuel__boho_chg_20d,
        {{ zl_rolling_zscore('boho_spread_usd_gal', zscore_window) }} as biofuel__boho_z{{ zscore_window }},
        {{ zl_rolling_corr('zl_log_return', 'ho_log_return', corr_window) }} as biofuel__zl_ho_corr_{{ corr_window }}d
    from levels

)

{%- if optional is not none %}
, with_optional as (

    {{ zl_optional_asof('features', optional, {'rin_d4_usd': 'biofuel__rin_d4_usd', 'rin_d6_usd': 'biofuel__rin_d6_usd'}) }}

)

select * from with_optional
{%- else %}

select * from features
{%- endif %}
{%- endmacro %}
