{% test zl_long_predictions(model) %}
{#- The long prediction format (zlcast.forecast.frames): fails with the rows that have a null key or value, a
    horizon outside var('horizons'), a quantile outside var('quantiles'), a log-return value beyond +-3 or a split
    other than oof/live. Uniqueness and monotone quantiles have their own tests. -#}
select *
from {{ model }}
where as_of_date is null
   or horizon_days is null
   or target_date is null
   or model is null
   or fold_id is null
   or value is null
   or horizon_days not in ({{ var('horizons') | join(', ') }})
   or round(quantile, 6) not in ({{ var('quantiles') | join(', ') }})
   or abs(value) > 3
   or split is null
   or split not in ('oof', 'live')
{% endtest %}
