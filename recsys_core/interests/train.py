"""Self-supervised training of the interest model: next-item InfoNCE over the sequences.

Every position of every training sequence is one example (history before it -> the item).
Deterministic given the seed. The learning rate decays linearly to zero over the epoch budget
(``lr_schedule``), which steadies the validation figure the best epoch is chosen by. Progress flows out through a callback after every epoch; with
a validation set the best epoch (by NDCG@10) is kept and training stops after ``patience``
epochs without improvement. A NaN loss raises :class:`ModelFitError`.
"""

from __future__ import annotations

import copy
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import torch

from recsys_core.config import InterestModelConfig
from recsys_core.errors import ModelFitError
from recsys_core.interests.model import InterestModel, text_basis
from recsys_core.interests.sequences import HeldOut, HistoryBatch, Sequences, make_batch
from recsys_core.metrics import ndcg_per_user, rank_of_targets

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class EpochStats:
    """Reported after each epoch."""

    epoch: int
    epochs: int
    loss: float
    val_ndcg_10: float | None
    seconds: float


class EarlyStopping:
    """Keeps the weights of the epoch with the best validation NDCG@10, and says when
    ``patience`` epochs have passed without a better one (the interest model and the SASRec
    baseline stop the same way)."""

    def __init__(self, patience: int) -> None:
        self.patience = patience
        self.best: float | None = None
        self.best_epoch: int | None = None
        self._state: dict[str, torch.Tensor] | None = None
        self._stale = 0

    def should_stop(self, epoch: int, val: float | None, model: torch.nn.Module) -> bool:
        """Record an epoch's validation figure (None: no validation, never stops)."""
        if val is None:
            return False
        if self.best is None or val > self.best:
            self.best, self.best_epoch, self._state, self._stale = val, epoch, copy.deepcopy(model.state_dict()), 0
            return False
        self._stale += 1
        return self._stale >= self.patience

    def restore_best(self, model: torch.nn.Module) -> None:
        """Load the best epoch's weights back (nothing without validation)."""
        if self._state is not None:
            model.load_state_dict(self._state)


def training_examples(seqs: Sequences) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """(user, position) of every item that has at least one item before it."""
    lengths = seqs.lengths()
    users = np.repeat(np.arange(len(seqs)), np.maximum(lengths - 1, 0))
    pos = np.concatenate([np.arange(1, n) for n in lengths if n > 1]) if len(users) else np.zeros(0, np.int64)
    return users.astype(np.int64), pos.astype(np.int64)


def epoch_examples(users: npt.NDArray[np.int64], per_user: int, rng: np.random.Generator) -> npt.NDArray[np.int64]:
    """One epoch's examples, shuffled: all of them, or at most ``per_user`` of each user's
    (a fresh random draw each epoch, so over the epochs a long history is still read whole)."""
    # a cap that binds no one changes nothing (the same shuffle as without it)
    if per_user <= 0 or len(users) == 0 or np.bincount(users).max() <= per_user:
        return rng.permutation(len(users))
    keys = rng.random(len(users))
    by_user = np.lexsort((keys, users))  # grouped by user, random order within the user
    grouped = users[by_user]
    rank = np.arange(len(grouped)) - np.searchsorted(grouped, grouped, side="left")
    return rng.permutation(by_user[rank < per_user])


def examples_per_epoch(users: npt.NDArray[np.int64], per_user: int) -> int:
    """How many examples :func:`epoch_examples` gives."""
    if per_user <= 0:
        return len(users)
    return int(np.minimum(np.bincount(users), per_user).sum())


def history_batch(
    seqs: Sequences, config: InterestModelConfig, users: npt.NDArray[np.int64],
    ends: npt.NDArray[np.int64], at_days: npt.NDArray[np.float64],
) -> HistoryBatch:
    return make_batch(seqs, users, ends, at_days, config.max_history, config.session_gap_minutes / 1440.0)


@torch.inference_mode()
def validation_ndcg_per_user(model: InterestModel, seqs: Sequences, held: HeldOut, k: int = 10) -> npt.NDArray[np.float64]:
    """Each held-out user's NDCG@k of the fused model on their next item, full ranking without
    seen items (in ``held``'s order)."""
    model.eval()
    table = model.item_vectors()
    vecs = table.numpy()
    parts = []
    for start in range(0, len(held.users), 512):
        users = held.users[start:start + 512]
        batch = history_batch(seqs, model.config, users, seqs.lengths()[users], held.days[start:start + 512])
        enc = model.encode(batch, details=False, catalogue=table)
        u = enc.fused().numpy()
        scores = u @ vecs.T
        for row, user in enumerate(users):
            scores[row, seqs.user(int(user))[0]] = -np.inf
        parts.append(ndcg_per_user(rank_of_targets(scores, held.items[start:start + 512]), k))
    model.train()
    return np.concatenate(parts) if parts else np.zeros(0)


def validation_ndcg(model: InterestModel, seqs: Sequences, held: HeldOut, k: int = 10) -> float:
    """NDCG@k of the fused model on held-out next items, full ranking without seen items."""
    per_user = validation_ndcg_per_user(model, seqs, held, k)
    total = sum(float(per_user[start:start + 512].sum()) for start in range(0, len(per_user), 512))
    return total / max(len(per_user), 1)


def epoch_budget(config: InterestModelConfig, n_examples: int) -> int:
    """Passes over ``n_examples`` training examples: ``config.epochs``, fewer when that would
    show the model more than ``config.max_examples`` examples in all (never fewer than one)."""
    return max(1, min(config.epochs, math.ceil(config.max_examples / max(n_examples, 1))))


def train_interest_model(
    config: InterestModelConfig,
    text_features: npt.NDArray[np.float32],
    fine_of_item: npt.NDArray[np.int64],
    theme_of_fine: npt.NDArray[np.int64],
    seqs: Sequences,
    seed: int,
    validation: HeldOut | None = None,
    on_epoch: Callable[[EpochStats], None] | None = None,
    shard: tuple[int, int] = (0, 1),
    prepare: Callable[[torch.nn.Module], torch.nn.Module] | None = None,
    basis: torch.Tensor | None = None,
) -> tuple[InterestModel, list[EpochStats]]:
    """Fit a fresh model on ``seqs``.

    Args:
        config: Model and training settings.
        text_features: ``(n_items, text_dim)`` item text features.
        fine_of_item, theme_of_fine: The interest hierarchy.
        seqs: Training sequences (item indices into ``text_features``).
        seed: Seed for initialisation, shuffling and negative sampling.
        validation: Held-out next items for early stopping, or None to run every epoch.
        on_epoch: Progress callback.
        shard: ``(rank, world)`` for data-parallel training (:mod:`recsys_core.cluster`): every
            worker walks the same shuffled batches and takes every ``world``-th example of each,
            from ``rank``; the negatives are drawn for the whole batch, so with the gradients
            averaged by ``prepare``'s wrapper the steps are the single process's.
        prepare: Wraps the model for the gradient exchange (``ray.train.torch.prepare_model``).
        basis: The text basis (:func:`recsys_core.interests.model.text_basis`), computed once by
            the caller so data-parallel workers share it; None computes it here from
            ``config.text_components``.

    Raises:
        ModelFitError: No sequence has two items, or the loss became NaN.
    """
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    gen = torch.Generator().manual_seed(seed)
    n_items = text_features.shape[0]
    if basis is None:
        basis = text_basis(text_features, config.text_components)
    model = InterestModel(config, torch.as_tensor(text_features), torch.as_tensor(fine_of_item),
                          torch.as_tensor(theme_of_fine), basis=basis)
    users, positions = training_examples(seqs)
    if len(users) == 0:
        raise ModelFitError("no user has two or more items: there is nothing to learn the next item from")
    optim = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
    n_per_epoch = examples_per_epoch(users, config.examples_per_user)
    n_epochs = epoch_budget(config, n_per_epoch)
    total_steps = n_epochs * math.ceil(n_per_epoch / config.batch_size)
    schedule = None
    if config.lr_schedule == "linear":  # down to zero at the end of the epoch budget
        schedule = torch.optim.lr_scheduler.LambdaLR(optim, lambda step: max(0.0, 1.0 - step / total_steps))
    all_items = torch.arange(n_items)
    history: list[EpochStats] = []
    stopping = EarlyStopping(config.patience)
    rank, world = shard
    net = model if prepare is None else prepare(model)
    model.train()
    for epoch in range(1, n_epochs + 1):
        started = time.perf_counter()
        order = epoch_examples(users, config.examples_per_user, rng)
        losses = []
        for start in range(0, len(order), config.batch_size):
            whole = order[start:start + config.batch_size]
            if len(whole) < world:  # a worker with no example would leave the others waiting
                continue
            targets = torch.as_tensor(seqs.items[seqs.offsets[users[whole]] + positions[whole]])
            if n_items <= config.n_negatives:
                candidates = all_items
            else:
                sampled = torch.randperm(n_items, generator=gen)[: config.n_negatives]
                candidates = torch.unique(torch.cat([sampled, targets]))
            drop = (torch.rand(n_items, generator=gen) < config.id_dropout) if config.use_item_ids else None
            pick = whole[rank::world]
            u, p = users[pick], positions[pick]
            at = seqs.days[seqs.offsets[u] + p]
            batch = history_batch(seqs, config, u, p, at)
            _, loss = net(batch, targets[rank::world].contiguous(), candidates, drop)
            if not torch.isfinite(loss):
                raise ModelFitError(f"training diverged: loss is {loss.item()} at epoch {epoch}")
            optim.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optim.step()
            if schedule is not None:
                schedule.step()
            losses.append(float(loss.item()))
        val = validation_ndcg(model, seqs, validation) if validation is not None else None
        stats = EpochStats(epoch, n_epochs, float(np.mean(losses)), val, time.perf_counter() - started)
        history.append(stats)
        _log.info("epoch %d/%d loss %.4f val NDCG@10 %s (%.1f s)", epoch, n_epochs, stats.loss,
                  "-" if val is None else f"{val:.4f}", stats.seconds)
        if on_epoch is not None:
            on_epoch(stats)
        if stopping.should_stop(epoch, val, model):
            break
    stopping.restore_best(model)
    model.eval()
    if any(math.isnan(float(p.detach().sum())) for p in model.parameters()):
        raise ModelFitError("training produced NaN weights")
    return model, history
