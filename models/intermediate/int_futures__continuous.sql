-- Continuous front-month series for the roots the features use, with roll flags and clean returns.
-- * A session is valid when it is not low-volume and its close is positive; invalid sessions keep
--   their row (flagged) but carry no return and do not move the adjusted index.
-- * is_roll compares the instrument with the previous VALID session, so a switch to an illiquid
--   contract and back is not counted twice, and the return of a roll session (which mixes the price
--   move with the calendar spread) is null: the adjusted log index treats it as no move.
with bars as (

    select * from {{ ref('stg_futures__daily_bars') }}

),

roots as (

    select root from {{ ref('futures_roots') }}
    where used_by_features

),

feature_bars as (

    select bars.*
    from bars
    inner join roots using (root)

),

flagged as (

    select
        *,
        not is_low_volume and close_price > 0 and low_price > 0 as is_valid
    from feature_bars

),

valid_lags as (

    select
        root,
        trade_date,
        lag(instrument_id) over w as previous_instrument_id,
        lag(close_price) over w as previous_close_price
    from flagged
    where is_valid
    window w as (partition by root order by trade_date)

),

returns as (

    select
        flagged.root,
        flagged.trade_date,
        flagged.instrument_id,
        flagged.open_price,
        flagged.high_price,
        flagged.low_price,
        flagged.close_price,
        flagged.volume_contracts,
        flagged.n_bars,
        flagged.is_low_volume,
        flagged.is_valid,
        coalesce(
            flagged.is_valid
            and valid_lags.previous_instrument_id is not null
            and flagged.instrument_id <> valid_lags.previous_instrument_id,
            false
        ) as is_roll,
        case
            when flagged.is_valid and flagged.instrument_id = valid_lags.previous_instrument_id
                then ln(flagged.close_price / valid_lags.previous_close_price)
        end as log_return
    from flagged
    left join valid_lags
        on
            flagged.root = valid_lags.root
            and flagged.trade_date = valid_lags.trade_date

),

indexed as (

    select
        *,
        -- Last valid close (quoted unit): what a feature may use as "the price" on an invalid session.
        last_value(case when is_valid then close_price end ignore nulls) over w as clean_close_price,
        -- Roll-adjusted cumulative log return: differences of it are market moves without roll gaps.
        sum(coalesce(log_return, 0)) over w as adjusted_log_index
    from returns
    window w as (partition by root order by trade_date rows between unbounded preceding and current row)

)

select * from indexed
