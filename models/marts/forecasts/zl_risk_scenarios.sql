-- Monte Carlo risk summary of the latest forecast per horizon (VaR/CVaR, move odds, drawdowns). Contracted: a
-- typed wrapper over the Python step ml_risk_scenarios (dbt cannot contract a Python model).
with scenarios as (

    select * from {{ ref('ml_risk_scenarios') }}

),

final as (

    select
        {{ zl_contract_casts() }}
    from scenarios

)

select * from final
