-- A compact sample of the latest forecast's Monte Carlo price paths for fan charts (US cents/lb), day 0 = spot.
-- Contracted.
with paths as (

    select * from {{ ref('ml_monte_carlo') }}
    where in_sample

),

origins as (

    select distinct
        as_of_date,
        path_id,
        0 as day,
        spot_close as price
    from paths

),

sampled as (

    select
        as_of_date,
        path_id,
        day,
        price
    from origins
    union all
    select
        as_of_date,
        path_id,
        day,
        price
    from paths

),

final as (

    select
        cast(as_of_date as date) as as_of_date,
        cast(path_id as integer) as path_id,
        cast(day as integer) as day,
        cast(price as double) as price
    from sampled

)

select * from final
order by path_id, day
