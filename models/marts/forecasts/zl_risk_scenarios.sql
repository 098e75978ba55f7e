-- Monte Carlo risk summary of the latest forecast per horizon (VaR/CVaR, move odds, drawdowns). Contracted: a
-- typed wrapper over the Python step ml_risk_scenarios (dbt cannot contract a Python model).
with scenarios as (

    select * from {{ ref('ml_risk_scenarios') }}

),

final as (

    select
        cast(as_of_date as date) as as_of_date,
        cast(horizon_days as integer) as horizon_days,
        cast(spot as double) as spot,
        cast(mean_price as double) as mean_price,
        cast(median_price as double) as median_price,
        cast(long_var95 as double) as long_var95,
        cast(long_cvar95 as double) as long_cvar95,
        cast(long_var99 as double) as long_var99,
        cast(long_cvar99 as double) as long_cvar99,
        cast(buyer_var95 as double) as buyer_var95,
        cast(buyer_cvar95 as double) as buyer_cvar95,
        cast(buyer_var99 as double) as buyer_var99,
        cast(buyer_cvar99 as double) as buyer_cvar99,
        cast(p_down_5pct as double) as p_down_5pct,
        cast(p_up_5pct as double) as p_up_5pct,
        cast(p_move_5pct as double) as p_move_5pct,
        cast(p_down_10pct as double) as p_down_10pct,
        cast(p_up_10pct as double) as p_up_10pct,
        cast(p_move_10pct as double) as p_move_10pct,
        cast(max_dd_mean_pct as double) as max_dd_mean_pct,
        cast(max_dd_p95_pct as double) as max_dd_p95_pct,
        cast(spot_close as double) as spot_close,
        cast(n_paths as integer) as n_paths,
        cast(model_version as varchar) as model_version
    from scenarios

)

select * from final
