-- sqlfluff:exclude_rules:AM04,ST06,RF04,CV03,LT05,ST07,LT02
-- (LT02 off: the Jinja loops below emit their own indentation)
{#- Wide as-of-release macro values: one row per ZL session, one column per series (lower-case id). -#}
{% macro zl_pivot_macro(relation, series_ids) -%}
select
    trade_date
    {%- for s in series_ids %},
    max(value) filter (where series_id = '{{ s }}') as {{ s | lower }}
    {%- endfor %}
from {{ relation }}
where series_id in ({% for s in series_ids %}'{{ s }}'{% if not loop.last %}, {% endif %}{% endfor %})
group by trade_date
{%- endmacro %}
