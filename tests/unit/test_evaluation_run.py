"""The evaluation runner on a small shop: every model, stored runs, per-user rows, no leakage."""

from __future__ import annotations

from typing import Any

import numpy as np

from recsys_core.evaluation.runner import BASELINES, MODEL_VARIANTS, load_run_table, load_runs
from recsys_core.interests.sequences import build_sequences, drop_last


def test_evaluation_reports_all_models_and_stores_the_run(built_engine: Any) -> None:
    report = built_engine.evaluate()
    table = report.table.set_index("model")
    for name in (*BASELINES, *MODEL_VARIANTS):
        assert name in table.index
    sweep = table[table["kind"] == "sweep"]
    assert len(sweep) == 11
    # the sweep's ends are the single branches
    assert table.loc["alpha=1.0", "ndcg@10"] == table.loc["long_only", "ndcg@10"]
    assert table.loc["alpha=0.0", "ndcg@10"] == table.loc["short_only", "ndcg@10"]
    for col in ("hr@10", "ndcg@10", "hr@20", "ndcg@20", "mrr", "coverage@10"):
        assert ((table[col] >= 0) & (table[col] <= 1)).all(), col
    assert (table["hr@20"] >= table["hr@10"]).all()
    # the model learns something: better than popularity on held-out items
    assert table.loc["learned_gate", "ndcg@10"] > table.loc["popular", "ndcg@10"]

    runs = load_runs(built_engine.store)
    assert report.run_id in runs["run_id"].tolist()
    stored = load_run_table(built_engine.store, report.run_id)
    assert len(stored) == len(table)
    with built_engine.store.cursor() as cur:
        n_rows, n_users = cur.execute(
            "SELECT count(*), count(DISTINCT user_id) FROM evaluation_users WHERE run_id = ?", [report.run_id]
        ).fetchall()[0]
        segments = {r[0] for r in cur.execute("SELECT DISTINCT segment FROM evaluation_users").fetchall()}
    assert n_users == report.n_users and n_rows == n_users * len(table)
    assert segments <= {"light", "heavy"}


def test_held_out_items_are_never_in_the_training_part(built_engine: Any) -> None:
    from recsys_core.data.frames import load_catalogue, load_events

    catalogue = load_catalogue(built_engine.store)
    index = {str(i): k for k, i in enumerate(catalogue["item_id"])}
    seqs = build_sequences(load_events(built_engine.store, include_live=False), index)
    history, test = drop_last(seqs)
    train, val = drop_last(history)
    for row, user in enumerate(test.users[:50]):
        items, days, _ = history.user(int(user))
        assert test.items[row] not in items
        assert days.max() <= test.days[row]
    assert len(np.intersect1d(val.users, test.users)) == len(val.users)
    assert train.lengths().sum() == history.lengths().sum() - len(val.users)
