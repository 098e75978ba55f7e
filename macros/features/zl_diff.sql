{#- Difference of a level over n ZL sessions: x_t - x_{t-n} (for spreads and rates that can be <= 0). -#}
{% macro zl_diff(expr, n, order_by='trade_date') -%}
({{ expr }} - lag({{ expr }}, {{ n }}) over (order by {{ order_by }}))
{%- endmacro %}
