-- Out-of-fold scores of every L0 model per horizon against the EWMA random walk. Contracted: a typed wrapper over
-- the Python step ml_model_evaluation (dbt cannot contract a Python model).
with evaluation as (

    select * from {{ ref('ml_model_evaluation') }}

),

final as (

    select
        cast(model as varchar) as model,
        cast(horizon_days as integer) as horizon_days,
        cast(pinball as double) as pinball,
        cast(coverage80 as double) as coverage80,
        cast(mape_pct as double) as mape_pct,
        cast(skill_vs_rw as double) as skill_vs_rw,
        cast(hit_rate as double) as hit_rate,
        cast(n_origins as integer) as n_origins,
        cast(period_start as date) as period_start,
        cast(period_end as date) as period_end
    from evaluation

)

select * from final
