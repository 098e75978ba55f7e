{% test zl_quantiles_monotone(model, group_by=['model', 'split', 'as_of_date', 'horizon_days'], order_by='quantile', value='value') %}
{#- Fails with the rows whose value is below the value of the next-lower quantile of the same forecast. -#}
with ordered as (
    select *, lag({{ value }}) over (partition by {{ group_by | join(', ') }} order by {{ order_by }}) as previous_value
    from {{ model }}
)
select * from ordered where {{ value }} < previous_value - 1e-12
{% endtest %}
