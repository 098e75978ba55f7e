-- FRED observations from every macro/*.csv, typed. `observation_date` is the date the value refers to,
-- not when it was published (see int_macro__as_of_release).
with source as (

    select * from {{ source('fred', 'observations') }}

),

typed as (

    select
        cast(series_id as varchar) as series_id,
        try_cast(date as date) as observation_date,
        try_cast(value as double) as value,
        regexp_extract(filename, '[^/\\]+$') as source_file
    from source
    where nullif(trim(value), '') is not null  -- FRED marks missing observations with '.' or blanks
      and trim(value) <> '.'

)

select * from typed
