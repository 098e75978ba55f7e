{% test zl_unique_combination(model, columns) %}
{#- Fails with one row per duplicated key: the key values and how often they occur. -#}
select {{ columns | join(', ') }}, count(*) as n_rows
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
