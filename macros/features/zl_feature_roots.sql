{#- Futures roots the features use, with the column prefix each gets in int_futures__zl_aligned. -#}
{% macro zl_feature_roots() -%}
{{ return({'ZL': 'zl', 'ZS': 'zs', 'ZM': 'zm', 'HG': 'hg', '6L': 'brl', 'CL': 'cl', 'HO': 'ho', 'RB': 'rb', 'ZQ': 'zq'}) }}
{%- endmacro %}
