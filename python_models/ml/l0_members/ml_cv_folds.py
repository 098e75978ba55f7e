"""Walk-forward folds (expanding window, purged, embargoed) shared by every L0 model."""


def model(dbt, session):
    from zlcast.glue.l0 import folds_table

    return folds_table(dbt.ref("fct_zl_features").df(), dbt.ref("fct_zl_targets").df(), dbt.config.get("meta"))
