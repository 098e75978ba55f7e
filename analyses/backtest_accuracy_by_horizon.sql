-- Backtest accuracy of the published forecast by horizon, scored like fct_model_evaluation (quantiles
-- 0.1/0.5/0.9 of the h-session log return ln(price / spot)): pinball loss, 80% coverage ([P10, P90]), MAPE of
-- the median price, directional hit rate of the median (origins with a non-zero median and move); plus 90%
-- coverage ([P05, P95]), mean absolute error of P50 in US cents/lb and the Brier score of prob_up.
-- For reference, the out-of-fold pinball of the EWMA random walk and of the best L0 model from
-- fct_model_evaluation (scored over their own origins, so compare levels, not a skill ratio).
with backtest as (

    select * from {{ ref('zl_forecast_backtest') }}
    where realized_close is not null and spot_close > 0 and p10 > 0 and p50 > 0 and p90 > 0

),

log_returns as (

    select
        *,
        ln(realized_close / spot_close) as actual,
        ln(p10 / spot_close) as q10,
        ln(p50 / spot_close) as q50,
        ln(p90 / spot_close) as q90
    from backtest

),

scored as (

    select
        *,
        (
            greatest(0.1 * (actual - q10), -0.9 * (actual - q10))
            + greatest(0.5 * (actual - q50), -0.5 * (actual - q50))
            + greatest(0.9 * (actual - q90), -0.1 * (actual - q90))
        ) / 3 as pinball_row,
        case when sign(q50) <> 0 and sign(actual) <> 0 then (sign(q50) = sign(actual))::int end as hit
    from log_returns

),

accuracy as (

    select
        horizon_days,
        count(*) as n_origins,
        min(as_of_date) as period_start,
        max(as_of_date) as period_end,
        avg(pinball_row) as pinball,
        avg((actual between q10 and q90)::int) as coverage80,
        avg((realized_close between p05 and p95)::int) as coverage90,
        100 * avg(abs(exp(actual - q50) - 1)) as mape_pct,
        avg(hit) as hit_rate,
        avg(abs(realized_close - p50)) as mae_p50_cents,
        avg(power(prob_up - (realized_close > spot_close)::int, 2)) as brier_prob_up
    from scored
    group by horizon_days

),

l0 as (

    select
        horizon_days,
        min(pinball) filter (where model = 'rw_ewma_normal') as rw_pinball_oof,
        arg_min(model, pinball) filter (where model <> 'rw_ewma_normal') as best_l0_model,
        min(pinball) filter (where model <> 'rw_ewma_normal') as best_l0_pinball_oof
    from {{ ref('fct_model_evaluation') }}
    group by horizon_days

)

select
    a.horizon_days,
    a.n_origins,
    a.period_start,
    a.period_end,
    round(a.pinball, 6) as pinball,
    round(a.coverage80, 4) as coverage80,
    round(a.coverage90, 4) as coverage90,
    round(a.mape_pct, 3) as mape_pct,
    round(a.hit_rate, 4) as hit_rate,
    round(a.mae_p50_cents, 3) as mae_p50_cents,
    round(a.brier_prob_up, 4) as brier_prob_up,
    round(l0.rw_pinball_oof, 6) as rw_pinball_oof,
    l0.best_l0_model,
    round(l0.best_l0_pinball_oof, 6) as best_l0_pinball_oof
from accuracy as a
left join l0 using (horizon_days)
order by a.horizon_days
