-- A compact sample of the latest forecast's Monte Carlo price paths for fan charts (US cents/lb), day 0 = spot.
with paths as (

    select * from {{ ref('ml_monte_carlo') }}
    where in_sample

),

origins as (

    select distinct as_of_date, path_id, 0 as day, spot_close as price
    from paths

),

sampled as (

    select as_of_date, path_id, day, price from origins
    union all
    select as_of_date, path_id, day, price from paths

)

select * from sampled
order by path_id, day
