"""The hierarchical long/short-term model: shapes, exact contributions, training, determinism."""

from __future__ import annotations

import io
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import torch

from recsys_core.config import InterestModelConfig
from recsys_core.errors import ModelFitError
from recsys_core.interests.model import grouped_softmax, model_from_checkpoint
from recsys_core.interests.sequences import build_sequences, drop_last, make_batch
from recsys_core.interests.train import (
    EarlyStopping,
    train_interest_model,
    training_examples,
    validation_ndcg,
    validation_ndcg_per_user,
)

N_ITEMS, TEXT_DIM = 40, 12
CFG = InterestModelConfig(dim=8, max_history=10, short_window=3, epochs=3, batch_size=32, n_negatives=4096)


def _toy() -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.DataFrame]:
    """Four topics of ten items; each user walks inside one topic, so the next item is predictable."""
    rng = np.random.default_rng(0)
    topic = np.repeat(np.arange(4), 10)
    centres = rng.normal(size=(4, TEXT_DIM))
    feats = (centres[topic] + 0.3 * rng.normal(size=(N_ITEMS, TEXT_DIM))).astype(np.float32)
    fine = topic.copy()  # fine interest = topic
    theme_of_fine = np.array([0, 0, 1, 1])
    rows = []
    for u in range(60):
        t = u % 4
        items = rng.permutation(np.flatnonzero(topic == t))[:8]
        for k, i in enumerate(items):
            rows.append((f"u{u}", f"i{i}", pd.Timestamp("2026-01-01") + pd.Timedelta(hours=k + u), "view"))
    events = pd.DataFrame(rows, columns=["user_id", "item_id", "occurred_at", "event_type"])
    return feats, fine, theme_of_fine, events


def _index() -> dict[str, int]:
    return {f"i{i}": i for i in range(N_ITEMS)}


def test_grouped_softmax_sums_to_one_per_group() -> None:
    logits = torch.tensor([1.0, 2.0, 3.0, -1.0, 0.5])
    groups = torch.tensor([0, 0, 2, 2, 2])
    w, lse = grouped_softmax(logits, groups, 4)
    assert torch.allclose(w[:2].sum(), torch.tensor(1.0)) and torch.allclose(w[2:].sum(), torch.tensor(1.0))
    assert torch.isinf(lse[1]) and torch.isinf(lse[3])
    assert torch.allclose(lse[0], torch.logsumexp(logits[:2], 0))


def test_sequences_keep_each_item_once_in_time_order() -> None:
    events = pd.DataFrame({
        "user_id": ["a", "a", "a", "b"],
        "item_id": ["i2", "i1", "i2", "i3"],
        "occurred_at": pd.to_datetime(["2026-01-02", "2026-01-03", "2026-01-05", "2026-01-01"]),
        "event_type": ["view", "view", "purchase", "view"],
    })
    seqs = build_sequences(events, _index())
    items, days, codes = seqs.user(seqs.user_ids.index("a"))
    assert items.tolist() == [2, 1]  # i2 first seen before i1
    assert codes.tolist() == [4, 1]  # strongest type kept
    trimmed, held = drop_last(seqs, min_length=2)
    assert held.items.tolist() == [1] and trimmed.lengths().tolist() == [1, 1]


def _batch_one_by_one(seqs, users, ends, at_days, width, gap):  # type: ignore[no-untyped-def]
    """The batch built user by user, slot by slot: what ``make_batch``'s gathers must equal."""
    shape = (len(users), width)
    items, codes, age = np.zeros(shape, np.int64), np.zeros(shape, np.int64), np.zeros(shape, np.float32)
    mask, feats = np.zeros(shape, bool), np.zeros((len(users), 3), np.float32)
    for b, (u, end) in enumerate(zip(users, ends, strict=True)):
        its, ds, cs = (x[:end][-width:] for x in seqs.user(int(u)))
        n = len(its)
        if n == 0:
            continue
        for j in range(n):
            slot = width - n + j
            items[b, slot], codes[b, slot], mask[b, slot] = its[j], cs[j], True
            age[b, slot] = max(at_days[b] - ds[j], 0.0)
        session = n
        for j in range(1, n):
            if ds[j] - ds[j - 1] > gap:
                session = n - j
        feats[b] = (np.log1p(max(at_days[b] - ds[-1], 0.0) * 24.0), np.log1p(session), np.log1p(end))
    return items, codes, age, mask, feats


@pytest.mark.parametrize("width", [1, 3, 10])
def test_history_batch_equals_the_user_by_user_one(width: int) -> None:
    _, _, _, events = _toy()
    rng = np.random.default_rng(width)
    # uneven visits: some gaps inside a session, some across; users of one and of no item
    events = events.assign(occurred_at=pd.Timestamp("2026-01-01")
                           + pd.to_timedelta(np.cumsum(rng.choice([1.0, 5.0, 120.0], len(events))), unit="min"))
    events = pd.concat([events, pd.DataFrame([("solo", "i3", pd.Timestamp("2026-02-01"), "view")],
                                             columns=events.columns)])
    seqs = build_sequences(events, _index())
    users = rng.integers(0, len(seqs), 50)
    ends = np.array([rng.integers(0, seqs.lengths()[u] + 1) for u in users])
    at_days = seqs.days.max() + rng.random(50) * 3.0
    batch = make_batch(seqs, users, ends, at_days, width, 30.0 / 1440.0)
    want = _batch_one_by_one(seqs, users, ends, at_days, width, 30.0 / 1440.0)
    for got, expected in zip((batch.items, batch.codes, batch.age_days, batch.mask, batch.features), want, strict=True):
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(got, expected)
    assert (ends == 0).any() and (batch.features[:, 1] > 0).any()  # the edge cases were drawn


def test_training_logits_are_the_fused_vectors_product() -> None:
    """The trainer reads the fused logits off the two branches' product (fusion is linear):
    apart from the seen items it masks, they must equal the fused user vector scored against
    the candidates directly."""
    feats, fine, theme_of_fine, events = _toy()
    seqs = build_sequences(events, _index())
    model, _ = train_interest_model(replace(CFG, epochs=1), feats, fine, theme_of_fine, seqs, seed=0)
    users = np.arange(8)
    batch = make_batch(seqs, users, seqs.lengths()[users] - 1, seqs.days[seqs.offsets[users + 1] - 1], 10, 0.02)
    targets = torch.as_tensor(seqs.items[seqs.offsets[users + 1] - 1])
    candidates = torch.arange(N_ITEMS)
    with torch.no_grad():
        logits, _ = model(batch, targets, candidates)
        enc = model.encode(batch, details=False)
        direct = model.logit_scale.exp() * enc.fused() @ model.item_vectors(candidates).T
    # the history's items (the target aside) are masked out; every other logit is the product
    seen = torch.zeros_like(logits, dtype=torch.bool)
    for row, (items, mask) in enumerate(zip(batch.items, batch.mask, strict=True)):
        seen[row, torch.as_tensor(items[mask])] = True
    seen[torch.arange(len(users)), targets] = False
    assert seen.any()
    assert (logits[seen] == -1e4).all()
    torch.testing.assert_close(logits[~seen], direct[~seen], rtol=1e-5, atol=1e-5)


def test_encoder_shapes_and_exact_contributions() -> None:
    feats, fine, tof, events = _toy()
    seqs = build_sequences(events, _index())
    model, _ = train_interest_model(CFG, feats, fine, tof, seqs, seed=1)
    users = np.arange(5)
    batch = make_batch(seqs, users, seqs.lengths()[users], seqs.days[seqs.offsets[users + 1] - 1] + 1.0, 10, 0.02)
    with torch.inference_mode():
        enc = model.encode(batch)
    assert enc.long.user.shape == (5, 8) and enc.short.user.shape == (5, 8) and enc.gate.shape == (5,)
    assert torch.allclose(enc.long.user.norm(dim=1), torch.ones(5), atol=1e-5)
    # the branch vector is exactly the sum of per-slot contributions
    assert torch.allclose(enc.long.contrib.sum(1), enc.long.user, atol=1e-5)
    assert torch.allclose(enc.short.contrib.sum(1), enc.short.user, atol=1e-5)
    # attention weights form a distribution over the slots each branch reads
    assert torch.allclose(enc.long.weights.sum(1), torch.ones(5), atol=1e-5)
    assert (enc.short.weights[:, :-3] == 0).all()
    assert ((enc.gate >= 0) & (enc.gate <= 1)).all()


def test_training_lowers_the_loss_and_learns_the_topics() -> None:
    feats, fine, tof, events = _toy()
    seqs = build_sequences(events, _index())
    model, history = train_interest_model(CFG, feats, fine, tof, seqs, seed=2)
    assert history[-1].loss < history[0].loss
    with torch.inference_mode():
        vecs = model.item_vectors().numpy()
    users = np.arange(8)
    batch = make_batch(seqs, users, seqs.lengths()[users], seqs.days[seqs.offsets[users + 1] - 1], 10, 0.02)
    with torch.inference_mode():
        u = model.encode(batch).long.user.numpy()
    scores = u @ vecs.T
    topic = np.repeat(np.arange(4), 10)
    # each user's top items come from their own topic
    hits = [np.mean(topic[np.argsort(-scores[r])[:5]] == r % 4) for r in range(8)]
    assert np.mean(hits) > 0.8, hits


def test_training_is_deterministic_for_a_seed() -> None:
    feats, fine, tof, events = _toy()
    seqs = build_sequences(events, _index())
    a, ha = train_interest_model(CFG, feats, fine, tof, seqs, seed=5)
    b, hb = train_interest_model(CFG, feats, fine, tof, seqs, seed=5)
    assert [s.loss for s in ha] == [s.loss for s in hb]
    for (na, pa), (_, pb) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
        assert torch.equal(pa, pb), na


def test_a_large_training_set_gets_fewer_passes_within_the_example_budget() -> None:
    from recsys_core.interests.train import epoch_budget

    cfg = InterestModelConfig(epochs=8, max_examples=3_000_000)
    assert epoch_budget(cfg, 95_000) == 8  # a 100k-event catalogue keeps its 8 epochs
    assert epoch_budget(cfg, 1_150_000) == 3  # a million events: 3 passes
    assert epoch_budget(cfg, 50_000_000) == 1  # never none
    feats, fine, tof, events = _toy()
    seqs = build_sequences(events, _index())
    n_examples = len(training_examples(seqs)[0])
    _, history = train_interest_model(replace(CFG, epochs=5, max_examples=2 * n_examples), feats, fine, tof, seqs, seed=1)
    assert len(history) == 2 and history[-1].epochs == 2  # the budget, not the epoch setting, ended training


def test_data_parallel_shards_cover_every_example_once() -> None:
    """Two workers with the same seed, each on its share of every batch (no gradient exchange
    here: each trains alone), see the same number of steps and between them the whole batch."""
    feats, fine, tof, events = _toy()
    seqs = build_sequences(events, _index())
    cfg = replace(CFG, epochs=1, batch_size=8)
    seen: list[list[int]] = [[], []]
    for rank in (0, 1):
        def count(model: torch.nn.Module, rank: int = rank) -> torch.nn.Module:
            original = model.forward

            def forward(batch, targets, candidates, drop):  # noqa: ANN001, ANN202
                seen[rank].append(len(targets))
                return original(batch, targets, candidates, drop)
            model.forward = forward  # type: ignore[method-assign]
            return model
        train_interest_model(cfg, feats, fine, tof, seqs, seed=3, shard=(rank, 2), prepare=count)
    n_examples = len(training_examples(seqs)[0])
    skipped = 1 if n_examples % 8 == 1 else 0  # a last batch of one example is left out: a worker would have none
    assert len(seen[0]) == len(seen[1]) and sum(seen[0]) + sum(seen[1]) == n_examples - skipped


def test_checkpoint_round_trip_gives_the_same_vectors() -> None:
    feats, fine, tof, events = _toy()
    model, _ = train_interest_model(CFG, feats, fine, tof, build_sequences(events, _index()), seed=3)
    buffer = io.BytesIO()
    torch.save(model.checkpoint(), buffer)
    loaded = model_from_checkpoint(torch.load(io.BytesIO(buffer.getvalue()), weights_only=False), feats, fine, tof)
    with torch.inference_mode():
        assert torch.allclose(model.item_vectors(), loaded.item_vectors())


def test_early_stopping_keeps_the_best_validation_epoch() -> None:
    feats, fine, tof, events = _toy()
    seqs, val = drop_last(build_sequences(events, _index()))
    cfg = replace(CFG, epochs=12, patience=2, learning_rate=0.05)  # a high rate, so validation wobbles
    model, history = train_interest_model(cfg, feats, fine, tof, seqs, seed=4, validation=val)
    scores = [s.val_ndcg_10 for s in history]
    assert all(s is not None and 0.0 <= s <= 1.0 for s in scores)
    best = max(scores)  # type: ignore[type-var]
    assert scores[-1] < best, f"training must have gone past its best epoch for this test to mean anything: {scores}"
    # the returned model is the best epoch's, not the last one's: it scores the best figure again
    assert validation_ndcg(model, seqs, val) == pytest.approx(best, abs=1e-9)
    # one figure per held-out user, in the held-out order, whose mean is the epoch's figure
    per_user = validation_ndcg_per_user(model, seqs, val)
    assert per_user.shape == (len(val.users),) and ((per_user >= 0) & (per_user <= 1)).all()
    assert per_user.mean() == pytest.approx(best, abs=1e-9)


def test_early_stopping_restores_the_best_weights_and_stops_after_patience() -> None:
    net = torch.nn.Linear(2, 1)
    stop = EarlyStopping(patience=2)
    weights = {}
    for epoch, val in enumerate([0.1, 0.4, 0.3, 0.2, 0.9], start=1):
        with torch.no_grad():
            net.weight.fill_(float(epoch))
        weights[epoch] = net.weight.detach().clone()
        if stop.should_stop(epoch, val, net):
            break
    assert epoch == 4 and stop.best_epoch == 2  # two epochs without a better figure after the second
    stop.restore_best(net)
    assert torch.equal(net.weight, weights[2])


def test_no_two_item_user_is_a_clear_error() -> None:
    feats, fine, tof, _ = _toy()
    events = pd.DataFrame({"user_id": ["a"], "item_id": ["i1"], "occurred_at": [pd.Timestamp("2026-01-01")],
                           "event_type": ["view"]})
    seqs = build_sequences(events, _index())
    assert len(training_examples(seqs)[0]) == 0
    with pytest.raises(ModelFitError, match="two or more items"):
        train_interest_model(CFG, feats, fine, tof, seqs, seed=0)


def test_epoch_examples_cap_each_user_and_draw_afresh() -> None:
    from recsys_core.interests.train import epoch_examples, examples_per_epoch

    users = np.repeat(np.arange(4), [3, 50, 7, 120]).astype(np.int64)
    rng = np.random.default_rng(0)
    first, second = epoch_examples(users, 10, rng), epoch_examples(users, 10, rng)
    for order in (first, second):
        assert len(np.unique(order)) == len(order) == examples_per_epoch(users, 10) == 3 + 10 + 7 + 10
        assert np.bincount(users[order], minlength=4).tolist() == [3, 10, 7, 10]
    assert set(first[users[first] == 3]) != set(second[users[second] == 3])  # another draw each epoch
    assert np.array_equal(epoch_examples(users, 120, np.random.default_rng(3)), np.random.default_rng(3).permutation(len(users)))
    everything = epoch_examples(users, 0, rng)
    assert sorted(everything.tolist()) == list(range(len(users))) and examples_per_epoch(users, 0) == len(users)


def test_text_basis_is_kept_with_the_weights_and_reads_new_texts() -> None:
    feats, fine, tof, events = _toy()
    cfg = replace(CFG, text_components=4)
    model, _ = train_interest_model(cfg, feats, fine, tof, build_sequences(events, _index()), seed=3)
    assert model.text_basis is not None and tuple(model.text_basis.shape) == (TEXT_DIM, 4)
    assert torch.allclose(model.text_basis.T @ model.text_basis, torch.eye(4), atol=1e-5)
    buffer = io.BytesIO()
    torch.save(model.checkpoint(), buffer)
    # loaded beside other features (a catalogue that changed), it still reads through its own basis
    other = np.random.default_rng(9).normal(size=feats.shape).astype(np.float32)
    loaded = model_from_checkpoint(torch.load(io.BytesIO(buffer.getvalue()), weights_only=False), other, fine, tof)
    assert torch.equal(loaded.text_basis, model.text_basis)
    # the model itself never computes one: only training does, from the setting
    from recsys_core.interests.model import InterestModel
    assert InterestModel(cfg, torch.as_tensor(feats), torch.as_tensor(fine), torch.as_tensor(tof)).text_basis is None
    from recsys_core.config import RecsysConfig
    env = RecsysConfig.from_env({"RECSYS_TEXT_COMPONENTS": "128", "RECSYS_EXAMPLES_PER_USER": "150"}).model
    assert (env.text_components, env.examples_per_user) == (128, 150)
    with torch.inference_mode():
        # a text scored as a new item lands where the catalogue's own copy of it does (ids aside)
        as_text = loaded.text_vectors(torch.as_tensor(feats))
        in_catalogue = torch.nn.functional.normalize(model.text_proj(model.text_features), dim=-1)
        assert torch.allclose(as_text, in_catalogue, atol=1e-5)
