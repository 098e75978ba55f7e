{#-
    The select list of a contracted wrapper: every column the model's YAML contract declares, cast to its
    data_type, in contract order. The YAML is the one place a published column is declared; the wrapper SQL only
    names the Python step it reads. Fails at compile time when the model declares no typed columns.
-#}
{% macro zl_contract_casts() -%}
{%- set columns = model.columns.values() | list -%}
{%- set untyped = columns | selectattr('data_type', 'none') | list -%}
{%- if execute and (columns | length == 0 or untyped | length > 0) -%}
{{ exceptions.raise_compiler_error("zl_contract_casts: " ~ model.name ~ " must declare every column with a data_type") }}
{%- endif -%}
{%- for column in columns -%}
{{ ",\n        " if not loop.first }}cast({{ column.name }} as {{ column.data_type }}) as {{ column.name }}
{%- endfor -%}
{%- endmacro %}
