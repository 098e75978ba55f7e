-- EPA D6 RIN price, one per transfer week, from the raw EMTS export (several rows per week). Picked row: the current
-- RIN vintage (RIN year = year of the week's Monday), Unverified; in January, when the new vintage barely trades
-- (first-week prices of $0.01 in 2014, 2018, 2019), the previous vintage. Fallbacks in order: the other of the two
-- vintages, then Q-RIN rows of the preferred and the other vintage. Rows of the week's own transfer year first.
-- Publication rule (conservative): EPA refreshes the export about monthly, so a week is used from the first day of
-- the second month after the month its last day falls in (transfer week 2025-06-02 -> 2025-08-01, 60 days; week
-- 2025-06-23 -> 2025-08-01, 39 days; week 2025-06-30, ending in July -> 2025-09-01), i.e. a month's prices are
-- assumed public by the end of the following month.
-- depends_on: {{ source('epa', 'rin_prices_d6') }}
with source as (

    {% if zl_data_file_exists('epa_rin_prices_d6.csv') -%}
    select * from {{ source('epa', 'rin_prices_d6') }}
    {%- else -%}
    -- no export in the data directory: no rows
    select
        cast(null as varchar) as "Transfer Date by Week",  -- noqa: RF05
        cast(null as varchar) as "Transfer Year",  -- noqa: RF05
        cast(null as varchar) as "RIN Year",  -- noqa: RF05
        cast(null as varchar) as "Fuel (D Code)",  -- noqa: RF05
        cast(null as varchar) as "QAP Service Type",  -- noqa: RF05
        cast(null as varchar) as "RIN Price"  -- noqa: RF05
    where false
    {%- endif %}

),

typed as (

    select
        cast(strptime(trim("Transfer Date by Week"), '%m/%d/%Y') as date) as transfer_week,
        cast(trim("Transfer Year") as integer) as transfer_year,
        cast(trim("RIN Year") as integer) as rin_year,
        trim("Fuel (D Code)") as fuel_code,
        trim("QAP Service Type") as qap_service_type,
        cast(replace(replace(trim("RIN Price"), '$', ''), ',', '') as double) as price_usd
    from source

),

ranked as (

    -- preference 1..4: Unverified before Q-RIN; the preferred vintage (current; previous in January) before the other
    select
        *,
        year(transfer_week) - rin_year as vintage_age,
        case when month(transfer_week) = 1 then 1 else 0 end as preferred_age
    from typed
    where fuel_code = 'D6'

),

picked as (

    select
        *,
        1 + 2 * cast(qap_service_type = 'Q-RIN' as integer) + cast(vintage_age <> preferred_age as integer) as preference
    from ranked
    where
        vintage_age in (0, 1)
        and qap_service_type in ('Unverified', 'Q-RIN')
    qualify
        row_number() over (
            partition by transfer_week
            order by preference, transfer_year <> year(transfer_week), price_usd
        ) = 1

)

select
    transfer_week,
    price_usd,
    rin_year,
    qap_service_type,
    transfer_year,
    cast(date_trunc('month', transfer_week + 6) + interval 2 month as date) as release_date
from picked
