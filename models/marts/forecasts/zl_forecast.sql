-- The user-facing forecast: for the latest as_of_date (and every live origin), the distribution of the ZL
-- front-month price at 5/20/60 trading days, in US cents/lb.
with distribution as (

    select * from {{ ref('ml_forecast_distribution') }}
    where split = 'live'

),

final as (

    select
        {{ zl_contract_casts() }}
    from distribution

)

select * from final
