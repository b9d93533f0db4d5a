"""The SASRec baseline: learns a deterministic next-item rule, is reproducible, masks padding and the future."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from recsys_core.config import SASRecConfig
from recsys_core.errors import ModelFitError
from recsys_core.evaluation.sasrec import SASRecScorer, _SASRec, training_windows
from recsys_core.interests.sequences import HeldOut, Sequences, drop_last
from recsys_core.metrics import rank_of_targets

N_ITEMS = 30
FAST = SASRecConfig(dim=32, n_blocks=2, n_heads=2, dropout=0.1, max_len=12, batch_size=32,
                    learning_rate=5e-3, max_epochs=30, patience=2)


def _successor_sequences(n_users: int = 120, seed: int = 0) -> Sequences:
    """Each user starts at a random item and walks i -> i + 1 (mod N_ITEMS) for 6 to 16 steps."""
    rng = np.random.default_rng(seed)
    chunks = []
    for _ in range(n_users):
        start, length = rng.integers(N_ITEMS), rng.integers(6, 17)
        chunks.append((start + np.arange(length)) % N_ITEMS)
    items = np.concatenate(chunks).astype(np.int64)
    offsets = np.concatenate([[0], np.cumsum([len(c) for c in chunks])]).astype(np.int64)
    return Sequences([f"u{u}" for u in range(n_users)], offsets, items, np.arange(len(items), dtype=np.float64),
                     np.ones(len(items), np.int64))


def _split() -> tuple[Sequences, Sequences, HeldOut, HeldOut]:
    seqs = _successor_sequences()
    history, test = drop_last(seqs)
    train, validation = drop_last(history)
    return train, history, validation, test


@pytest.fixture(scope="module")
def fitted() -> tuple[SASRecScorer, Sequences, HeldOut]:
    torch.set_num_threads(2)
    train, history, validation, test = _split()
    scorer = SASRecScorer(FAST, seed=3).fit(train, N_ITEMS, validation=validation)
    return scorer, history, test


def test_learns_the_successor_rule_and_ranks_the_true_next_item_first(fitted: tuple[SASRecScorer, Sequences, HeldOut]) -> None:
    scorer, history, test = fitted
    histories = [history.user(int(u))[0] for u in test.users]
    scores = scorer.score(histories).astype(np.float64)
    for r, h in enumerate(histories):
        scores[r, h] = -np.inf
    ranks = rank_of_targets(scores, test.items)
    assert np.mean(ranks == 1) >= 0.9, np.bincount(ranks)[:5]
    best_val = scorer.epochs_[scorer.best_epoch_ - 1].val_ndcg_10
    assert best_val is not None and best_val >= 0.9


def test_scores_have_the_catalogue_shape_and_are_finite_even_past_max_len(fitted: tuple[SASRecScorer, Sequences, HeldOut]) -> None:
    scorer, _, _ = fitted
    long_history = np.arange(3 * FAST.max_len, dtype=np.int64) % N_ITEMS  # longer than max_len
    scores = scorer.score([long_history, np.array([4], np.int64), np.zeros(0, np.int64)])
    assert scores.shape == (3, N_ITEMS) and scores.dtype == np.float32
    assert np.isfinite(scores).all()
    np.testing.assert_allclose(scores[0], scorer.score([long_history[-FAST.max_len:]])[0], rtol=1e-5, atol=1e-5)
    assert int(np.argmax(scores[0])) == (int(long_history[-1]) + 1) % N_ITEMS
    assert (scores[2] == 0).all()  # nothing known: every item ties


def test_padding_does_not_change_a_short_history_s_scores(fitted: tuple[SASRecScorer, Sequences, HeldOut]) -> None:
    scorer, _, _ = fitted
    short = np.array([7, 8], np.int64)
    alone = scorer.score([short])[0]
    beside_longer = scorer.score([short, np.arange(10, dtype=np.int64)])[0]
    np.testing.assert_allclose(alone, beside_longer, rtol=1e-5, atol=1e-5)


def test_same_seed_gives_identical_scores_and_another_seed_does_not() -> None:
    torch.set_num_threads(2)
    train, history, validation, _ = _split()
    cfg = SASRecConfig(dim=16, n_blocks=1, n_heads=1, max_len=12, batch_size=32, max_epochs=3, patience=2)
    histories = [history.user(u)[0] for u in range(10)]
    a = SASRecScorer(cfg, seed=1).fit(train, N_ITEMS, validation=validation).score(histories)
    b = SASRecScorer(cfg, seed=1).fit(train, N_ITEMS, validation=validation).score(histories)
    c = SASRecScorer(cfg, seed=2).fit(train, N_ITEMS, validation=validation).score(histories)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_attention_is_causal() -> None:
    torch.manual_seed(0)
    model = _SASRec(N_ITEMS, SASRecConfig(dim=16, max_len=8)).eval()
    tokens = torch.tensor([[0, 0, 3, 4, 5, 6, 7, 8]])
    changed = tokens.clone()
    changed[0, 5:] = torch.tensor([20, 21, 22])
    with torch.no_grad():
        h1, h2 = model(tokens), model(changed)
    assert torch.allclose(h1[0, :5], h2[0, :5], atol=1e-6)
    assert not torch.allclose(h1[0, 5:], h2[0, 5:])


def test_windows_cover_every_target_once_and_respect_max_len() -> None:
    seqs = _successor_sequences(n_users=5)
    starts, ends = training_windows(seqs, max_len=4)
    assert (ends - starts).max() <= 4 and (ends > starts).all()
    covered = np.concatenate([np.arange(a, b) for a, b in zip(starts, ends, strict=True)])
    expected = np.concatenate([np.arange(seqs.offsets[u] + 1, seqs.offsets[u + 1]) for u in range(len(seqs))])
    assert np.array_equal(np.sort(covered), expected)


def test_nothing_to_learn_is_refused() -> None:
    one_each = Sequences(["a", "b"], np.array([0, 1, 2]), np.array([0, 1]), np.zeros(2), np.ones(2, np.int64))
    with pytest.raises(ModelFitError):
        SASRecScorer(SASRecConfig(max_epochs=1), seed=0).fit(one_each, N_ITEMS)


def test_config_rejects_heads_that_do_not_divide_dim() -> None:
    with pytest.raises(ValueError):
        SASRecConfig(dim=64, n_heads=3)
