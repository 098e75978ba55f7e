{#- Trailing window frame over ZL sessions: the current row and the n-1 rows before it (never later rows). -#}
{% macro zl_window(n, order_by='trade_date') -%}
(order by {{ order_by }} rows between {{ n - 1 }} preceding and current row)
{%- endmacro %}
