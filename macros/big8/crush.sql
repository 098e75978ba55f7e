{#- Crush bucket: the soybean processing margin and the oil share of the crush value.
    board_crush_usd_bu = 0.022*ZM (USD/short ton) + 0.11*ZL (US cents/lb) - ZS/100 (cents/bu -> USD/bu):
    a bushel yields ~44 lb of meal (0.022 short ton) and ~11 lb of oil (11 lb x cents/lb / 100 = 0.11*ZL USD).
    oil_share = 0.11*ZL / (0.11*ZL + 0.022*ZM), in (0, 1). -#}
{% macro big8_crush(aligned, zscore_window=252) -%}
with prices as (

    select trade_date, zl_close, zm_close, zs_close
    from {{ aligned }}

),

levels as (

    select
        trade_date,
        0.022 * zm_close + 0.11 * zl_close - zs_close / 100.0 as board_crush_usd_bu,
        0.11 * zl_close / (0.11 * zl_close + 0.022 * zm_close) as oil_share,
        zs_close / 100.0 as bean_cost_usd_bu
    from prices

),

features as (

    select
        trade_date,
        board_crush_usd_bu as crush__board_crush_usd_bu,
        oil_share as crush__oil_share,
        board_crush_usd_bu / nullif(bean_cost_usd_bu, 0) as crush__margin_over_bean_cost,
        {{ zl_diff('board_crush_usd_bu', 5) }} as crush__board_crush_chg_5d,
        {{ zl_diff('board_crush_usd_bu', 20) }} as crush__board_crush_chg_20d,
        {{ zl_diff('oil_share', 5) }} as crush__oil_share_chg_5d,
        {{ zl_diff('oil_share', 20) }} as crush__oil_share_chg_20d,
        {{ zl_rolling_zscore('board_crush_usd_bu', zscore_window) }} as crush__board_crush_z{{ zscore_window }},
        {{ zl_rolling_zscore('oil_share', zscore_window) }} as crush__oil_share_z{{ zscore_window }}
    from levels

)

select * from features
{%- endmacro %}
