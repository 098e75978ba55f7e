{#- Trailing Pearson correlation of two return series over n sessions; null until min_periods pairs exist. -#}
{% macro zl_rolling_corr(x, y, n, min_periods=none, order_by='trade_date') -%}
{%- set mp = min_periods if min_periods is not none else (n // 2) -%}
case when regr_count({{ y }}, {{ x }}) over {{ zl_window(n, order_by) }} >= {{ mp }}
     then corr({{ y }}, {{ x }}) over {{ zl_window(n, order_by) }}
end
{%- endmacro %}
