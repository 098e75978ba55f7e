{#- Energy bucket: crude and products.
    CL (USD/bbl), HO and RB (USD/gal) roll-adjusted log momentum; 3-2-1 crack spread in USD/bbl
    = (2 * RB * 42 + HO * 42 - 3 * CL) / 3 and its trailing z-score; ZL-CL daily return correlation. -#}
{% macro big8_energy(aligned, corr_window=60, zscore_window=252) -%}
with prices as (

    select trade_date, cl_close, ho_close, rb_close, cl_log_index, ho_log_index, rb_log_index,
        zl_log_return, cl_log_return
    from {{ aligned }}

),

levels as (

    select *, (2 * rb_close * 42 + ho_close * 42 - 3 * cl_close) / 3 as crack_321_usd_bbl
    from prices

),

features as (

    select
        trade_date,
        {{ zl_diff('cl_log_index', 5) }} as energy__cl_mom_5d,
        {{ zl_diff('cl_log_index', 20) }} as energy__cl_mom_20d,
        {{ zl_diff('ho_log_index', 20) }} as energy__ho_mom_20d,
        {{ zl_diff('rb_log_index', 20) }} as energy__rb_mom_20d,
        crack_321_usd_bbl as energy__crack_321_usd_bbl,
        {{ zl_rolling_zscore('crack_321_usd_bbl', zscore_window) }} as energy__crack_321_z{{ zscore_window }},
        {{ zl_rolling_corr('zl_log_return', 'cl_log_return', corr_window) }} as energy__zl_cl_corr_{{ corr_window }}d
    from levels

)

select * from features
{%- endmacro %}
