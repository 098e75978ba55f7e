{#- on-run-start hook: `dbt run` does not load seeds, yet the models read two small reference seeds. When a seed
    table is missing (fresh warehouse, `dbt run --select +zl_forecast`), load it from its CSV so the run works on its
    own; `dbt seed` / `dbt build` still own the tables and replace them as usual. -#}
{% macro zl_ensure_reference_seeds() %}
{%- if execute and flags.WHICH in ('run', 'compile') -%}
{%- for seed in graph.nodes.values() | selectattr('resource_type', 'equalto', 'seed') -%}
{%- set rel = adapter.get_relation(database=seed.database, schema=seed.schema, identifier=seed.alias) -%}
{%- if rel is none -%}
{%- set target_rel = adapter.quote(seed.database) ~ "." ~ adapter.quote(seed.schema) ~ "." ~ adapter.quote(seed.alias) -%}
{%- do run_query("create schema if not exists " ~ adapter.quote(seed.database) ~ "." ~ adapter.quote(seed.schema)) -%}
{%- do run_query("create table " ~ target_rel ~ " as select * from read_csv('"
                 ~ seed.root_path ~ "/" ~ seed.original_file_path ~ "', header = true, auto_detect = true)") -%}
{%- do log("zl_ensure_reference_seeds: loaded missing seed " ~ seed.alias ~ " from its CSV for this run", info=true) -%}
{%- endif -%}
{%- endfor -%}
{%- endif -%}
{% endmacro %}
