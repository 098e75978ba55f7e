-- The ZL trading calendar: one row per CME session of ZL. Every feature row is keyed on these dates.
-- A low-volume session (illiquid contract picked by the volume-ranked mapping) stays in the calendar
-- but is not a forecast origin; origins and horizons count rows of the valid series only.
with zl_bars as (

    select * from {{ ref('stg_futures__daily_bars') }}
    where root = 'ZL'

),

sessions as (

    select
        trade_date,
        n_bars,
        is_low_volume,
        not is_low_volume and close_price > 0 as is_valid_origin,
        n_bars < 10 as is_short_session,
        isodow(trade_date) as iso_day_of_week,
        row_number() over (order by trade_date) as session_index,
        lead(trade_date) over (order by trade_date) as next_trade_date,
        lag(trade_date) over (order by trade_date) as previous_trade_date
    from zl_bars

),

valid_index as (

    select
        *,
        case
            when is_valid_origin
                then count(*) filter (where is_valid_origin) over (
                        order by trade_date rows between unbounded preceding and current row
                    )
        end as valid_session_index
    from sessions

)

select * from valid_index
