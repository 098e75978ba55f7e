{% test zl_feature_fill_rate(model, min_share, warmup_days=400, column_pattern='__') %}
{#- Fails with one row per feature column (name matching column_pattern) whose non-null share, over the
    rows after the first warmup_days calendar days of history, is below min_share. -#}
with scoped as (
    select * from {{ model }}
    where trade_date >= (select min(trade_date) from {{ model }}) + to_days({{ warmup_days }})
),
counts as (
    select count(*) as n_rows, count(columns('{{ column_pattern }}')) from scoped
),
long as (
    unpivot counts on columns('{{ column_pattern }}') into name feature value n_non_null
)
select feature, n_non_null::double / n_rows as non_null_share, {{ min_share }} as min_share
from long
where n_non_null::double / n_rows < {{ min_share }}
{% endtest %}
