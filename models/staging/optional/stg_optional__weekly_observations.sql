-- Optional weekly inputs, long: (series_id, observation_date, release_date, value). Each file is read only when it
-- exists in the data directory; otherwise it contributes no rows and the buckets build without its features.
-- series: rin_d6_usd (epa_rin_prices_d6.csv, the raw EPA export, via stg_epa__rin_d6_weekly and its monthly publication
-- rule; otherwise rins.csv, +1 day), rin_d4_usd (rins.csv, +1 day), cot_managed_money_net (cftc_cot.csv, +3 days),
-- export_sales_china_mt (export_sales.csv, +7 days).
-- depends_on: {{ ref('stg_epa__rin_d6_weekly') }}
{%- set parts = [] %}
{%- set epa_d6 = zl_data_file_exists('epa_rin_prices_d6.csv') %}
{%- if epa_d6 %}
{%- do parts.append("select 'rin_d6_usd' as series_id, transfer_week as observation_date, release_date, price_usd as value from " ~ ref('stg_epa__rin_d6_weekly')) %}
{%- endif %}
{%- if zl_data_file_exists('rins.csv') %}
{%- do parts.append("select 'rin_d4_usd' as series_id, cast(date as date) as observation_date, cast(date as date) + 1 as release_date, cast(d4_usd as double) as value from " ~ source('optional', 'rins')) %}
{%- if not epa_d6 %}
{%- do parts.append("select 'rin_d6_usd' as series_id, cast(date as date) as observation_date, cast(date as date) + 1 as release_date, cast(d6_usd as double) as value from " ~ source('optional', 'rins')) %}
{%- endif %}
{%- endif %}
{%- if zl_data_file_exists('cftc_cot.csv') %}
{%- do parts.append("select 'cot_managed_money_net' as series_id, cast(report_date as date) as observation_date, cast(report_date as date) + 3 as release_date, cast(managed_money_net as double) as value from " ~ source('optional', 'cftc_cot')) %}
{%- endif %}
{%- if zl_data_file_exists('export_sales.csv') %}
{%- do parts.append("select 'export_sales_china_mt' as series_id, cast(week_ending as date) as observation_date, cast(week_ending as date) + 7 as release_date, cast(net_sales_mt as double) as value from " ~ source('optional', 'export_sales')) %}
{%- endif %}
with observations as (

    {% if parts %}
    {{ parts | join('\n    union all\n    ') }}
    {% else %}
    select
        cast(null as varchar) as series_id,
        cast(null as date) as observation_date,
        cast(null as date) as release_date,
        cast(null as double) as value
    where false
    {% endif %}

)

select * from observations
