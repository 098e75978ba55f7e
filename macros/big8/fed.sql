{#- Fed bucket: policy rate, curve and financial stress (percent / percentage points / index).
    DFF effective fed funds (t+1) level and 1-month (21-session) change; ZQ implied rate = 100 - ZQ price
    (real time) and its 21-session change; 10y-2y slope (T10Y2Y) and its change; 10y yield (DGS10);
    St. Louis Fed stress (STLFSI4) and Chicago Fed adjusted NFCI (ANFCI), as of their weekly releases. -#}
{% macro big8_fed(aligned, macro) -%}
with prices as (

    select trade_date, 100 - zq_close as zq_implied_rate_pct
    from {{ aligned }}

),

macro_wide as (

    {{ zl_pivot_macro(macro, ['DFF', 'T10Y2Y', 'DGS10', 'STLFSI4', 'ANFCI']) }}

),

joined as (

    select prices.*, macro_wide.* exclude (trade_date)
    from prices
    left join macro_wide using (trade_date)

),

features as (

    select
        trade_date,
        dff as fed__fed_funds_pct,
        {{ zl_diff('dff', 21) }} as fed__fed_funds_chg_21d,
        zq_implied_rate_pct as fed__zq_implied_rate_pct,
        {{ zl_diff('zq_implied_rate_pct', 21) }} as fed__zq_implied_rate_chg_21d,
        t10y2y as fed__curve_10y2y_pp,
        {{ zl_diff('t10y2y', 21) }} as fed__curve_10y2y_chg_21d,
        dgs10 as fed__ust10y_pct,
        stlfsi4 as fed__stress_stlfsi4,
        anfci as fed__stress_anfci
    from joined

)

select * from features
{%- endmacro %}
