{% test zl_expression_is_true(model, expression, column_name=none) %}
{#- Fails with the rows for which the boolean SQL expression is not true (scope rows with config `where`). -#}
select *
from {{ model }}
where not coalesce(({{ expression }}), false)
{% endtest %}
