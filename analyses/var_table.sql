-- Value at risk of one ZL contract from the latest forecast, next to how such VaRs did in the backtest.
-- For confidence level L (0.90, 0.95) and horizon h: long VaR = spot - P(1-L), short VaR = P(L) - spot, in US
-- cents/lb and in USD per contract (60,000 lb: x 600), floored at 0. The backtest columns are every column of
-- zl_var_backtest (exceedances of the long-side VaR: n_exceed of n_obs against the expected count, Kupiec
-- unconditional-coverage and Christoffersen independence p-values, Basel traffic light, and its `sample` when
-- it backtests several origin samples: one row each). Its level may be stored as the confidence (0.95) or the
-- tail (0.05); both join. Backtest rows without a forecast quantile (0.99: zl_forecast stops at P05) keep empty
-- VaR columns, forecast levels without a backtest (0.90) empty backtest columns.
with forecast as (

    select * from {{ ref('zl_forecast') }}

),

latest as (

    select * from forecast
    where as_of_date = (select max(all_origins.as_of_date) from forecast as all_origins)

),

levels as (

    select
        as_of_date,
        horizon_days,
        target_date,
        spot_close,
        0.95 as level,
        p05 as q_low,
        p95 as q_high
    from latest
    union all
    select
        as_of_date,
        horizon_days,
        target_date,
        spot_close,
        0.90 as level,
        p10 as q_low,
        p90 as q_high
    from latest

),

var as (

    select
        *,
        greatest(spot_close - q_low, 0) as var_long_cents,
        greatest(q_high - spot_close, 0) as var_short_cents
    from levels

),

backtest as (

    select
        *,
        round(case when level < 0.5 then 1 - level else level end, 4) as confidence
    from {{ ref('zl_var_backtest') }}

)

select
    coalesce(v.horizon_days, b.horizon_days) as horizon_days,
    coalesce(v.level, b.confidence) as level,
    v.as_of_date,
    v.target_date,
    v.spot_close,
    round(v.var_long_cents, 3) as var_long_cents,
    round(v.var_short_cents, 3) as var_short_cents,
    round(100 * v.var_long_cents / v.spot_close, 2) as var_long_pct,
    round(600 * v.var_long_cents, 0) as var_long_usd_per_contract,
    round(600 * v.var_short_cents, 0) as var_short_usd_per_contract,
    b.* exclude (b.horizon_days, b.level, b.confidence)
from var as v
full outer join backtest as b
    on v.horizon_days = b.horizon_days and v.level = b.confidence
order by all
