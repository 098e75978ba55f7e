-- Calibration and sharpness of the whole published distribution, beside the EWMA random walk, per horizon and
-- group (overall, calendar half-year, EWMA-vol tercile, PIT bin). Contracted: a typed wrapper over the Python step
-- ml_forecast_calibration (dbt cannot contract a Python model).
with calibration as (

    select * from {{ ref('ml_forecast_calibration') }}

),

final as (

    select
        {{ zl_contract_casts() }}
    from calibration

)

select * from final
