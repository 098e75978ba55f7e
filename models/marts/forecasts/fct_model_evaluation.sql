-- Out-of-fold scores of every L0 model per horizon against the EWMA random walk. Contracted: a typed wrapper over
-- the Python step ml_model_evaluation (dbt cannot contract a Python model).
with evaluation as (

    select * from {{ ref('ml_model_evaluation') }}

),

final as (

    select
        {{ zl_contract_casts() }}
    from evaluation

)

select * from final
