-- VaR backtest of the final forecast per horizon, level and origin sample. Contracted: a typed wrapper over the
-- Python step ml_var_backtest (dbt cannot contract a Python model).
with backtest as (

    select * from {{ ref('ml_var_backtest') }}

),

final as (

    select
        cast(horizon_days as integer) as horizon_days,
        cast(level as double) as level,
        cast(sample as varchar) as sample,
        cast(n_obs as integer) as n_obs,
        cast(n_exceed as integer) as n_exceed,
        cast(expected as double) as expected,
        cast(exceed_rate as double) as exceed_rate,
        cast(kupiec_lr as double) as kupiec_lr,
        cast(kupiec_p as double) as kupiec_p,
        cast(christoffersen_lr as double) as christoffersen_lr,
        cast(christoffersen_p as double) as christoffersen_p,
        cast(traffic_light as varchar) as traffic_light
    from backtest

)

select * from final
