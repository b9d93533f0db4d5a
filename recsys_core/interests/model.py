"""The hierarchical long/short-term user model (PyTorch).

Items are projected text vectors (plus an optional learned id vector). Each branch pools a
user's history with attention in three steps, as in Hierarchical Attention Networks: items
into the fine interests they belong to, fine interests into themes, themes into one vector.
The long-term branch reads the whole history with a learned time decay; the short-term branch
reads the last few items with learned position weights. A gate turns (time since the last
event, session length, history length, both vectors) into the weight ``a`` of the long-term
vector; :mod:`recsys_core.fusion` mixes the two branches with it.

Because every pooling step is a weighted sum and the output map is linear, a branch vector is
exactly ``sum_i contrib_i`` over history items, which makes per-item evidence exact.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
import torch.nn.functional as F
from torch import nn

from recsys_core.config import InterestModelConfig
from recsys_core.fusion import fuse
from recsys_core.interests.sequences import N_EVENT_CODES, HistoryBatch


def grouped_softmax(
    logits: torch.Tensor, groups: torch.Tensor, n_groups: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Softmax of ``logits`` within each group; also each group's log-sum-exp (-inf if empty)."""
    gmax = torch.full((n_groups,), -math.inf, dtype=logits.dtype)
    gmax = gmax.scatter_reduce(0, groups, logits.detach(), reduce="amax", include_self=True)
    ex = torch.exp(logits - gmax[groups])
    den = torch.zeros(n_groups, dtype=logits.dtype).index_add(0, groups, ex)
    weights = ex / den[groups]
    lse = torch.where(den > 0, gmax + torch.log(den.clamp_min(1e-30)), torch.full_like(den, -math.inf))
    return weights, lse


GATE_SUMMARIES = 5  # hours since the last event, session length, history length, cos(long, short), newest-items fit


class _Attention(nn.Module):
    """Additive attention score ``q . tanh(W x + b)`` (HAN)."""

    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.proj = nn.Linear(dim, hidden)
        self.query = nn.Linear(hidden, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.query(torch.tanh(self.proj(x))).squeeze(-1)


@dataclass(slots=True)
class BranchOutput:
    """One branch for a batch: ``user`` (B, d) unit vectors, ``contrib`` (B, L, d) with
    ``user[b] == contrib[b].sum(0)``, and ``weights`` (B, L) overall attention per history slot
    (the last two only when details were asked for; training skips them)."""

    user: torch.Tensor
    contrib: torch.Tensor | None
    weights: torch.Tensor | None


class HierarchicalEncoder(nn.Module):
    """Items -> fine interests -> themes -> user vector, attention at every step."""

    def __init__(self, dim: int, n_fine: int, n_themes: int, hidden: int = 32) -> None:
        super().__init__()
        self.n_fine, self.n_themes = n_fine, n_themes
        self.item_att = _Attention(dim, hidden)
        self.fine_att = _Attention(dim, hidden)
        self.theme_att = _Attention(dim, hidden)
        self.type_bias = nn.Parameter(torch.zeros(N_EVENT_CODES))
        self.out = nn.Linear(dim, dim, bias=False)
        nn.init.eye_(self.out.weight)

    def forward(
        self,
        table: torch.Tensor,  # (R, d) item vectors
        slots: torch.Tensor,  # (B, L) row of ``table`` in each history slot
        mask: torch.Tensor,  # (B, L) bool
        codes: torch.Tensor,  # (B, L) event type codes
        fine: torch.Tensor,  # (B, L) fine interest of each slot
        theme_of_fine: torch.Tensor,  # (n_fine,)
        bias: torch.Tensor,  # (B, L) extra log-weight (time decay or position)
        details: bool = True,
    ) -> BranchOutput:
        b_size, width = slots.shape
        dim = table.shape[1]
        nf, nt = self.n_fine, self.n_themes
        rows, cols = mask.nonzero(as_tuple=True)
        flat = rows * width + cols
        # index_select (not 2-D indexing): its backward is a fast index_add on the CPU
        row_of = slots.reshape(-1).index_select(0, flat)
        v = table.index_select(0, row_of)
        prior = self.type_bias[codes.reshape(-1)[flat]] + bias.reshape(-1).index_select(0, flat)
        # an item's attention score does not depend on its slot: when the table has fewer rows
        # than the history has slots (a training batch's distinct items), score the rows once
        if table.shape[0] < v.shape[0]:
            item_scores = self.item_att(table).index_select(0, row_of)
        else:
            item_scores = self.item_att(v)
        # items -> fine interests, numbered by the (user, fine interest) pairs present in the
        # batch: a catalogue with hundreds of fine interests would otherwise cost a mostly
        # empty (B * n_fine, d) buffer per branch
        f = fine[rows, cols]
        present, fgroup = torch.unique(rows * nf + f, sorted=True, return_inverse=True)
        n_present = int(present.shape[0])
        alpha, _ = grouped_softmax(item_scores + prior, fgroup, n_present)
        _, mass_present = grouped_softmax(prior, fgroup, n_present)
        h_present = torch.zeros(n_present, dim).index_add(0, fgroup, alpha.unsqueeze(1) * v)
        # fine interests -> themes
        p_rows = present // nf
        tgroup = p_rows * nt + theme_of_fine[present % nf]
        beta, _ = grouped_softmax(self.fine_att(h_present) + mass_present, tgroup, b_size * nt)
        _, theme_mass = grouped_softmax(mass_present, tgroup, b_size * nt)
        g = torch.zeros(b_size * nt, dim).index_add(0, tgroup, beta.unsqueeze(1) * h_present)
        t_present = torch.isfinite(theme_mass).nonzero(as_tuple=True)[0]
        # themes -> user
        gamma, _ = grouped_softmax(self.theme_att(g.index_select(0, t_present))
                                   + theme_mass.index_select(0, t_present), t_present // nt, b_size)
        gamma_dense = torch.zeros(b_size * nt).index_put((t_present,), gamma)
        w = alpha * beta.index_select(0, fgroup) * gamma_dense.index_select(0, rows * nt + theme_of_fine[f])
        if not details:  # the output map is linear: apply it once per user, not once per slot
            z = self.out(torch.zeros(b_size, dim).index_add(0, rows, w.unsqueeze(1) * v))
            return BranchOutput(z / z.norm(dim=1, keepdim=True).clamp_min(1e-8), None, None)
        projected = self.out(v)  # (N, d)
        z = torch.zeros(b_size, dim).index_add(0, rows, w.unsqueeze(1) * projected)
        norm = z.norm(dim=1, keepdim=True).clamp_min(1e-8)
        contrib = torch.zeros(b_size, width, dim)
        contrib[rows, cols] = w.unsqueeze(1) * projected / norm[rows]
        weights = torch.zeros(b_size, width)
        weights[rows, cols] = w
        return BranchOutput(z / norm, contrib, weights)


@dataclass(slots=True)
class UserEncoding:
    """Both branches and the gate for a batch of users."""

    long: BranchOutput
    short: BranchOutput
    gate: torch.Tensor  # (B,) learned weight of the long-term vector
    gate_inputs: torch.Tensor  # (B, F) what the gate read; column 0 is log1p(hours since the last event)

    def fused(self) -> torch.Tensor:
        """(B, d) user vectors at the learned weight (see :mod:`recsys_core.fusion`)."""
        return fuse(self.long.user, self.short.user, self.gate)


def text_basis(text_features: npt.ArrayLike, components: int, seed: int = 0) -> torch.Tensor | None:
    """``(text_dim, k)`` orthonormal basis of the text features' top ``k`` singular directions
    (uncentred, as the projection after it has no bias), or None when ``k`` is 0 or keeps every
    dimension. Computed once per training and stored with the weights, so serving projects new
    texts onto the very directions the model was trained on."""
    from sklearn.decomposition import TruncatedSVD

    x = np.asarray(text_features, dtype=np.float32)
    if components <= 0 or components >= min(x.shape):
        return None
    svd = TruncatedSVD(n_components=components, algorithm="randomized", n_iter=7, random_state=seed)
    svd.fit(x)
    return torch.as_tensor(svd.components_.T.copy(), dtype=torch.float32)


class InterestModel(nn.Module):
    text_features: torch.Tensor
    text_basis: torch.Tensor | None
    fine_of_item: torch.Tensor
    theme_of_fine: torch.Tensor

    """Item tower + two hierarchical branches + fusion gate.

    Args:
        config: Model and training settings.
        text_features: ``(n_items, text_dim)`` fixed text features of the catalogue.
        fine_of_item: ``(n_items,)`` fine interest of each item.
        theme_of_fine: ``(n_fine,)`` theme of each fine interest.
        basis: The ``(text_dim, k)`` text basis to read the features through (:func:`text_basis`,
            computed by the training; a trained model's own when loading it), or None to read
            the features whole. Never computed here: a model loaded beside a grown catalogue
            must read it the way it was trained.
    """

    def __init__(
        self,
        config: InterestModelConfig,
        text_features: torch.Tensor,
        fine_of_item: torch.Tensor,
        theme_of_fine: torch.Tensor,
        basis: torch.Tensor | None = None,
    ) -> None:
        super().__init__()
        self.config = config
        n_fine = int(theme_of_fine.shape[0])
        n_themes = int(theme_of_fine.max().item()) + 1
        d = config.dim
        # persistent: a checkpoint carries the directions its projection was trained on
        self.register_buffer("text_basis", None if basis is None else basis.float())
        feats = self._in_basis(text_features)
        n_items, text_dim = feats.shape
        self.register_buffer("text_features", feats, persistent=False)
        self.register_buffer("fine_of_item", fine_of_item.long(), persistent=False)
        self.register_buffer("theme_of_fine", theme_of_fine.long(), persistent=False)
        self.text_proj = nn.Linear(text_dim, d, bias=False)
        self.item_ids = nn.Embedding(n_items, d) if config.use_item_ids else None
        if self.item_ids is not None:
            nn.init.normal_(self.item_ids.weight, std=0.01)
        self.long = HierarchicalEncoder(d, n_fine, n_themes)
        self.short = HierarchicalEncoder(d, n_fine, n_themes)
        # long-term decay rate per day, softplus-parameterised, starting at ln2 / half-life
        rate = math.log(2.0) / config.half_life_days
        self.decay_raw = nn.Parameter(torch.tensor(math.log(math.expm1(rate))))
        self.short_position = nn.Parameter(torch.zeros(config.short_window))
        # the gate reads the 3 history scalars, the two branches' agreement and how well the
        # newest items fit the long-term vector; with "vectors", both branch vectors as well
        n_in = {"summary": GATE_SUMMARIES, "vectors": GATE_SUMMARIES + 2 * d, "legacy": GATE_SUMMARIES - 1 + 2 * d}
        self.gate = nn.Sequential(nn.Linear(n_in[config.gate_inputs], 32), nn.ReLU(), nn.Linear(32, 1))
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1.0 / config.temperature)))

    # ------------------------------------------------------------------ items
    def item_vectors(self, index: torch.Tensor | None = None, drop_ids: torch.Tensor | None = None) -> torch.Tensor:
        """Unit item vectors for ``index`` (all items when None); ``drop_ids`` hides id parts."""
        # index_select, not 2-D indexing: the same rows, copied several times faster on the CPU
        feats = self.text_features if index is None else self.text_features.index_select(0, index)
        v = self.text_proj(feats)
        if self.item_ids is not None:
            ids = self.item_ids.weight if index is None else self.item_ids(index)
            if drop_ids is not None:
                ids = ids * (~drop_ids).unsqueeze(1).float()
            v = v + ids
        return F.normalize(v, dim=-1)

    def text_vectors(self, text_features: torch.Tensor) -> torch.Tensor:
        """Unit vectors of texts with no id (new items, profile texts): full text features,
        read through the model's basis like the catalogue's."""
        return F.normalize(self.text_proj(self._in_basis(text_features)), dim=-1)

    def _in_basis(self, text_features: torch.Tensor) -> torch.Tensor:
        """Full text features as the item tower reads them (through the basis, if any)."""
        feats = text_features.float()
        return feats if self.text_basis is None else feats @ self.text_basis

    # ------------------------------------------------------------------ users
    def encode(self, batch: HistoryBatch, vecs: torch.Tensor | None = None, details: bool = True,
               catalogue: torch.Tensor | None = None) -> UserEncoding:
        """Encode right-aligned histories; ``vecs`` (B, L, d) overrides the item vectors, or
        ``catalogue`` (n_items, d), the model's item vectors already computed, is read by item;
        ``details`` adds per-slot contributions and weights (for evidence)."""
        items = torch.as_tensor(batch.items)
        if catalogue is not None:
            return self._encode(batch, catalogue, items, details)
        if vecs is None:
            vecs = self.item_vectors(items.reshape(-1)).reshape(*items.shape, -1)
        slots = torch.arange(items.numel()).reshape(items.shape)
        return self._encode(batch, vecs.reshape(items.numel(), -1), slots, details)

    def _encode(self, batch: HistoryBatch, table: torch.Tensor, slots: torch.Tensor, details: bool) -> UserEncoding:
        """:meth:`encode` with each history slot's vector read as ``table[slots]`` (training
        passes a batch's distinct items once, not once per slot)."""
        items = torch.as_tensor(batch.items)
        mask = torch.as_tensor(batch.mask)
        codes = torch.as_tensor(batch.codes)
        age = torch.as_tensor(batch.age_days)
        fine = self.fine_of_item[items]
        width = items.shape[1]
        k = min(self.config.short_window, width)
        rate = F.softplus(self.decay_raw)
        long = self.long(table, slots, mask, codes, fine, self.theme_of_fine, -rate * age, details)
        short_mask = mask.clone()
        short_mask[:, : width - k] = False
        position = torch.zeros(width)
        position[width - k:] = self.short_position[-k:]
        short = self.short(table, slots, short_mask, codes, fine, self.theme_of_fine,
                           position.unsqueeze(0).expand_as(age), details)
        cos = (long.user * short.user).sum(dim=1, keepdim=True)
        # only the last k slots can be in the short window: sum those, not the whole width
        newest = F.normalize(self._window_sum(table, slots[:, width - k:], short_mask[:, width - k:]), dim=-1)
        fit = (newest * long.user).sum(dim=1, keepdim=True)
        parts = [torch.as_tensor(batch.features), cos]
        if self.config.gate_inputs != "legacy":
            parts.append(fit)
        if self.config.gate_inputs != "summary":
            parts += [long.user, short.user]
        feats = torch.cat(parts, dim=1)
        gate = torch.sigmoid(self.gate(feats)).squeeze(1)
        return UserEncoding(long, short, gate, feats)

    @staticmethod
    def _window_sum(table: torch.Tensor, slots: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """(B, d) sum of the vectors in the masked slots of ``slots`` (B, W)."""
        vecs = table.index_select(0, slots.reshape(-1)).reshape(*slots.shape, -1)
        return (vecs * mask.unsqueeze(2).float()).sum(dim=1)

    # ------------------------------------------------------------------ training
    def forward(
        self,
        batch: HistoryBatch,
        targets: torch.Tensor,  # (B,) item index of the next item
        candidates: torch.Tensor,  # (C,) item indices scored against (targets included)
        drop_ids: torch.Tensor | None = None,  # (n_items,) bool
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Next-item InfoNCE over ``candidates`` plus CLSR-style proxy losses.

        Returns:
            ``(fused_logits (B, C), loss)``; a user's seen items (the target aside) have
            logit -1e4 there, as they are not negatives.
        """
        cfg = self.config
        items = torch.as_tensor(batch.items)
        mask = torch.as_tensor(batch.mask)
        needed, inverse = torch.unique(torch.cat([items.reshape(-1), candidates]), return_inverse=True)
        dropped = drop_ids[needed] if drop_ids is not None else None
        table = self.item_vectors(needed, dropped)
        slots = inverse[: items.numel()].reshape(items.shape)
        cand_vecs = table.index_select(0, inverse[items.numel():])
        enc = self._encode(batch, table, slots, details=False)
        scale = self.logit_scale.exp().clamp(max=100.0)
        # seen items are never recommended, so they are not negatives either
        pos = torch.searchsorted(candidates, targets)
        seen = torch.zeros(len(targets), len(candidates), dtype=torch.bool)
        rows, cols = mask.nonzero(as_tuple=True)
        hist = items[rows, cols]
        slot = torch.searchsorted(candidates, hist).clamp(max=len(candidates) - 1)
        hit = candidates[slot] == hist
        seen[rows[hit], slot[hit]] = True
        seen[torch.arange(len(targets)), pos] = False

        # the fused vector is linear in the two branch vectors, so are its logits: one product
        # of both branches against the candidates gives all three (a third of the multiplies);
        # masking both branches masks the fused logits too (a fused -1e4 has no gradient left)
        b_size = len(targets)
        both = (scale * torch.cat([enc.long.user, enc.short.user]) @ cand_vecs.T).masked_fill(seen.repeat(2, 1), -1e4)
        long_logits, short_logits = both[:b_size], both[b_size:]
        logits = fuse(long_logits, short_logits, enc.gate)
        # one cross-entropy over the three stacked rows of logits, split into its three means
        nce = F.cross_entropy(torch.cat([logits, both]), pos.repeat(3), reduction="none").reshape(3, b_size).mean(1)
        loss = nce[0]
        if cfg.branch_loss_weight > 0:
            loss = loss + cfg.branch_loss_weight * (nce[1] + nce[2])
        if cfg.proxy_loss_weight > 0:
            k = min(cfg.short_window, items.shape[1])
            p_long = F.normalize(self._window_sum(table, slots, mask), dim=-1)
            p_short = F.normalize(self._window_sum(table, slots[:, -k:], mask[:, -k:]), dim=-1)

            def prefer(u: torch.Tensor, good: torch.Tensor, bad: torch.Tensor) -> torch.Tensor:
                return F.softplus(((u * bad).sum(1) - (u * good).sum(1)) / 0.1).mean()

            loss = loss + cfg.proxy_loss_weight * (prefer(enc.long.user, p_long, p_short)
                                                   + prefer(enc.short.user, p_short, p_long))
        return logits.detach(), loss

    # ------------------------------------------------------------------ checkpoints
    def checkpoint(self) -> dict[str, object]:
        """A plain dict: the config and the learned weights (buffers are rebuilt from the data)."""
        return {"config": asdict(self.config), "state_dict": self.state_dict(),
                "n_items": int(self.text_features.shape[0])}


def config_from_checkpoint(ckpt: dict[str, object]) -> InterestModelConfig:
    """The model settings a checkpoint was trained with; a build from before the gate's inputs
    were a setting read both branch vectors without the newest items' fit ("legacy")."""
    fields: dict[str, Any] = {"gate_inputs": "legacy", "text_components": 0, **ckpt["config"]}  # type: ignore[dict-item]
    return InterestModelConfig(**fields)


def model_from_state(
    config: InterestModelConfig, state: dict[str, torch.Tensor], text_features: npt.ArrayLike,
    fine_of_item: npt.ArrayLike, theme_of_fine: npt.ArrayLike,
) -> InterestModel:
    """A trained model back from its weights, in eval mode: the catalogue's features read
    through the basis the weights were trained with (never a freshly computed one)."""
    model = InterestModel(config, torch.as_tensor(np.asarray(text_features, dtype=np.float32)),
                          torch.as_tensor(np.asarray(fine_of_item, dtype=np.int64)),
                          torch.as_tensor(np.asarray(theme_of_fine, dtype=np.int64)), basis=state.get("text_basis"))
    model.load_state_dict(state)
    model.eval()
    return model


def model_from_checkpoint(
    ckpt: dict[str, object], text_features: np.ndarray, fine_of_item: np.ndarray, theme_of_fine: np.ndarray
) -> InterestModel:
    return model_from_state(config_from_checkpoint(ckpt), ckpt["state_dict"],  # type: ignore[arg-type]
                            text_features, fine_of_item, theme_of_fine)
