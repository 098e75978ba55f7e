{#- Daily range-based variance of the log price from one session's prices (no annualisation):
    Parkinson = ln(H/L)^2 / (4 ln 2); Garman-Klass = 0.5 ln(H/L)^2 - (2 ln 2 - 1) ln(C/O)^2, floored at 0. -#}
{% macro zl_parkinson_variance(high, low) -%}
(ln({{ high }} / {{ low }}) * ln({{ high }} / {{ low }}) / (4 * ln(2)))
{%- endmacro %}

{% macro zl_garman_klass_variance(open, high, low, close) -%}
greatest(
    0.5 * ln({{ high }} / {{ low }}) * ln({{ high }} / {{ low }})
    - (2 * ln(2) - 1) * ln({{ close }} / {{ open }}) * ln({{ close }} / {{ open }}),
    0
)
{%- endmacro %}
