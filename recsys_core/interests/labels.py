"""Labels that say what an interest's members share, from the fields that describe items.

A *descriptor* is something several items can have in common:

- a **category** label or path prefix (``"Comedy"``, ``"Kitchen"``, ``"Kitchen > Knives"``);
- a **decade** for dated items (a year in the title such as ``"Heat (1995)"``, or a ``year``
  attribute): ``"1990s"``;
- a **word** of the title or description, lower-cased, alphabetic, not a stop word, found in at
  least :data:`MIN_ITEMS_PER_WORD` items of the catalogue *and* of the node, so a proper name
  that occurs in one or two titles never becomes a label; a token with a digit in it (a code
  such as ``DCL-0055``, a size) is skipped whole.

On equal scores a deeper category path wins ("Knives" over "Home" when every member has both).

A node's label is built from its most characteristic descriptors: each scored by how much more
common it is inside the node than in the catalogue (``share_in * log(share_in / share_all)``,
the node's contribution to the descriptor's KL divergence), kept only when at least
:data:`MIN_SHARE` of the members have it and it is at least :data:`MIN_LIFT` times as common
as in the catalogue. Category descriptors come first (what the catalogue itself says), then the
decade, then one word: ``"Horror · 1980s · dead"``. A node none of whose descriptors qualify
keeps its top words, and one with nothing at all is called ``"fine 12"``.

When the build can embed text, :func:`most_distinct` then picks, among the rule's label, its
one-descriptor extensions and the combinations of the node's best descriptors, the label that
sits most clearly nearer its own members' titles than any other node's (two "Drama · 1990s"
nodes become "Drama · 1990s · war" and "Drama · 1990s · love"), each of its descriptors still
carried by :data:`MIN_SHARE_CANDIDATE` of the members.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np
import numpy.typing as npt

from recsys_core.interests.item_space import category_tokens

MIN_ITEMS_PER_WORD = 3  # a word in fewer items is a name or a code, not something members share
MIN_SHARE = 0.25  # at least this share of a node's members must carry a descriptor it is named by
MIN_LIFT = 1.5  # and it must be this many times as common in the node as in the catalogue
# a candidate label (most_distinct's pool) may add descriptors carried by this share of members
MIN_SHARE_CANDIDATE = 0.10
MAX_CATEGORIES = 2
COMBINED_FROM = 12  # a node's best-scored descriptors whose combinations are candidate labels
COMBINED_MAX = 3  # descriptors in a combined candidate
_YEAR_IN_TITLE = re.compile(r"\((1[89]\d\d|20\d\d)\)\s*$")
_SEGMENTS = re.compile(r"\s*(?:[|;>/»›\\])\s*")
_DIGIT = re.compile(r"\d")
_WORD = re.compile(r"(?u)\b[^\W\d_]{3,}\b")
_INNER_ASIDE = re.compile(r"\s*\([^()]*\)(?=.*\()")  # a bracketed aside that another one follows
EXEMPLAR_CHARS = 60  # a title longer than this is cut in a label


@dataclass(frozen=True, slots=True)
class Descriptors:
    """Which items carry which descriptor.

    Attributes:
        names: Display form of each descriptor (``"Comedy"``, ``"1990s"``, ``"knife"``).
        kinds: ``"category"``, ``"decade"`` or ``"word"`` per descriptor.
        keys: Matching key per descriptor (a category token keeps its path: ``"home > kitchen"``).
        matrix: ``(n_items, n_descriptors)`` binary CSR matrix.
    """

    names: list[str]
    kinds: list[str]
    keys: list[str]
    matrix: Any

    @property
    def n_items(self) -> int:
        return int(self.matrix.shape[0])


def year_of(title: object, attributes: object = None) -> int | None:
    """The year of a dated item: a ``year`` attribute, else a ``(1995)`` at the end of the title."""
    if isinstance(attributes, dict):
        y = attributes.get("year")
        try:
            if y is not None and 1800 <= int(y) <= 2100:
                return int(y)
        except (TypeError, ValueError):
            pass
    if isinstance(title, str) and (m := _YEAR_IN_TITLE.search(title.strip())):
        return int(m.group(1))
    return None


def _display_category(token: str, spelled: dict[str, str]) -> str:
    """The last segment of a path token, in the catalogue's own spelling."""
    last = token.rsplit(" > ", 1)[-1]
    return spelled.get(last, last.title())


def item_descriptors(
    titles: list[Any], texts: list[Any], categories: list[Any], years: list[int | None] | None = None,
) -> Descriptors:
    """The descriptors of every item (see the module docstring)."""
    from scipy.sparse import csr_matrix
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    n = len(titles)
    keys: list[str] = []
    names: list[str] = []
    kinds: list[str] = []
    index: dict[tuple[str, str], int] = {}
    rows: list[int] = []
    cols: list[int] = []

    def add(item: int, kind: str, key: str, name: str) -> None:
        col = index.get((kind, key))
        if col is None:
            col = index[(kind, key)] = len(keys)
            keys.append(key)
            names.append(name)
            kinds.append(kind)
        rows.append(item)
        cols.append(col)

    spelled: dict[str, str] = {}  # the catalogue's own spelling of each label / path segment
    for cat in categories:
        if isinstance(cat, str):
            for part in _SEGMENTS.split(cat):
                if part.strip():
                    spelled.setdefault(part.strip().lower(), part.strip())
    word_items: dict[str, set[int]] = {}
    for i in range(n):
        for token in category_tokens(categories[i]):
            add(i, "category", token, _display_category(token, spelled))
        year = years[i] if years is not None else year_of(titles[i])
        if year is not None:
            decade = year // 10 * 10
            add(i, "decade", str(decade), f"{decade}s")
        words: set[str] = set()
        for field in (titles[i], texts[i]):
            if isinstance(field, str):  # a token with a digit is a code or a number ("DCL-0055"), skipped whole
                words.update(w.lower() for tok in field.split() if not _DIGIT.search(tok) for w in _WORD.findall(tok))
        for w in words - ENGLISH_STOP_WORDS:
            word_items.setdefault(w, set()).add(i)
    category_words = {k for k, kind in zip(keys, kinds, strict=True) if kind == "category"}
    for w in sorted(word_items):
        members = word_items[w]
        if len(members) >= MIN_ITEMS_PER_WORD and w not in category_words:
            for i in sorted(members):
                add(i, "word", w, w)
    matrix = csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(n, len(keys)))
    matrix.data[:] = 1.0
    return Descriptors(names, kinds, keys, matrix)


def node_descriptor_scores(
    desc: Descriptors, members_of: npt.ArrayLike, n_nodes: int,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """Per node and descriptor: (score, share of members, lift over the catalogue, member counts)."""
    from scipy.sparse import csr_matrix

    members = np.asarray(members_of, dtype=np.int64)
    n = desc.n_items
    assign = csr_matrix((np.ones(n, np.float64), (members, np.arange(n))), shape=(n_nodes, n))
    counts = np.asarray((assign @ desc.matrix).todense(), dtype=np.float64)  # (n_nodes, n_desc)
    sizes = np.bincount(members, minlength=n_nodes).astype(np.float64)
    share_in = counts / np.maximum(sizes[:, None], 1.0)
    share_all = np.asarray(desc.matrix.sum(axis=0), dtype=np.float64).ravel() / max(n, 1)
    lift = share_in / np.maximum(share_all[None, :], 1e-12)
    with np.errstate(divide="ignore", invalid="ignore"):
        score = np.where(share_in > 0, share_in * np.log(np.maximum(lift, 1e-12)), 0.0)
    return score, share_in, lift, counts.astype(np.int64)


def _related_paths(a: str, b: str) -> bool:
    """One category token is a path prefix of the other (``home`` and ``home > kitchen``)."""
    return a == b or a.startswith(b + " > ") or b.startswith(a + " > ")


@dataclass(frozen=True, slots=True)
class NodeLabel:
    """A node's label by the rule (None when no descriptor qualifies), its keywords (best-scored
    descriptors of any kind, for search and the LLM's prompt), and the candidate labels
    :func:`most_distinct` may choose from instead: the rule's label extended by one more of
    the node's characteristic descriptors."""

    label: str | None
    keywords: list[str]
    candidates: list[str]


def _words(name: str) -> set[str]:
    """Lower-case words of a name, a trailing plural "s" dropped ("Books" and "book" are one word)."""
    return {w[:-1] if len(w) > 3 and w.endswith("s") else w for w in _WORD.findall(name.lower())}


def _join(desc: Descriptors, chosen: list[int]) -> str:
    order = {"category": 0, "decade": 1, "word": 2}
    return " · ".join(desc.names[j] for j in sorted(chosen, key=lambda j: order[desc.kinds[j]]))


def _compatible(desc: Descriptors, chosen: list[int]) -> bool:
    """Descriptors that can stand in one label: at most one decade, never a category path and
    its own prefix, no word said twice ("Books · book")."""
    if sum(desc.kinds[j] == "decade" for j in chosen) > 1:
        return False
    for a, b in combinations(chosen, 2):
        if desc.kinds[a] == desc.kinds[b] == "category" and _related_paths(desc.keys[a], desc.keys[b]):
            return False
        if _words(desc.names[a]) & _words(desc.names[b]):
            return False
    return True


def descriptor_labels(
    desc: Descriptors, members_of: npt.ArrayLike, n_nodes: int, n_keywords: int = 4, n_extensions: int = 8,
    n_combined: int = COMBINED_FROM, max_combined: int = COMBINED_MAX,
) -> list[NodeLabel]:
    """Per node, its :class:`NodeLabel`.

    The label joins the qualifying descriptors (module docstring) with " · ": at most
    :data:`MAX_CATEGORIES` categories (never a path and its own prefix), one decade and one
    word. The candidates add one of the node's ``n_extensions`` best-scored other descriptors,
    then every compatible combination of 2 to ``max_combined`` of its ``n_combined`` best-scored
    descriptors: the pool :func:`most_distinct` searches for the label that tells this node from
    the others. Every descriptor of a candidate is carried by at least :data:`MIN_SHARE_CANDIDATE` of the
    node's members (and a word by :data:`MIN_ITEMS_PER_WORD` of them), so the search cannot name
    a node after a word of a few of its titles.
    """
    if desc.matrix.shape[1] == 0:
        return [NodeLabel(None, [], []) for _ in range(n_nodes)]
    score, share_in, lift, counts = node_descriptor_scores(desc, members_of, n_nodes)
    kinds = np.array(desc.kinds)
    depth = np.array([k.count(" > ") if kind == "category" else 0 for k, kind in zip(desc.keys, desc.kinds, strict=True)])
    word_ok = (kinds != "word") | (counts >= MIN_ITEMS_PER_WORD)
    out: list[NodeLabel] = []
    for node in range(n_nodes):
        order = np.lexsort((np.arange(score.shape[1]), -depth, -np.round(score[node], 12)))
        good = [j for j in order if score[node, j] > 0 and word_ok[node, j]]
        keywords = [desc.names[j] for j in good[:n_keywords]]
        qualifying = [j for j in good if share_in[node, j] >= MIN_SHARE and lift[node, j] >= MIN_LIFT]
        chosen: list[int] = []
        for kind, limit in (("category", MAX_CATEGORIES), ("decade", 1), ("word", 1)):
            picked = 0
            for j in qualifying:
                if picked >= limit:
                    break
                if desc.kinds[j] != kind:
                    continue
                if kind == "category" and any(_related_paths(desc.keys[j], desc.keys[c]) for c in chosen
                                              if desc.kinds[c] == "category"):
                    continue
                if any(_words(desc.names[j]) & _words(desc.names[c]) for c in chosen):
                    continue  # "Books · book" says nothing twice
                chosen.append(j)
                picked += 1
        label = _join(desc, chosen) if chosen else None
        candidates = [label] if label else []
        # a candidate names only what one member in ten has at least: a title word of 3 films
        # in 100 tells the node from its neighbours but is not what its members share
        common = [j for j in good if share_in[node, j] >= MIN_SHARE_CANDIDATE]
        for j in common[:n_extensions]:
            if j in chosen or any(_words(desc.names[j]) & _words(desc.names[c]) for c in chosen) or len(chosen) >= 4:
                continue
            if desc.kinds[j] == "decade" and any(desc.kinds[c] == "decade" for c in chosen):
                continue
            if desc.kinds[j] == "category" and any(_related_paths(desc.keys[j], desc.keys[c]) for c in chosen
                                                   if desc.kinds[c] == "category"):
                continue
            candidates.append(_join(desc, [*chosen, j]))
        pool = common[:n_combined]
        for k in range(2, max_combined + 1):
            candidates += [_join(desc, list(c)) for c in combinations(pool, k) if _compatible(desc, list(c))]
        out.append(NodeLabel(label, keywords, list(dict.fromkeys(candidates))))
    return out


def short_title(title: str) -> str:
    """A title as a label quotes it: asides dropped but the last ("Bicycle Thieves (a.k.a. The
    Bicycle Thief) (1948)" -> "Bicycle Thieves (1948)"), cut to :data:`EXEMPLAR_CHARS`."""
    short = _INNER_ASIDE.sub("", title).strip()
    return short if len(short) <= EXEMPLAR_CHARS else short[: EXEMPLAR_CHARS - 1].rstrip() + "…"


def most_distinct(
    candidates: list[list[str]], centroids: npt.ArrayLike, embed: Callable[[list[str]], npt.NDArray[np.float32]],
    exemplars: list[str] | None = None,
) -> list[str | None]:
    """Per node, the first of its candidates (simplest first: the rule's label, its extensions,
    then combinations) that sits nearer its own members than any other node's, in the sentence
    encoder's space: margin ``cos(name, own centroid) - max cos(name, other centroid)`` above 0
    (``centroids``: the members' mean title vectors, the text every catalogue has and analysts
    read in every list). A node none of whose candidates manages that takes the one with the
    largest margin. No two nodes get the same label (the node whose choice is clearest keeps it,
    the other takes its next; one left with none says which of its members it is like, from
    ``exemplars``, else its number). None for a node without candidates."""
    cents = np.asarray(centroids, dtype=np.float32)
    cents = cents / np.maximum(np.linalg.norm(cents, axis=1, keepdims=True), 1e-12)
    unique = sorted({c for cc in candidates for c in cc})
    if not unique:
        return [None] * len(candidates)
    vecs = np.asarray(embed(unique), dtype=np.float32)
    vecs = vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
    sims = vecs @ cents.T
    row = {c: k for k, c in enumerate(unique)}
    ranked: list[list[tuple[float, int, str]]] = []  # per node: (margin, candidate position, label), best first
    for node, cands in enumerate(candidates):
        s = sims[[row[c] for c in cands]] if cands else np.zeros((0, sims.shape[1]), np.float32)
        others = np.delete(s, node, axis=1)
        margin = s[:, node] - (others.max(axis=1) if others.shape[1] else 0.0)
        # the first candidate (simplest: the rule's label, then longer ones) that is nearer its
        # own members than any other node's; when none is, the one that comes closest
        ranked.append(sorted(((float(m), k, c) for k, (m, c) in enumerate(zip(margin, cands, strict=True))),
                             key=lambda t: (0, t[1]) if t[0] > 0 else (1, -t[0], t[1])))
    # no two nodes share a label: the node whose best label is clearest takes it, the others
    # their next best; a node left with none takes its best label and a member it is like
    out: list[str | None] = [None] * len(candidates)
    taken: set[str] = set()
    for node in sorted(range(len(candidates)), key=lambda i: -(ranked[i][0][0] if ranked[i] else -np.inf)):
        if not ranked[node]:
            continue
        free = [c for _, _, c in ranked[node] if c not in taken]
        best = ranked[node][0][2]
        out[node] = free[0] if free else (f"{best} · like {short_title(exemplars[node])}"
                                          if exemplars and exemplars[node] else f"{best} ({node})")
        taken.add(out[node])  # type: ignore[arg-type]
    return out
