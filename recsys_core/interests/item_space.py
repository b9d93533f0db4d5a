"""The vectors the interest hierarchy clusters: item text blended with behaviour and categories.

Text alone is a weak signal when an item's text is short (film titles), and behaviour alone
is noise for items few people touched. This module builds one vector per item from three
blocks and lets the data decide how much each counts:

- **text**: the sentence-encoder vector of the item text (what the build already has);
- **collaborative**: who interacted with the item (TruncatedSVD of the user x item matrix);
- **category**: the catalogue's category labels / paths (TF-IDF of the path prefixes).

How the blocks are combined (:func:`blend`):

1. Every block is made unit length per item. Where a block is missing or unreliable for an
   item, it is *filled* from what the other blocks predict (a weighted ridge regression fitted
   on the items that do have it), mixed by a per-item reliability ``r``:
   ``r * own + (1 - r) * predicted``. For the collaborative block ``r = n / (n + k)`` with
   ``n`` the item's event count and ``k`` estimated from the events (:func:`collaborative_k`);
   for categories ``r`` is 1 when the item has one and 0 otherwise. An item nobody touched
   therefore sits where its text says items like it are touched, instead of in a pile with
   every other unseen item (a zero block would put it there: k-means then groups items by
   *having no events*).
2. Each block is scaled so its share of the blended space's variance (mean squared distance to
   the mean) is ``share``. The shares come from :func:`validity_shares`: proportional to how
   much better than chance each block tells which held-out next item belongs to which user
   (:func:`block_validity`, on a split the collaborative vectors were not fitted on; taken at
   the lower confidence bound). A block that predicts nothing gets no share; with no events
   to validate on (or none beating chance) the result is the text vectors alone, as today.

:func:`build_item_vectors` runs the whole recipe from a catalogue and its sequences;
:func:`choose_n_themes` is the rule for how many themes to cut the fine interests into.
Pure NumPy / SciPy / scikit-learn, deterministic for a seed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from recsys_core.data.importers import CATEGORY_LABEL_SEPARATORS
from recsys_core.interests.sequences import HeldOut, Sequences, drop_last

FloatArray = npt.NDArray[np.float32]

_LABEL_SPLIT = re.compile(CATEGORY_LABEL_SEPARATORS)  # between several labels of one item ("Action|Comedy")
_PATH_SPLIT = re.compile(r"\s*(?:>|/|»|›|\\)\s*")  # separators inside one category path ("Home > Kitchen")

MIN_VALIDATION_USERS = 20  # fewer held-out transitions give no usable signal: text only
_RIDGE_ALPHA = 1.0


def normalise_rows(x: npt.ArrayLike) -> FloatArray:
    """Rows scaled to unit length; zero rows stay zero."""
    arr = np.asarray(x, dtype=np.float64)
    return (arr / np.maximum(np.linalg.norm(arr, axis=1, keepdims=True), 1e-12)).astype(np.float32)


# --------------------------------------------------------------------------- collaborative block
def interaction_matrix(seqs: Sequences, n_items: int) -> Any:
    """Binary ``(n_items, n_users)`` CSR matrix: 1 where the user has the item in the history."""
    from scipy.sparse import csr_matrix

    lengths = seqs.lengths()
    users = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
    x = csr_matrix((np.ones(len(seqs.items), np.float64), (seqs.items, users)),
                   shape=(n_items, max(len(lengths), 1)))
    x.data[:] = 1.0  # a repeated (item, user) pair stays 1
    return x


def collaborative_vectors(seqs: Sequences, n_items: int, dim: int = 64, seed: int = 0) -> FloatArray:
    """Item vectors from who interacted with what; unit length, zeros for items without events.

    TruncatedSVD of the binary item x user matrix with each user's column scaled by
    1/sqrt(the user's item count): without it the few users with thousands of items (a
    MovieLens rater, a crawler) decide the factors; with a full 1/count, one-item users would
    weigh as much as a whole heavy history. (Also tried: plain binary, symmetric
    1/sqrt(user x item degree), IDF and BM25 weighting: none was better on both test
    catalogues.)

    Args:
        seqs: The histories to learn from (leave out what will be evaluated).
        n_items: Rows of the result (item rows of ``seqs.items`` index into it).
        dim: Dimensions (fewer when there are fewer users or items).
        seed: Seed of the randomized SVD.

    Returns:
        ``(n_items, d)`` float32; ``d`` is 1 (all zeros) when there are no events.
    """
    from scipy.sparse import csr_matrix
    from sklearn.decomposition import TruncatedSVD

    if len(seqs.items) == 0:
        return np.zeros((n_items, 1), np.float32)
    x = interaction_matrix(seqs, n_items)
    user_deg = np.asarray(x.sum(axis=0)).ravel()
    xw = csr_matrix(x.multiply((1.0 / np.sqrt(np.maximum(user_deg, 1.0)))[None, :]))
    k = int(min(dim, min(xw.shape) - 1))
    if k < 1:
        return np.zeros((n_items, 1), np.float32)
    svd = TruncatedSVD(n_components=k, random_state=seed, algorithm="randomized", n_iter=7)
    return normalise_rows(svd.fit_transform(xw))


def _users_subset(seqs: Sequences, users: npt.NDArray[np.int64]) -> Sequences:
    parts = [seqs.user(int(u)) for u in users]
    lengths = np.array([len(p[0]) for p in parts], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)

    def cat(k: int, dtype: Any) -> Any:
        return np.concatenate([p[k] for p in parts]).astype(dtype) if parts else np.zeros(0, dtype)

    return Sequences([seqs.user_ids[int(u)] for u in users], offsets, cat(0, np.int64), cat(1, np.float64),
                     cat(2, np.int64))


def _reading_correlation(learn: Sequences, read: Sequences, n_items: int, dim: int, seed: int) -> float:
    """ICC of the readings ``read``'s users give of their items, in a space fitted on ``learn``.

    Item space: :func:`collaborative_vectors` of ``learn``. A reading of item ``i`` by user
    ``u`` is the mean of the vectors of u's *other* items (its taste, not knowing ``i``). The
    ICC is how much more alike two readings of one item are than two random readings,
    relative to a reading's own spread. Out of sample on both sides: nothing ``read`` did
    shaped the space and no reading contains its own item.
    """
    from scipy.sparse import csr_matrix

    e = collaborative_vectors(learn, n_items, dim, seed).astype(np.float64)
    readable = np.linalg.norm(e, axis=1) > 0
    m = csr_matrix(interaction_matrix(read, n_items).T.multiply(readable[None, :]))  # users x items
    m.eliminate_zeros()
    deg = np.asarray(m.sum(axis=1)).ravel()
    a = np.where(deg >= 2, 1.0 / np.maximum(deg - 1.0, 1.0), 0.0)  # a reading is a mean of deg - 1 items
    b = a ** 2
    t = m @ e  # per user: sum of its items' vectors
    mt = csr_matrix(m.multiply(a[:, None] > 0).T)  # items x users, users with 2+ items only
    n = np.asarray(mt.sum(axis=1)).ravel()
    pairs = float((n * (n - 1.0)).sum())
    if pairs <= 0:
        return 0.0
    sums = mt @ (a[:, None] * t) - e * (mt @ a)[:, None]  # per item: sum of its readings
    squares = (mt @ (b * (t ** 2).sum(axis=1)) - 2.0 * (e * (mt @ (b[:, None] * t))).sum(axis=1)
               + (e ** 2).sum(axis=1) * (mt @ b))  # per item: sum of its readings' squared norms
    within = float(((sums ** 2).sum(axis=1) - squares).sum()) / pairs
    own = float(squares.sum()) / float(n.sum())
    mean = sums.sum(axis=0) / float(n.sum())
    between = float(mean @ mean)
    return (within - between) / max(own - between, 1e-12)


def _split_half_correlation(seqs: Sequences, n_items: int, dim: int, seed: int) -> float:
    halves = np.array_split(np.random.default_rng(seed).permutation(len(seqs)), 2)
    a, b = (np.sort(h).astype(np.int64) for h in halves)
    sa, sb = _users_subset(seqs, a), _users_subset(seqs, b)
    return 0.5 * (_reading_correlation(sa, sb, n_items, dim, seed) + _reading_correlation(sb, sa, n_items, dim, seed))


def collaborative_k(seqs: Sequences, n_items: int, dim: int = 64, seed: int = 0) -> float:
    """Events an item needs before its collaborative vector is half signal: ``k`` in ``n / (n + k)``.

    An item's collaborative vector is in effect a mean of one reading per user who touched
    it (that user's taste). With ``rho`` the intra-class correlation of the readings (how much
    more alike two users of the same item are than two random ones), the reliability of a
    mean of ``n`` readings is the Spearman-Brown ``n rho / (1 + (n - 1) rho) = n / (n + k)``
    with ``k = (1 - rho) / rho``.

    ``rho`` is measured out of sample: users are split in two halves; the item space is fitted
    on one half and the other half's readings are compared in it (and the other way round;
    :func:`_reading_correlation`). It is then corrected for chance like an adjusted index,
    ``rho = (rho_obs - rho0) / (1 - rho0)``, with ``rho0`` the same measurement on the events
    with their items permuted (every user and item keeps its event count; heavy users make
    popular items look alike even then). Measured, not chosen: about 2 on the shipped sample
    and on MovieLens; ``inf`` when same-item users are no more alike than chance (the events
    say nothing about the items) or there are fewer than 4 users.
    """
    if len(seqs) < 4 or len(seqs.items) == 0:
        return float("inf")
    observed = _split_half_correlation(seqs, n_items, dim, seed)
    shuffled = Sequences(seqs.user_ids, seqs.offsets, np.random.default_rng(seed).permutation(seqs.items),
                         seqs.days, seqs.codes)
    chance = _split_half_correlation(shuffled, n_items, dim, seed)
    rho = (observed - chance) / max(1.0 - chance, 1e-12)
    return float((1.0 - rho) / rho) if rho > 1e-6 else float("inf")


# --------------------------------------------------------------------------- category block
def category_tokens(category: object) -> list[str]:
    """Tokens of one item's category: every label, and every prefix of a path.

    ``"Action|Comedy"`` -> ``["action", "comedy"]``; ``"Home > Kitchen > Pans"`` ->
    ``["home", "home > kitchen", "home > kitchen > pans"]``, so two pans share three tokens and
    a pan and a sofa share one: path depth becomes similarity.
    """
    if not isinstance(category, str):
        return []
    out: list[str] = []
    for label in _LABEL_SPLIT.split(category):
        parts = [p.strip().lower() for p in _PATH_SPLIT.split(label) if p.strip()]
        for depth in range(1, len(parts) + 1):
            token = " > ".join(parts[:depth])
            if token not in out:
                out.append(token)
    return out


def category_vectors(categories: list[Any], max_dim: int = 128, seed: int = 0) -> FloatArray | None:
    """TF-IDF of the category tokens (:func:`category_tokens`), unit length per item.

    IDF makes a specific leaf count more than a root half the catalogue shares ("Drama").
    More than ``max_dim`` distinct tokens (deep shop taxonomies) are reduced by TruncatedSVD so
    the block stays dense and small next to the text.

    Returns:
        ``(n_items, d)`` float32 with zero rows for items without a category, or None when no
        item has one (the block is then left out).
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    tokens = [category_tokens(c) for c in categories]
    if not any(tokens):
        return None
    vec = TfidfVectorizer(analyzer=_identity, lowercase=False)
    m = vec.fit_transform(tokens)
    if m.shape[1] > max_dim:
        from sklearn.decomposition import TruncatedSVD

        dense = TruncatedSVD(n_components=max_dim, random_state=seed).fit_transform(m)
    else:
        dense = m.toarray()
    return normalise_rows(dense)


def _identity(tokens: list[str]) -> list[str]:
    return tokens


# --------------------------------------------------------------------------- filling and blending
def _ridge_fill(block: npt.ArrayLike, reliability: npt.NDArray[np.float64], source: npt.ArrayLike) -> FloatArray:
    """``reliability * own + (1 - reliability) * predicted-from-source``, unit length per item.

    The prediction is a ridge regression of the block on ``source``, fitted with each item
    weighted by its reliability, so the items that have the block teach what items like
    them look like in it.
    """
    b = np.asarray(block, np.float64)
    if not np.any(reliability < 1.0):
        return normalise_rows(b)
    src = np.asarray(source, np.float64)
    sw = np.sqrt(reliability)[:, None]
    a = src * sw
    gram = a.T @ a + _RIDGE_ALPHA * np.eye(src.shape[1])
    coef = np.linalg.solve(gram, a.T @ (b * sw))
    predicted = normalise_rows(src @ coef).astype(np.float64)
    return normalise_rows(reliability[:, None] * b + (1.0 - reliability[:, None]) * predicted)


@dataclass(frozen=True, slots=True)
class Blocks:
    """Unit-length blocks after filling (``text`` always; the others when available) and the
    per-item reliability of each (text: 1)."""

    blocks: dict[str, FloatArray]
    reliability: dict[str, npt.NDArray[np.float64]]


def fill_blocks(
    text: npt.ArrayLike, collab: npt.ArrayLike | None, category: npt.ArrayLike | None,
    n_events: npt.ArrayLike | None, collab_k: float,
) -> Blocks:
    """Unit blocks with missing / unreliable parts filled from the other blocks.

    Category is filled from text; collaborative from text and category. ``collab`` is
    dropped when there are no events at all or ``collab_k`` is infinite.
    """
    t = normalise_rows(text)
    blocks: dict[str, FloatArray] = {"text": t}
    rel: dict[str, npt.NDArray[np.float64]] = {"text": np.ones(len(t))}
    if category is not None:
        cat = np.asarray(category, np.float32)
        r = (np.linalg.norm(cat, axis=1) > 0).astype(np.float64)
        if r.any():
            blocks["category"] = _ridge_fill(cat, r, t)
            rel["category"] = r
    if collab is not None and n_events is not None and np.isfinite(collab_k):
        n = np.asarray(n_events, np.float64)
        if n.sum() > 0:
            r = n / (n + collab_k)
            source = np.concatenate([blocks[b] for b in blocks], axis=1)
            blocks["collab"] = _ridge_fill(collab, r, source)
            rel["collab"] = r
    return Blocks(blocks, rel)


def block_variance(block: FloatArray) -> float:
    """Mean squared distance of the rows to their mean (``1 - |mean|^2`` for unit rows)."""
    b = np.asarray(block, np.float64)
    return float(max(((b - b.mean(axis=0)) ** 2).sum(axis=1).mean(), 1e-9))


def blend(
    text: npt.ArrayLike, collab: npt.ArrayLike | None, category: npt.ArrayLike | None,
    n_events: npt.ArrayLike | None, *, collab_k: float, shares: dict[str, float] | None = None,
) -> tuple[FloatArray, dict[str, Any]]:
    """The blocks concatenated, each scaled to its share of the variance.

    Args:
        text: ``(n, d_t)`` item text vectors.
        collab: ``(n, d_c)`` :func:`collaborative_vectors`, or None.
        category: ``(n, d_g)`` :func:`category_vectors`, or None.
        n_events: ``(n,)`` events (distinct users) per item in what ``collab`` was fitted on.
        collab_k: :func:`collaborative_k`; per-item weight of the own collaborative vector is
            ``n / (n + collab_k)``.
        shares: Share of the blended variance per block name (``text``, ``category``,
            ``collab``); normalised over the blocks present; a missing name counts 0. None =
            equal shares. :func:`build_item_vectors` passes :func:`validity_shares`.

    Returns:
        ``(vectors, info)``: ``(n, d)`` float32 rows of equal length (every block is unit and
        filled), and ``info`` with the blocks used, their shares, scale factors, variances and
        the mean collaborative reliability.
    """
    filled = fill_blocks(text, collab, category, n_events, collab_k)
    names = list(filled.blocks)
    raw = {b: (1.0 if shares is None else max(float(shares.get(b, 0.0)), 0.0)) for b in names}
    total = sum(raw.values())
    if total <= 0:
        raw, total = {b: 1.0 for b in names}, float(len(names))
    used = {b: raw[b] / total for b in names}
    parts, scales, variances = [], {}, {}
    for b in names:
        if used[b] <= 0:
            continue
        variances[b] = block_variance(filled.blocks[b])
        scales[b] = float(np.sqrt(used[b] / variances[b]))
        parts.append(filled.blocks[b] * scales[b])
    info: dict[str, Any] = {
        "blocks": [b for b in names if used[b] > 0],
        "shares": {b: round(used[b], 4) for b in names},
        "scales": {b: round(s, 4) for b, s in scales.items()},
        "variances": {b: round(v, 4) for b, v in variances.items()},
        "shares_from": "equal" if shares is None else "given",
    }
    if "collab" in filled.reliability:
        r = filled.reliability["collab"]
        info["collab_k"] = round(float(collab_k), 3)
        info["collab_mean_reliability"] = round(float(r.mean()), 4)
        info["items_without_events"] = int((np.asarray(n_events) == 0).sum())
    return np.concatenate(parts, axis=1).astype(np.float32), info


# --------------------------------------------------------------------------- choosing the shares
@dataclass(frozen=True, slots=True)
class Validity:
    """A block's held-out AUC (0.5 = chance), its standard error over users, and users scored."""

    auc: float
    se: float
    n_users: int

    @property
    def lower(self) -> float:
        """The AUC's lower confidence bound (about 97.5 %, one-sided)."""
        return self.auc - 2.0 * self.se


def block_validity(
    blocks: dict[str, FloatArray], history: Sequences, held: HeldOut, seed: int = 0,
    n_negatives: int = 100, window: int = 50, max_users: int = 5000,
) -> dict[str, Validity]:
    """Per block: how well it tells which next item belongs to which user (held-out AUC).

    A user is the mean of the block's vectors of the last ``window`` items of the history; an
    item's score is its dot product with that mean. The user's own next item is ranked against
    ``n_negatives`` *other users'* next items, so negatives come from exactly the same
    distribution as the targets: a block cannot win by knowing what is popular, new or cold,
    only by knowing who goes where. 0.5 = chance.

    Args:
        blocks: Unit-length blocks (:func:`fill_blocks`) fitted without ``held``'s items.
        history: The histories the blocks were fitted on.
        held: Row ``j``: user ``held.users[j]``'s next item ``held.items[j]``.
    """
    rng = np.random.default_rng(seed)
    m = len(held.users)
    rows = np.arange(m)
    if m > max_users:
        rows = np.sort(rng.choice(m, max_users, replace=False))
    if m < 2:
        return {name: Validity(0.5, 0.5, 0) for name in blocks}
    # other users' targets: shift by 1..m-1 so a row never draws its own
    others = (rows[:, None] + rng.integers(1, m, size=(len(rows), n_negatives))) % m
    negatives = held.items[others]
    out: dict[str, Validity] = {}
    for name, block in blocks.items():
        b = np.asarray(block, np.float32)
        per_user = np.empty(len(rows))
        for r, j in enumerate(rows):
            items, _, _ = history.user(int(held.users[j]))
            centre = b[items[-window:]].mean(axis=0)
            target = float(b[held.items[j]] @ centre)
            neg = b[negatives[r]] @ centre
            per_user[r] = np.mean(neg < target) + 0.5 * np.mean(neg == target)
        se = float(per_user.std(ddof=1) / np.sqrt(len(rows))) if len(rows) > 1 else 0.5
        out[name] = Validity(float(per_user.mean()), se, len(rows))
    return out


def validity_shares(validity: dict[str, Validity]) -> dict[str, float]:
    """Shares proportional to each block's AUC above chance, taken at its lower confidence
    bound (0 for a block not clearly above chance). When no block is clearly above chance
    there is no evidence to blend on: text only, which is what the hierarchy used before (its
    text already contains the category words)."""
    excess = {b: max(v.lower - 0.5, 0.0) for b, v in validity.items()}
    total = sum(excess.values())
    if total <= 0:
        return {b: (1.0 if b == "text" else 0.0) for b in validity}
    return {b: e / total for b, e in excess.items()}


def build_item_vectors(
    text: npt.ArrayLike, categories: list[Any] | None, seqs: Sequences | None, n_items: int, *,
    dim: int = 64, seed: int = 0, shares: dict[str, float] | None = None,
) -> tuple[FloatArray, dict[str, Any]]:
    """The whole recipe: the vectors to build the interest hierarchy from.

    1. Validation split: each user's newest item of ``seqs`` (users with 3+ items) is held out;
       collaborative vectors and ``k`` are fitted on the rest; the filled blocks' validity
       (:func:`block_validity`) gives the shares (unless ``shares`` is given, or fewer than
       ``MIN_VALIDATION_USERS`` users can be held out: then text only, as without events).
    2. Collaborative vectors and ``k`` are refitted on all of ``seqs`` and :func:`blend` builds
       the vectors with those shares.

    Args:
        text: ``(n_items, d)`` item text vectors.
        categories: Per item a category string (``"A|B"``, ``"Root > Leaf"``) or None.
        seqs: The users' histories (the caller leaves out whatever it evaluates on), or None.
        n_items: Items (rows of ``text``).
        dim: Collaborative dimensions.
        seed: Seed of the SVDs and of the validation negatives.
        shares: Fixed shares instead of the validated ones.

    Returns:
        ``(vectors, info)``; ``info`` is :func:`blend`'s plus ``validity`` and ``shares_from``.
    """
    category = category_vectors(categories, seed=seed) if categories is not None else None
    info_extra: dict[str, Any] = {}
    chosen = shares
    if seqs is None or len(seqs.items) == 0:
        collab, n_events, k = None, None, float("inf")
        if chosen is None:
            chosen = {"text": 1.0}
    else:
        if chosen is None:
            train, held = drop_last(seqs, min_length=3)
            if len(held.users) >= MIN_VALIDATION_USERS:
                k_val = collaborative_k(train, n_items, dim, seed)
                val_blocks = fill_blocks(text, collaborative_vectors(train, n_items, dim, seed), category,
                                         train.item_counts(n_items), k_val)
                validity = block_validity(val_blocks.blocks, train, held, seed)
                chosen = validity_shares(validity)
                info_extra = {"validity": {b: {"auc": round(v.auc, 4), "se": round(v.se, 4)} for b, v in validity.items()},
                              "validation_users": int(len(held.users)), "validation_k": round(k_val, 3)}
            else:
                chosen = {"text": 1.0}
        collab = collaborative_vectors(seqs, n_items, dim, seed)
        n_events = seqs.item_counts(n_items)
        k = collaborative_k(seqs, n_items, dim, seed)
    vectors, info = blend(text, collab, category, n_events, collab_k=k, shares=chosen)
    info.update(info_extra)
    if shares is not None:
        info["shares_from"] = "given"
    elif "validity" in info_extra and info["blocks"] == ["text"]:
        info["shares_from"] = "validity: no block beat chance on held-out next items, so text only"
    elif "validity" in info_extra:
        info["shares_from"] = "validity: share proportional to held-out next-item AUC above chance"
    else:
        info["shares_from"] = "text only (no events, or too few users to validate on)"
    return vectors, info


# --------------------------------------------------------------------------- number of themes
def theme_bounds(n_fine: int) -> tuple[int, int]:
    """The range the theme count is chosen in: from about sqrt(n_fine) (a balanced tree, as many
    themes as fine interests per theme) to n_fine // 3 (at least 3 fine interests per theme).
    Both are at least 2 (1 for fewer than 4 fine interests)."""
    if n_fine < 4:
        return 1, 1
    hi = max(2, n_fine // 3)
    lo = int(min(hi, max(2, round(np.sqrt(n_fine)))))
    return lo, hi


def choose_n_themes(
    fine_centroids: npt.ArrayLike, n_themes: int | None = None, bounds: tuple[int, int] | None = None,
) -> tuple[int, dict[str, Any]]:
    """How many themes to cut the fine interests into (Ward, as the hierarchy does).

    Within :func:`theme_bounds` the cosine silhouette of the Ward cut is computed for every
    count; the chosen count is the *smallest* whose silhouette is within one standard error of
    the best (the one-standard-error rule). Silhouette of centroids tends to creep up with the
    count in high dimensions (on MovieLens it rose up to any cap), so the maximum alone picks
    the cap; the smallest count statistically as good gives the coarsest tree the data
    supports.

    Args:
        fine_centroids: ``(n_fine, d)`` unit fine-interest centroids.
        n_themes: An override (clipped to ``[1, n_fine]``).
        bounds: ``(lo, hi)`` override of :func:`theme_bounds`.

    Returns:
        ``(n_themes, info)`` with the silhouettes and the rule that decided.
    """
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.metrics import silhouette_samples

    c = np.asarray(fine_centroids, np.float64)
    n_fine = c.shape[0]
    if n_themes is not None:
        return int(min(max(n_themes, 1), n_fine)), {"rule": "given"}
    lo, hi = bounds or theme_bounds(n_fine)
    hi = min(hi, n_fine - 1)
    if hi < 2:
        return max(1, min(lo, n_fine)), {"rule": "too few fine interests"}
    lo = min(lo, hi)
    scores: dict[int, tuple[float, float]] = {}
    for k in range(lo, hi + 1):
        labels = AgglomerativeClustering(n_clusters=k, linkage="ward").fit_predict(c)
        s = silhouette_samples(c, labels, metric="cosine")
        scores[k] = (float(s.mean()), float(s.std() / np.sqrt(len(s))))
    best = max(scores, key=lambda k: (scores[k][0], -k))
    floor = scores[best][0] - scores[best][1]
    chosen = min(k for k in scores if scores[k][0] >= floor)
    return chosen, {"rule": "smallest count within 1 SE of the best silhouette", "bounds": (lo, hi),
                    "best": best, "silhouettes": {k: round(v[0], 4) for k, v in scores.items()}}
