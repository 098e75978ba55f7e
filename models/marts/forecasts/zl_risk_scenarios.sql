-- Monte Carlo risk summary of the latest forecast per horizon (VaR/CVaR, move odds, drawdowns).
with source as (

    select * from {{ ref('ml_risk_scenarios') }}

)

select * from source
