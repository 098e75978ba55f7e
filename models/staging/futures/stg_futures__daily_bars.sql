-- Daily futures sessions, typed and renamed; prices stay in each root's quoted unit
-- (ZL US cents/lb, ZS cents/bu, ZM USD/short ton, CL USD/bbl, HO and RB USD/gal, HG USD/lb, 6L USD/BRL).
with source as (

    select * from {{ source('futures', 'futures_daily') }}

),

renamed as (

    select
        cast(root as varchar) as root,
        cast(trade_date as date) as trade_date,
        cast(instrument_id as bigint) as instrument_id,
        cast(open as double) as open_price,
        cast(high as double) as high_price,
        cast(low as double) as low_price,
        cast(close as double) as close_price,
        cast(volume as bigint) as volume_contracts,
        cast(n_bars as integer) as n_bars,
        cast(is_roll as boolean) as is_roll_source,
        cast(n_instruments as integer) as n_instruments,
        cast(low_volume as boolean) as is_low_volume
    from source

)

select * from renamed
