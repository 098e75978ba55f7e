{#- Trailing sample standard deviation of expr over n sessions, times scale (e.g. sqrt(252) to annualise). -#}
{% macro zl_rolling_std(expr, n, scale=1, min_periods=none, order_by='trade_date') -%}
{%- set mp = min_periods if min_periods is not none else (n // 2) -%}
case when count({{ expr }}) over {{ zl_window(n, order_by) }} >= {{ mp }}
     then stddev_samp({{ expr }}) over {{ zl_window(n, order_by) }} * {{ scale }}
end
{%- endmacro %}
