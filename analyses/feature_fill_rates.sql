-- Feature fill rates of the feature matrix: for every feature column of fct_zl_features, the share of ZL
-- sessions with a value over the whole history, over the last 252 sessions (a feed that went stale shows up
-- here first) and on the valid forecast origins the models train on, with the first and last session that
-- has a value. Grain: one row per feature; bucket = the name before '__' (crush, china, fx, fed, tariff,
-- biofuel, energy, volatility, and core for ZL's own price features). Sorted worst first within each bucket.
with features as (

    select * from {{ ref('fct_zl_features') }}

),

last_year as (

    select * from features
    qualify row_number() over (order by trade_date desc) <= 252

),

valid_origins as (

    select * from features
    where is_valid_origin

),

all_counts as (

    select
        count(*) as n_sessions,
        count(columns('__'))
    from features

),

recent_counts as (

    select
        count(*) as n_recent,
        count(columns('__'))
    from last_year

),

origin_counts as (

    select
        count(*) as n_origins,
        count(columns('__'))
    from valid_origins

),

first_dates as (

    select min(case when columns('__') is not null then trade_date end) from features

),

last_dates as (

    select max(case when columns('__') is not null then trade_date end) from features

),

all_long as (
    unpivot all_counts on columns('__') into name feature value n_filled
),

recent_long as (
    unpivot recent_counts on columns('__') into name feature value n_filled_recent
),

origin_long as (
    unpivot origin_counts on columns('__') into name feature value n_filled_origins
),

first_long as (
    unpivot first_dates on columns('__') into name feature value first_filled_date
),

last_long as (
    unpivot last_dates on columns('__') into name feature value last_filled_date
)

select
    split_part(a.feature, '__', 1) as bucket,
    a.feature,
    a.n_sessions,
    a.n_filled,
    round(a.n_filled / nullif(a.n_sessions, 0), 4) as fill_rate,
    round(r.n_filled_recent / nullif(r.n_recent, 0), 4) as fill_rate_last_252,
    round(o.n_filled_origins / nullif(o.n_origins, 0), 4) as fill_rate_valid_origins,
    f.first_filled_date,
    l.last_filled_date
from all_long as a
left join recent_long as r using (feature)
left join origin_long as o using (feature)
left join first_long as f using (feature)
left join last_long as l using (feature)
order by bucket, fill_rate, a.feature
