{#- Log change of a positive level over n ZL sessions: ln(x_t) - ln(x_{t-n}). -#}
{% macro zl_log_change(expr, n, order_by='trade_date') -%}
(ln({{ expr }}) - ln(lag({{ expr }}, {{ n }}) over (order by {{ order_by }})))
{%- endmacro %}
