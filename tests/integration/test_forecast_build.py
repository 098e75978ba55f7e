"""The L0 forecast layer built by dbt on demo data: completeness, ordering, evaluation, reuse of stored models."""

from __future__ import annotations

import pandas as pd
import pytest
from dbt_helpers import ci_vars, copy_warehouse, read_table, run_dbt

from zlcast.forecast.evaluation import METRIC_COLUMNS

pytestmark = pytest.mark.dbt

L0 = {"lightgbm_zl", "core_ts"} | {
    f"specialist_{b}" for b in ("crush", "china", "fx", "fed", "tariff", "biofuel", "energy", "volatility")
}


def test_every_l0_model_predicts_every_oof_origin_horizon_and_quantile(sql_warehouse) -> None:
    p = read_table(sql_warehouse, "select * from fct_l0_predictions where split = 'oof'")
    folds = read_table(sql_warehouse, "select * from ml_cv_folds")
    t = read_table(sql_warehouse, "select trade_date, horizon_days from fct_zl_targets")
    assert set(p["model"]) == L0
    for h, g in folds.groupby("horizon_days"):
        expected = t[(t.horizon_days == h) & (t.trade_date >= g.val_start.min()) & (t.trade_date <= g.val_end.max())]
        for model, pm in p[p.horizon_days == h].groupby("model"):
            got = pm.groupby("as_of_date")["quantile"].nunique()
            assert len(got) == len(expected), (model, h, len(got), len(expected))
            assert (got == 7).all(), (model, h)


def test_live_rows_exist_for_the_latest_origin(sql_warehouse) -> None:
    last = read_table(sql_warehouse, "select max(trade_date) d from fct_zl_features where is_valid_origin").d.iloc[0]
    live = read_table(
        sql_warehouse,
        "select model, horizon_days, max(as_of_date) d from fct_l0_predictions where split = 'live' group by all",
    )
    assert set(live["model"]) == L0
    assert (pd.to_datetime(live["d"]) == pd.Timestamp(last)).all()


def test_evaluation_table_scores_every_l0_model_at_every_horizon(sql_warehouse) -> None:
    e = read_table(sql_warehouse, "select * from fct_model_evaluation")
    assert set(e["model"]) >= L0
    assert e.groupby("model")["horizon_days"].nunique().min() == 3
    assert e["coverage80"].between(0, 1).all() and (e["pinball"] > 0).all()
    assert set(METRIC_COLUMNS) <= set(e.columns)


def test_a_second_build_reuses_every_stored_predictor(demo_build, demo_dir, tmp_path) -> None:
    store = demo_build["artifacts"]
    before = sorted(p.name for p in store.rglob("manifest.json"))
    db = copy_warehouse(demo_build["db"], tmp_path / "wh")
    run_dbt(
        ["run", "--select", "ml_specialist__crush", "ml_baseline_lightgbm", "--vars", ci_vars(store)],
        db,
        demo_dir,
        extra_env={"ZL_PREIMPORT_AUTOGLUON": "true"},
    )
    after = sorted(p.name for p in store.rglob("manifest.json"))
    assert before and after == before
