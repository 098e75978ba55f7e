-- Every L0 model's predictions in one long table: OOF rows over the walk-forward folds and live rows for the
-- latest origins. value = predicted log return of the ZL front-month close from as_of_date to target_date.
{%- set l0_models = ['ml_baseline_lightgbm', 'ml_core_timeseries'] %}
{%- for bucket in var('buckets') %}{% do l0_models.append('ml_specialist__' ~ bucket) %}{% endfor %}
with
{% for m in l0_models %}
{{ m }} as (

    select
        cast(as_of_date as date) as as_of_date,
        cast(horizon_days as integer) as horizon_days,
        cast(target_date as date) as target_date,
        cast(model as varchar) as model,
        cast(quantile as double) as quantile,
        cast(value as double) as value,
        cast(split as varchar) as split,
        cast(fold_id as integer) as fold_id
    from {{ ref(m) }}

),
{% endfor %}
unioned as (

    {% for m in l0_models %}
    select * from {{ m }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select * from unioned
