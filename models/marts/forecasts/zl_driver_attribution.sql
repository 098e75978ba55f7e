-- How much each Big 8 bucket moved the final median, per as_of_date, horizon and member.
with source as (

    select * from {{ ref('ml_driver_attribution') }}

)

select * from source
