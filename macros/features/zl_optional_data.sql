{#- Optional inputs: files that the data directory MAY hold (rins.csv, cftc_cot.csv, export_sales.csv).
    zl_data_file_exists(filename): true when $ZL_DATA_DIR/<filename> exists (checked at execution time).
    zl_has_rows(relation): true when the relation holds at least one row (checked at execution time). -#}
{% macro zl_data_file_exists(filename) -%}
{%- if not execute -%}{{ return(false) }}{%- endif -%}
{%- set path = env_var('ZL_DATA_DIR', 'state/demo_data') ~ '/' ~ filename -%}
{%- set result = run_query("select count(*) from glob('" ~ path ~ "')") -%}
{{ return(result.columns[0].values()[0] > 0) }}
{%- endmacro %}

{% macro zl_has_rows(relation) -%}
{#- inside dbt unit tests refs are CTEs that a separate query cannot see: optional inputs count as absent there -#}
{%- if not execute or '__dbt__cte__' in (relation | string) -%}{{ return(false) }}{%- endif -%}
{%- set result = run_query("select count(*) from " ~ relation) -%}
{{ return(result.columns[0].values()[0] > 0) }}
{%- endmacro %}

{#- Adds, to the rows of cte (one per trade_date), each optional series as of its release date (the newest observation
    among those released on or before the date) and its change over change_n sessions, named by columns:
    {series_id: feature_name}. Only the series present in `optional` are added. -#}
{% macro zl_optional_asof(cte, optional, columns, change_n=20) -%}
{%- set present = [] -%}
{%- for series_id, name in columns.items() -%}
{%- if zl_has_rows(optional ~ " where series_id = '" ~ series_id ~ "'") -%}{%- do present.append((series_id, name)) -%}{%- endif -%}
{%- endfor -%}
select
    {{ cte }}.*
{%- for series_id, name in present %},
    {{ name }}_src.value as {{ name }},
    {{ name }}_src.value - lag({{ name }}_src.value, {{ change_n }}) over (order by {{ cte }}.trade_date) as {{ name }}_chg_{{ change_n }}d
{%- endfor %}
from {{ cte }}
{%- for series_id, name in present %}
asof left join (
    -- several observations released together (a monthly batch): the newest one
    select release_date, value from {{ optional }} where series_id = '{{ series_id }}'
    qualify row_number() over (partition by release_date order by observation_date desc) = 1
) as {{ name }}_src
    on {{ name }}_src.release_date <= {{ cte }}.trade_date
{%- endfor %}
{%- endmacro %}
