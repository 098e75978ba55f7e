-- sqlfluff:exclude_rules:AM04,ST06,RF04,CV03,LT05,ST07,LT02
-- (LT02 off: the Jinja loops below emit their own indentation)
{% test zl_accepted_range(model, column_name, min_value=none, max_value=none, inclusive=true) %}
{#- Fails with the rows whose value lies outside [min_value, max_value] (open interval if not inclusive). Nulls pass. -#}
{%- set lo = '>=' if inclusive else '>' -%}
{%- set hi = '<=' if inclusive else '<' -%}
select *
from {{ model }}
where
    {{ column_name }} is not null
    and not (
        true
        {%- if min_value is not none %} and {{ column_name }} {{ lo }} {{ min_value }} {%- endif %}
        {%- if max_value is not none %} and {{ column_name }} {{ hi }} {{ max_value }} {%- endif %}
    )
{% endtest %}
