-- How much each meta member (Big 8 bucket specialist, core_ts, baselines, intercept, L2 adjustment) moved the
-- final median, per as_of_date, horizon and split. Contracted: a typed wrapper over the Python step
-- ml_driver_attribution (dbt cannot contract a Python model).
with attribution as (

    select * from {{ ref('ml_driver_attribution') }}

),

final as (

    select
        {{ zl_contract_casts() }}
    from attribution

)

select * from final
