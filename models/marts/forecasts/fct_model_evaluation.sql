-- Out-of-fold scores of every L0 model per horizon against the EWMA random walk.
with source as (

    select * from {{ ref('ml_model_evaluation') }}

)

select * from source
