-- ZL's valid sessions with their prices, roll flag and daily range-based variances (the inputs of the
-- h-day volatility forecast ml_vol_forecast). A roll session's range spans two contracts' sessions only
-- in name (the front month changed), so like its return it is excluded: the variances are null on it.
with zl as (

    select
        trade_date,
        instrument_id,
        open_price,
        high_price,
        low_price,
        close_price,
        is_roll,
        log_return
    from {{ ref('int_futures__continuous') }}
    where root = 'ZL' and is_valid

)

select
    *,
    case
        when not is_roll and high_price >= low_price
            then {{ zl_parkinson_variance('high_price', 'low_price') }}
    end as parkinson_variance,
    case
        when not is_roll and high_price >= low_price and open_price > 0
            then {{ zl_garman_klass_variance('open_price', 'high_price', 'low_price', 'close_price') }}
    end as garman_klass_variance
from zl
