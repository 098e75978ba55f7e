{#- Trailing z-score of expr over the last n sessions (current included); null until min_periods values exist. -#}
{% macro zl_rolling_zscore(expr, n, min_periods=none, order_by='trade_date') -%}
{%- set mp = min_periods if min_periods is not none else (n // 2) -%}
case when count({{ expr }}) over {{ zl_window(n, order_by) }} >= {{ mp }}
     then ({{ expr }} - avg({{ expr }}) over {{ zl_window(n, order_by) }})
          / nullif(stddev_samp({{ expr }}) over {{ zl_window(n, order_by) }}, 0)
end
{%- endmacro %}
