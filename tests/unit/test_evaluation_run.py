"""The evaluation runner on a small shop: every model, stored runs, per-user rows, no leakage."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from recsys_core.errors import InvalidArgumentError
from recsys_core.evaluation.runner import MODEL_VARIANTS
from recsys_core.evaluation.runs import BASELINES, load_run_table, load_runs
from recsys_core.evaluation.significance import paired_bootstrap
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

    _, config = built_engine.evaluation_table(report.run_id)
    best_fixed = table.loc[table["kind"] == "sweep", "ndcg@10"].max()
    assert best_fixed <= config["oracle_alpha_ndcg_10"] <= 1.0  # the per-user pick is at least the best single weight

    versus = built_engine.evaluation_comparison(report.run_id).set_index("model")
    assert set(versus.index) == set(table.index) - {"learned_gate"}
    assert np.allclose(versus["delta"], table.loc["learned_gate", "ndcg@10"] - table.loc[versus.index, "ndcg@10"])
    assert (versus["low"] <= versus["delta"]).all() and (versus["delta"] <= versus["high"]).all()
    # the same rows every time (the resampling is seeded by the run)
    pd.testing.assert_frame_equal(versus, built_engine.evaluation_comparison(report.run_id).set_index("model"))
    with pytest.raises(InvalidArgumentError):
        built_engine.evaluation_comparison(report.run_id + 99)


def test_held_out_items_are_never_in_the_training_part(built_engine: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Watch what the evaluation really hands the trainer: no user's test item (their newest)
    and no validation item (the one before) is among the training sequences."""
    import recsys_core.training as training
    from recsys_core.data.frames import load_catalogue, load_events

    seen: dict[str, Any] = {}
    real = training.train_interest_model

    def spy(**inputs: Any) -> Any:
        seen["train"], seen["validation"] = inputs["seqs"], inputs["validation"]
        return real(**inputs)

    monkeypatch.setattr(training, "train_interest_model", spy)
    report = built_engine.evaluate()
    train, val = seen["train"], seen["validation"]

    catalogue = load_catalogue(built_engine.store)
    index = {str(i): k for k, i in enumerate(catalogue["item_id"])}
    everything = build_sequences(load_events(built_engine.store, include_live=False), index)
    _, test = drop_last(everything)
    assert report.n_users == len(test.users)
    train_rows = train.index_of()
    for row, user in enumerate(test.users):
        uid = everything.user_ids[int(user)]
        items, _, _ = train.user(train_rows[uid])
        full, days, _ = everything.user(int(user))
        assert test.items[row] == full[-1] and test.items[row] not in items  # the test item: never trained on
        assert full[-2] not in items  # nor the validation item before it
        assert days[: len(items)].max() <= test.days[row]
    assert val is not None and len(val.users) == len(test.users)


def test_paired_bootstrap_tells_a_real_gap_from_noise() -> None:
    rng = np.random.default_rng(3)
    base = rng.random(1000)
    clear = paired_bootstrap(base + 0.05 + rng.normal(0, 0.05, 1000), base)
    assert clear.verdict == "better" and 0.04 < clear.low < clear.delta < clear.high < 0.06
    assert paired_bootstrap(base, base + 0.05).verdict == "worse"
    noise = paired_bootstrap(base + rng.normal(0, 0.05, 1000), base)
    assert noise.verdict == "tie" and noise.low < 0 < noise.high
    # identical models tie
    assert paired_bootstrap(base, base).verdict == "tie"
    with pytest.raises(InvalidArgumentError):
        paired_bootstrap([], [])


def test_the_links_read_at_test_time_hold_the_validation_items_but_no_test_item(
        built_engine: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The links' weight is chosen with links fitted on the training part; the links then served
    and tested are fitted again on the whole history the model may read: every user's validation
    item in, no test item."""
    import recsys_core.training as training

    real = training.item_links
    refits: list[Any] = []

    def chosen(model: Any, config: Any, train: Any, validation: Any, n_items: int) -> Any:
        return real(train, n_items, config.links, 2.0, 1.0), {
            "link_weight": 2.0, "transition_share": 1.0, "val_ndcg_10": 0.0, "val_ndcg_10_without_links": 0.0}

    monkeypatch.setattr(training, "fit_fusion", chosen)
    monkeypatch.setattr(training, "item_links",
                        lambda seqs, n, cfg, w, s: refits.append(seqs) or real(seqs, n, cfg, w, s))
    snapshot = training.take_snapshot(built_engine.store, built_engine.embedder, include_live=False)
    fitted = training.fit_model(snapshot, built_engine.config, hold_out_test=True)
    assert len(refits) == 1 and refits[0] is fitted.history
    n_items = len(snapshot.catalogue)
    assert abs(fitted.links - real(fitted.history, n_items, built_engine.config.links, 2.0, 1.0)).max() == 0
    assert abs(fitted.links - real(fitted.train, n_items, built_engine.config.links, 2.0, 1.0)).max() > 0
    rows = fitted.history.index_of()
    for row, user in enumerate(fitted.test.users):
        uid = fitted.sequences.user_ids[int(user)]
        items = fitted.history.user(rows[uid])[0]
        full = fitted.sequences.user(int(user))[0]
        assert full[-2] in items and fitted.test.items[row] == full[-1]
        assert len(items) == len(full) - 1
