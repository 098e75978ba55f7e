-- FRED observations of every macro/*.csv, typed, one row per (series, observation date, vintage). Three layouts:
-- the latest vintage (series_id,date,value: realtime_start null), ALFRED vintages (series_id,date,value,
-- realtime_start: the first day FRED published the value) and FRED's own CSV download (observation_date,<SERIES_ID>,
-- unpivoted: its value column is named after the series). `observation_date` is the date the value refers to, not
-- when it was published (see int_macro__as_of_release). Missing markers ('.', blank) are dropped.
-- A table, unlike the other staging views: a view would parse every macro CSV (55k vintage rows on the real data)
-- again for each test and each model that reads it.
{{ config(materialized='table') }}

with source as (

    select * from {{ source('fred', 'observations') }}

),

tidy as (

    select
        series_id,
        date as observation_text,
        value as value_text,
        realtime_start as realtime_start_text,
        filename
    from source
    where observation_date is null

),

downloaded as (

    -- one column per downloaded series (plus the always-null placeholder, so the column list is never empty)
    unpivot (
        select * exclude (series_id, date, value, realtime_start)
        from source
        where observation_date is not null
    )
    on columns(* exclude (observation_date, filename))
    into name series_id value value_text

),

unioned as (

    select * from tidy
    union all
    select
        series_id,
        observation_date as observation_text,
        value_text,
        null as realtime_start_text,
        filename
    from downloaded

),

typed as (

    select
        cast(series_id as varchar) as series_id,
        try_cast(observation_text as date) as observation_date,
        try_cast(value_text as double) as value,
        try_cast(realtime_start_text as date) as realtime_start,
        regexp_extract(filename, '[^/\\]+$') as source_file
    from unioned
    where
        nullif(trim(value_text), '') is not null
        and trim(value_text) <> '.'

)

select * from typed
