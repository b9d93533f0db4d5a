"""SASRec, the standard self-attentive sequential recommender, as an evaluation baseline.

Why it is here: popularity and item-kNN say whether the interest model learned anything;
SASRec (Kang & McAuley, "Self-Attentive Sequential Recommendation", ICDM 2018) is the
common sequential peer a next-item model is expected to match, so the evaluation table
shows it beside the product's model, trained on the same split and stopped the same way.

The model follows the paper: a shared item embedding (row 0 is padding) scaled by
``sqrt(dim)`` plus a learned positional embedding, ``n_blocks`` pre-norm causal
self-attention blocks with point-wise feed-forward layers, dropout, and a final layer norm;
the next-item logits are ``hidden @ item_embedding.T``. Histories are right-aligned (the
newest item in the last column), padding is masked out of attention and zeroed after every
block, and a position is its distance from the newest item, so training windows and scoring
read positions the same way.

Protocol, as in the paper: each user's newest item is the test item, the one before it the
validation item, the rest training; we train with early stopping on validation NDCG@10 and
keep the best epoch (``patience`` epochs without improvement end training). Two deliberate
departures, both now standard because they make SASRec stronger and its figures honest:

- the loss is full-softmax cross-entropy over the whole catalogue at every position instead
  of binary cross-entropy with one sampled negative (Klenitskiy & Vasilev, "Turning Dross
  Into Gold Loss: is BERT4Rec really better than SASRec?", RecSys 2023), and every position
  of every training sequence is a target (histories longer than ``max_len`` are cut into
  windows of at most ``max_len`` targets, aligned to the newest item);
- validation and test rank the full catalogue with the user's history removed, never 100
  sampled negatives (Krichene & Rendle, "On Sampled Metrics for Item Recommendation", KDD 2020).

Deterministic for a seed on CPU (``torch.manual_seed`` for weights and dropout, a NumPy
generator for the order of windows). Uses as many threads as the caller set with
``torch.set_num_threads``; never changes it.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import torch
import torch.nn.functional as F
from torch import nn

from recsys_core.config import SASRecConfig
from recsys_core.errors import ModelFitError
from recsys_core.interests.sequences import HeldOut, Sequences
from recsys_core.interests.train import EarlyStopping, EpochStats
from recsys_core.metrics import ndcg_per_user, rank_of_targets

_log = logging.getLogger(__name__)

_LOSS_ROWS = 2048  # positions per full-softmax chunk: bounds the (rows, n_items) logits in memory
_SCORE_ROWS = 256  # histories per scoring batch
_POOL_BATCHES = 8  # training windows are sorted by length within pools of this many batches


class _Block(nn.Module):
    """Pre-norm transformer block: causal multi-head self-attention, then a point-wise FFN."""

    def __init__(self, dim: int, n_heads: int, dropout: float) -> None:
        super().__init__()
        self.n_heads = n_heads
        self.dropout = dropout
        self.norm1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim)
        self.ff = nn.Sequential(nn.Linear(dim, dim), nn.ReLU(), nn.Dropout(dropout), nn.Linear(dim, dim))
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, allowed: torch.Tensor) -> torch.Tensor:
        b, length, dim = x.shape
        q, k, v = self.qkv(self.norm1(x)).view(b, length, 3, self.n_heads, dim // self.n_heads).permute(2, 0, 3, 1, 4)
        att = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed,
                                             dropout_p=self.dropout if self.training else 0.0)
        x = x + self.drop(self.out(att.transpose(1, 2).reshape(b, length, dim)))
        return x + self.drop(self.ff(self.norm2(x)))


class _SASRec(nn.Module):
    def __init__(self, n_items: int, config: SASRecConfig) -> None:
        super().__init__()
        self.dim = config.dim
        self.item_emb = nn.Embedding(n_items + 1, config.dim, padding_idx=0)  # item i is token i + 1
        self.pos_emb = nn.Embedding(config.max_len, config.dim)  # row r: r items before the newest
        self.drop = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(_Block(config.dim, config.n_heads, config.dropout)
                                    for _ in range(config.n_blocks))
        self.norm = nn.LayerNorm(config.dim)
        for name, p in self.named_parameters():  # Xavier, as the reference implementations
            if p.dim() > 1:
                nn.init.xavier_normal_(p)
            elif name.endswith("bias") and "norm" not in name:
                nn.init.zeros_(p)
        with torch.no_grad():
            self.item_emb.weight[0].zero_()

    def item_vectors(self) -> torch.Tensor:
        return self.item_emb.weight[1:]

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Hidden states ``(B, L, dim)`` of right-aligned token rows (0 = padding)."""
        length = tokens.shape[1]
        keep = tokens != 0
        recency = torch.arange(length - 1, -1, -1)
        x = self.item_emb(tokens) * math.sqrt(self.dim) + self.pos_emb(recency)[None]
        x = self.drop(x) * keep[..., None]
        # Query i attends to real keys j <= i; a padding query attends to itself only, so no
        # attention row is empty (which would give NaN). Padding rows are zeroed after each block.
        causal = torch.ones(length, length, dtype=torch.bool).tril()
        allowed = (causal[None] & keep[:, None, :]) | torch.eye(length, dtype=torch.bool)[None]
        allowed = allowed[:, None]  # broadcast over heads
        for block in self.blocks:
            x = block(x, allowed) * keep[..., None]
        out: torch.Tensor = self.norm(x)
        return out


def training_windows(seqs: Sequences, max_len: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Every next-item target, grouped into windows of at most ``max_len`` targets.

    Returns ``(starts, ends)``, flat indices into ``seqs.items``: a window predicts
    ``items[starts[w]:ends[w]]`` from ``items[starts[w] - 1:ends[w] - 1]``. Windows are cut
    from each user's newest item backwards, so the last window of a user is the one the
    paper trains on and every earlier item still appears as a target exactly once.
    """
    starts, ends = [], []
    for u in range(len(seqs)):
        first, end = int(seqs.offsets[u]) + 1, int(seqs.offsets[u + 1])  # the first item has no history
        while end > first:
            start = max(first, end - max_len)
            starts.append(start)
            ends.append(end)
            end = start
    return np.asarray(starts, np.int64), np.asarray(ends, np.int64)


class SASRecScorer:
    """SASRec fitted on training sequences; ``score(histories) -> (len(histories), n_items)`` float32.

    Args:
        config: Architecture and training settings.
        seed: Seed for initialisation, dropout and the order of training windows.
    """

    def __init__(self, config: SASRecConfig, seed: int) -> None:
        self.config = config
        self.seed = seed

    def fit(
        self, train: Sequences, n_items: int, validation: HeldOut | None = None,
        on_epoch: Callable[[EpochStats], None] | None = None,
    ) -> SASRecScorer:
        """Train on every position of ``train``.

        Args:
            train: Training sequences (item indices below ``n_items``).
            n_items: Catalogue size.
            validation: Held-out next items of ``train``'s users for early stopping (NDCG@10,
                full ranking without the user's training items), or None to run ``max_epochs``.
            on_epoch: Progress callback after every epoch.

        Raises:
            ModelFitError: No sequence has two items, or the loss is not finite.
        """
        cfg = self.config
        torch.manual_seed(self.seed)
        rng = np.random.default_rng(self.seed)
        self.n_items_ = n_items
        self.model_ = model = _SASRec(n_items, cfg)
        starts, ends = training_windows(train, cfg.max_len)
        if len(starts) == 0:
            raise ModelFitError("no user has two or more items: SASRec has nothing to learn the next item from")
        optim = torch.optim.Adam(model.parameters(), lr=cfg.learning_rate, betas=(0.9, 0.98))
        if validation is not None and len(validation.users) == 0:
            validation = None
        self.epochs_: list[EpochStats] = []
        stopping = EarlyStopping(cfg.patience)
        for epoch in range(1, cfg.max_epochs + 1):
            started = time.perf_counter()
            model.train()
            loss_sum, n_targets = 0.0, 0
            for pick in _batches(rng, ends - starts, cfg.batch_size):
                tokens, targets = _window_batch(train.items, starts[pick], ends[pick])
                loss, n = _train_step(model, optim, tokens, targets)
                if not math.isfinite(loss):
                    raise ModelFitError(f"SASRec training diverged: loss is {loss} at epoch {epoch}")
                loss_sum, n_targets = loss_sum + loss * n, n_targets + n
            val = self.validation_ndcg(train, validation) if validation is not None else None
            stats = EpochStats(epoch, cfg.max_epochs, loss_sum / n_targets, val, time.perf_counter() - started)
            self.epochs_.append(stats)
            _log.info("SASRec epoch %d/%d loss %.4f val NDCG@10 %s (%.1f s)", epoch, cfg.max_epochs, stats.loss,
                      "-" if val is None else f"{val:.4f}", stats.seconds)
            if on_epoch is not None:
                on_epoch(stats)
            if stopping.should_stop(epoch, val, model):
                break
        self.best_epoch_ = stopping.best_epoch or len(self.epochs_)  # the epoch whose weights are kept
        stopping.restore_best(model)
        model.eval()
        return self

    def validation_ndcg(self, train: Sequences, held: HeldOut, k: int = 10) -> float:
        """NDCG@k of the held-out items predicted from the users' ``train`` sequences."""
        if len(held.users) == 0:
            return float("nan")
        histories = [train.user(int(u))[0] for u in held.users]
        scores = self.score(histories)
        for row, h in enumerate(histories):
            scores[row, h] = -np.inf
        return float(ndcg_per_user(rank_of_targets(scores, held.items), k).mean())

    @torch.inference_mode()
    def score(self, histories: list[npt.NDArray[np.int64]]) -> npt.NDArray[np.float32]:
        """Every item's score after each history (its last ``max_len`` items); an empty history scores 0."""
        model = self.model_
        was_training = model.training
        model.eval()
        out = np.zeros((len(histories), self.n_items_), np.float32)
        vecs = model.item_vectors()
        for first in range(0, len(histories), _SCORE_ROWS):
            chunk = [np.asarray(h, np.int64)[-self.config.max_len:] for h in histories[first:first + _SCORE_ROWS]]
            width = max(1, max(len(h) for h in chunk))
            tokens = np.zeros((len(chunk), width), np.int64)
            for row, h in enumerate(chunk):
                if len(h):
                    tokens[row, width - len(h):] = h + 1
            hidden = model(torch.from_numpy(tokens))[:, -1]
            scores = (hidden @ vecs.T).numpy()
            empty = np.array([len(h) == 0 for h in chunk])
            scores[empty] = 0.0
            out[first:first + len(chunk)] = scores
        model.train(was_training)
        return out


def _batches(rng: np.random.Generator, lengths: npt.NDArray[np.int64], size: int) -> list[npt.NDArray[np.int64]]:
    """A random partition of the windows into batches of ``size``, in random order.

    Windows are shuffled, then sorted by length inside pools of ``_POOL_BATCHES`` batches, so
    a batch holds windows of similar length (less padding to compute) while its members still
    change from epoch to epoch.
    """
    order = rng.permutation(len(lengths))
    pool = size * _POOL_BATCHES
    for first in range(0, len(order), pool):
        chunk = order[first:first + pool]
        order[first:first + pool] = chunk[np.argsort(lengths[chunk], kind="stable")]
    batches = [order[first:first + size] for first in range(0, len(order), size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def _window_batch(
    items: npt.NDArray[np.int64], starts: npt.NDArray[np.int64], ends: npt.NDArray[np.int64]
) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-aligned input tokens (0 = padding) and targets (-1 = padding) of training windows."""
    width = int((ends - starts).max())
    tokens = np.zeros((len(starts), width), np.int64)
    targets = np.full((len(starts), width), -1, np.int64)
    for row, (a, b) in enumerate(zip(starts, ends, strict=True)):
        n = int(b - a)
        tokens[row, width - n:] = items[a - 1:b - 1] + 1
        targets[row, width - n:] = items[a:b]
    return torch.from_numpy(tokens), torch.from_numpy(targets)


def _train_step(
    model: _SASRec, optim: torch.optim.Optimizer, tokens: torch.Tensor, targets: torch.Tensor
) -> tuple[float, int]:
    """One Adam step on the mean full-softmax cross-entropy of the batch's real positions.

    The ``(positions, n_items)`` logits are built and back-propagated a chunk at a time (the
    gradient flows into the item embedding directly, then through the hidden states once), so
    memory stays bounded on large catalogues. Returns (mean loss, number of targets).
    """
    optim.zero_grad(set_to_none=True)
    valid = targets >= 0
    hidden = model(tokens)[valid]
    goal = targets[valid]
    n = len(goal)
    detached = hidden.detach().requires_grad_()
    vecs = model.item_vectors()
    total = 0.0
    for first in range(0, n, _LOSS_ROWS):
        logits = detached[first:first + _LOSS_ROWS] @ vecs.T
        loss = F.cross_entropy(logits, goal[first:first + _LOSS_ROWS], reduction="sum") / n
        loss.backward(retain_graph=True)  # vecs is shared by every chunk
        total += float(loss.item())
    if not math.isfinite(total):
        return total, n
    hidden.backward(detached.grad)
    optim.step()
    return total, n
