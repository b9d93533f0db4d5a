"""Measure the quality of a built database's interest hierarchy, next to two reference partitions.

Run: python bench/interests.py --db PATH [--labels movielens|sample|auto] [--json]

Reads the database (read-only: nothing is written, not even the vector cache) and prints one
row per partition of its items:

- engine: the hierarchy the build's code makes (``training.build_hierarchy``: text, behaviour
  and categories blended, descriptor labels), refitted here on the histories less each user's
  newest item, so the behaviour it blends never saw the item coherence asks about;
- text only: k-means of the item text vectors into as many fine clusters, themes = k-means of
  the fine centroids into as many themes;
- co-occurrence only: k-means (same sizes) of L2-normalised TruncatedSVD item vectors of the
  user x item binary matrix. The matrix leaves out each scored user's newest item, the one
  coherence asks about, so the row is not fitted on its own answers.

Columns:

- agreement: NMI (sklearn ``normalized_mutual_info_score``) of fine interests and of themes
  against the catalogue's labels: on MovieLens the first listed genre of each film, on the
  shipped sample the planted fine interest and theme (``sample_data/truth/items.csv``).
- coherence: share of users (2+ distinct items) whose newest item lies in one of the 3 fine
  interests most frequent in the rest of their history, and the lift of that share over the
  same share for a random permutation of the item -> fine interest assignment (same sizes;
  mean of 5 seeds). A history keeps each item once, at its first event, as the build does.
- label fidelity (engine only): each fine interest's label and the mean title vector of its members,
  both from the same sentence encoder; the share of names whose nearest centroid (cosine) is
  their own interest's.

The header also counts the engine's labels with a part (category, decade or word) that fewer
than 10% / 25% of the interest's members carry: fidelity alone rewards a rare title word, which
sits nearest its own few titles without being what the members share.

The header also gives the label fidelity of the names the database's newest build shows (an
analyst's or the LLM's name from ``interest_names``, else its label), on that build's partition.

Vectors come through the project's embedder (``RecsysEngine.embedder``, the packaged
all-MiniLM-L6-v2 unless ``--embedding-model``/``RECSYS_EMBEDDING_MODEL`` say otherwise) and its
DuckDB cache (``embed_cached``): item texts are cached by the build; titles and names usually
are not, and are embedded on every run since the database is opened read-only. Nothing is
downloaded (``HF_HUB_OFFLINE=1``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import numpy.typing as npt  # noqa: E402
import pandas as pd  # noqa: E402

TOP_K = 3
RANDOM_SEEDS = (0, 1, 2, 3, 4)

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float32]


# ---------------------------------------------------------------------------------- pure metrics
def first_genre(category: object) -> str | None:
    """The first label of a ``"A|B|C"`` category (MovieLens genres); None when there is none."""
    if not isinstance(category, str):
        return None
    head = category.split("|", 1)[0].strip()
    return head or None


def agreement(found: IntArray | list[Any], truth: list[Any]) -> float:
    """NMI of a found partition against known labels (same item order); items whose label is
    None are left out. 1.0 = the same partition up to renaming, about 0 = unrelated."""
    from sklearn.metrics import normalized_mutual_info_score

    keep = [k for k, t in enumerate(truth) if t is not None]
    if not keep:
        return float("nan")
    found_arr = np.asarray(found)[keep]
    return float(normalized_mutual_info_score([truth[k] for k in keep], found_arr))


def histories_from_events(events: pd.DataFrame, item_index: dict[str, int]) -> list[IntArray]:
    """Per user, the distinct items oldest first, each at its first event (the build's convention).

    Args:
        events: Columns user_id, item_id, occurred_at. Events on items missing from
            ``item_index`` are ignored.
        item_index: item id -> row.

    Returns:
        One array of rows per user (users in id order); same-time items in row order.
    """
    if events.empty:
        return []
    frame = pd.DataFrame({"user_id": events["user_id"].astype(str),
                          "item": events["item_id"].astype(str).map(item_index),
                          "at": pd.to_datetime(events["occurred_at"], utc=True)})
    frame = frame.dropna(subset=["item"])
    frame["item"] = frame["item"].astype(np.int64)
    first = frame.groupby(["user_id", "item"], sort=False)["at"].min().reset_index()
    first = first.sort_values(["user_id", "at", "item"], kind="stable")
    return [g.to_numpy(np.int64) for _, g in first.groupby("user_id", sort=True)["item"]]


def top_clusters(clusters: IntArray, k: int = TOP_K) -> IntArray:
    """The ``k`` most frequent values of ``clusters`` (a history, oldest first); ties go to the
    value seen most recently."""
    values, first_from_end, counts = np.unique(clusters[::-1], return_index=True, return_counts=True)
    order = np.lexsort((first_from_end, -counts))  # most frequent first, then most recent
    return values[order[:k]].astype(np.int64)


def top_k_hit_share(histories: list[IntArray], cluster_of_item: IntArray, k: int = TOP_K) -> tuple[float, int]:
    """Share of users whose newest item's cluster is among the ``k`` most frequent clusters of
    the rest of their history; users with fewer than 2 items are skipped.

    Returns:
        ``(share, users scored)``; share is NaN when no user has 2 items.
    """
    hits = scored = 0
    for items in histories:
        if len(items) < 2:
            continue
        clusters = cluster_of_item[items]
        scored += 1
        hits += int(clusters[-1] in top_clusters(clusters[:-1], k))
    return (hits / scored if scored else float("nan")), scored


def coherence_users(histories: list[IntArray]) -> int:
    """Users coherence scores: those with at least 2 distinct items."""
    return sum(1 for h in histories if len(h) >= 2)


@dataclass(frozen=True, slots=True)
class Coherence:
    """Behavioural coherence of a partition: ``share`` of newest items in the top-k clusters of
    the rest of the history, the same share for random partitions of the same sizes, and their
    ratio ``lift`` (1 = no better than chance)."""

    share: float
    random_share: float
    lift: float
    n_users: int
    random_shares: list[float] = field(default_factory=list)


def coherence_lift(
    histories: list[IntArray], cluster_of_item: IntArray, k: int = TOP_K, seeds: tuple[int, ...] = RANDOM_SEEDS
) -> Coherence:
    """Top-k hit share of ``cluster_of_item`` divided by the mean share of random permutations
    of it (each seed one permutation, so cluster sizes stay the same)."""
    cluster_of_item = np.asarray(cluster_of_item, dtype=np.int64)
    share, n_users = top_k_hit_share(histories, cluster_of_item, k)
    randoms = [top_k_hit_share(histories, np.random.default_rng(s).permutation(cluster_of_item), k)[0]
               for s in seeds]
    random_share = float(np.mean(randoms)) if randoms else float("nan")
    lift = share / random_share if random_share > 0 else float("nan")
    return Coherence(share, random_share, lift, n_users, randoms)


def normalise_rows(x: npt.ArrayLike) -> FloatArray:
    """Rows scaled to unit length (zero rows stay zero)."""
    arr = np.asarray(x, dtype=np.float32)
    return (arr / np.maximum(np.linalg.norm(arr, axis=1, keepdims=True), 1e-12)).astype(np.float32)


def cluster_centroids(vectors: npt.ArrayLike, labels: IntArray, n_clusters: int) -> FloatArray:
    """Unit-length mean vector of each cluster's members (a zero row for an empty cluster):
    the engine's own :func:`recsys_core.interests.hierarchy.member_centroids`."""
    from recsys_core.interests.hierarchy import member_centroids

    return member_centroids(vectors, labels, n_clusters)


def label_fidelity(name_vecs: npt.ArrayLike, centroid_vecs: npt.ArrayLike) -> float:
    """Top-1 share: row ``i`` of ``name_vecs`` (interest i's name) is closest, by cosine, to row
    ``i`` of ``centroid_vecs`` (interest i's members) among all centroids."""
    names, cents = normalise_rows(name_vecs), normalise_rows(centroid_vecs)
    if names.shape[0] == 0:
        return float("nan")
    nearest = np.argmax(names @ cents.T, axis=1)
    return float(np.mean(nearest == np.arange(names.shape[0])))


def label_part_shares(labels: list[str], fine_of_item: npt.ArrayLike, titles: list[Any], texts: list[Any],
                      categories: list[Any]) -> list[float | None]:
    """Per fine interest, the smallest share of its members that carries a part of its label
    (a category, decade or word, :mod:`recsys_core.interests.labels`); a "like <title>" part and
    parts that are no descriptor are not counted; None when no part is one."""
    from recsys_core.interests.labels import item_descriptors, node_descriptor_scores

    desc = item_descriptors(titles, texts, categories)
    _, share_in, _, _ = node_descriptor_scores(desc, fine_of_item, len(labels))
    column: dict[str, int] = {}
    for j, name in enumerate(desc.names):
        column.setdefault(name, j)
    out: list[float | None] = []
    for node, label in enumerate(labels):
        parts = [column[p] for p in label.split(" · ") if not p.startswith("like ") and p in column]
        out.append(float(min(share_in[node, j] for j in parts)) if parts else None)
    return out


def kmeans_levels(vectors: npt.ArrayLike, n_fine: int, n_themes: int, seed: int = 0) -> tuple[IntArray, IntArray]:
    """Fine clusters = k-means of the unit vectors; themes = k-means of the fine centroids.

    Returns:
        ``(fine_of_item, theme_of_fine)``.
    """
    from sklearn.cluster import KMeans

    x = normalise_rows(vectors)
    fine = KMeans(n_clusters=n_fine, random_state=seed, n_init=4).fit_predict(x).astype(np.int64)
    cents = cluster_centroids(x, fine, n_fine)
    if n_themes <= 1:
        return fine, np.zeros(n_fine, dtype=np.int64)
    themes = KMeans(n_clusters=min(n_themes, n_fine), random_state=seed, n_init=4).fit_predict(cents)
    return fine, themes.astype(np.int64)


def cooccurrence_vectors(histories: list[IntArray], n_items: int, dim: int = 64, seed: int = 0) -> FloatArray:
    """Item vectors from who-saw-what: TruncatedSVD of the binary user x item matrix (items as
    rows), L2-normalised. Items nobody saw get a zero vector."""
    from scipy.sparse import csr_matrix
    from sklearn.decomposition import TruncatedSVD

    rows = np.concatenate([np.full(len(h), u, dtype=np.int64) for u, h in enumerate(histories)]) \
        if histories else np.zeros(0, np.int64)
    cols = np.concatenate(histories) if histories else np.zeros(0, np.int64)
    x = csr_matrix((np.ones(len(cols), np.float32), (cols, rows)), shape=(n_items, max(len(histories), 1)))
    x.data[:] = 1.0  # duplicates summed by the constructor stay binary
    k = max(1, min(dim, min(x.shape) - 1))
    return normalise_rows(TruncatedSVD(n_components=k, random_state=seed).fit_transform(x))


def without_newest(histories: list[IntArray]) -> list[IntArray]:
    """Histories with the newest item of every 2+ item history removed (what coherence scores)."""
    return [h[:-1] if len(h) >= 2 else h for h in histories]


# ---------------------------------------------------------------------------------- reading a build
@dataclass(slots=True)
class BuildData:
    """What the benchmark reads from the database; items in the build's matrix order."""

    build_id: int
    embedding_model: str
    item_ids: list[str]
    titles: list[str]
    embed_texts: list[str]
    categories: list[Any]
    fine_of_item: IntArray
    theme_of_fine: IntArray
    shown_names: list[str]
    keyword_labels: list[str]
    n_named: int
    sizes: IntArray
    events: pd.DataFrame
    imports: pd.DataFrame
    dropped_items: int


def read_build(store: Any) -> BuildData:
    """The newest build's hierarchy, names, catalogue and events from an open store."""
    from recsys_core.data.builds import latest_build, load_interest_names
    from recsys_core.data.frames import load_catalogue, load_events

    build = latest_build(store)
    if build is None:
        raise SystemExit("the database has no build yet: run `python -m recsys_core build` first")
    with store.cursor() as cur:
        placed = cur.execute("SELECT item_id, position, fine_id, theme_id FROM item_interests "
                             "WHERE build_id = ? ORDER BY position", [build.build_id]).df()
        nodes = cur.execute("SELECT level, node_id, parent_id, label, size FROM interest_nodes "
                            "WHERE build_id = ? ORDER BY level, node_id", [build.build_id]).df()
        imports = cur.execute("SELECT import_id, kind, source FROM imports ORDER BY import_id").df()
    catalogue = load_catalogue(store).set_index("item_id")
    present = placed["item_id"].isin(catalogue.index)
    placed = placed[present].reset_index(drop=True)  # items deleted since the build have no text
    cat = catalogue.loc[placed["item_id"]]
    fine_nodes = nodes[nodes["level"] == "fine"].sort_values("node_id")
    n_fine = int(fine_nodes["node_id"].max()) + 1
    theme_of_fine = np.zeros(n_fine, dtype=np.int64)
    theme_of_fine[fine_nodes["node_id"].to_numpy(np.int64)] = fine_nodes["parent_id"].to_numpy(np.int64)
    keyword = [""] * n_fine
    for node, label in zip(fine_nodes["node_id"], fine_nodes["label"], strict=True):
        keyword[int(node)] = str(label)
    names = load_interest_names(store, build.build_id)
    shown = [names.get(("fine", f), keyword[f]) for f in range(n_fine)]
    fine = placed["fine_id"].to_numpy(np.int64)
    return BuildData(
        build_id=build.build_id, embedding_model=build.embedding_model,
        item_ids=placed["item_id"].astype(str).tolist(), titles=cat["title"].astype(str).tolist(),
        embed_texts=cat["embed_text"].tolist(), categories=cat["category"].tolist(),
        fine_of_item=fine, theme_of_fine=theme_of_fine, shown_names=shown, keyword_labels=keyword,
        n_named=sum(1 for f in range(n_fine) if ("fine", f) in names),
        sizes=np.bincount(fine, minlength=n_fine), events=load_events(store, include_live=True),
        imports=imports, dropped_items=int((~present).sum()))


def choose_labels(requested: str, imports: pd.DataFrame) -> str:
    """``auto``: the kind of the newest MovieLens or sample import, else ``none``."""
    if requested != "auto":
        return requested
    kinds = [k for k in imports["kind"].tolist() if k in ("movielens", "sample")]
    return kinds[-1] if kinds else "none"


def sample_truth_path(imports: pd.DataFrame, explicit: str | None) -> Path:
    """The truth file beside the imported sample's items.csv, else the project's sample_data."""
    if explicit:
        return Path(explicit)
    rows = imports[imports["kind"] == "sample"]
    if len(rows):
        first_file = Path(str(rows["source"].iloc[-1]).split(", ")[0])
        candidate = first_file.parent / "truth" / "items.csv"
        if candidate.exists():
            return candidate
    return ROOT / "sample_data" / "truth" / "items.csv"


def catalogue_labels(data: BuildData, kind: str, truth_file: str | None) -> tuple[list[Any], list[Any], str]:
    """(fine truth, theme truth, description) per item; None where an item has no label."""
    if kind == "movielens":
        genres = [first_genre(c) for c in data.categories]
        return genres, genres, "first listed genre (items.category)"
    if kind == "sample":
        path = sample_truth_path(data.imports, truth_file)
        truth = pd.read_csv(path, dtype=str).set_index("item_id")
        joined = truth.reindex(data.item_ids)
        covered = int(joined["fine_interest"].notna().sum())
        if covered < len(data.item_ids) / 2:
            raise SystemExit(f"{path} labels only {covered} of {len(data.item_ids)} items: not this catalogue's truth")
        fine = [v if isinstance(v, str) else None for v in joined["fine_interest"]]
        theme = [v if isinstance(v, str) else None for v in joined["theme"]]
        return fine, theme, f"planted fine_interest / theme ({path})"
    return [None] * len(data.item_ids), [None] * len(data.item_ids), "none"


# ---------------------------------------------------------------------------------- the run
def _row(name: str, fine: IntArray, theme_of_fine: IntArray, fine_truth: list[Any], theme_truth: list[Any],
         histories: list[IntArray], fidelity: float | None) -> dict[str, Any]:
    has_labels = any(t is not None for t in fine_truth)
    coh = coherence_lift(histories, fine)
    return {
        "partition": name,
        "n_fine": int(len(np.unique(fine))), "n_themes": int(len(np.unique(theme_of_fine[fine]))),
        "nmi_fine": agreement(fine, fine_truth) if has_labels else None,
        "nmi_theme": agreement(theme_of_fine[fine], theme_truth) if has_labels else None,
        "top3_share": coh.share, "random_top3_share": coh.random_share, "lift": coh.lift,
        "random_top3_shares": [round(s, 4) for s in coh.random_shares],
        "label_top1": fidelity,
    }


def run(db: Path, labels: str, truth_file: str | None, embedding_model: str | None,
        svd_dim: int, seed: int) -> dict[str, Any]:
    from dataclasses import replace

    from recsys_core.config import RecsysConfig
    from recsys_core.data.store import Store
    from recsys_core.embeddings.cache import embed_cached
    from recsys_core.engine import RecsysEngine
    from recsys_core.interests.sequences import drop_last
    from recsys_core.training import build_hierarchy, take_snapshot

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    config = RecsysConfig.from_env().with_db(db)
    if embedding_model:
        config = replace(config, embedding=replace(config.embedding, model=embedding_model))
    embedder = RecsysEngine(config).embedder  # the project's factory; the engine's store is never opened
    if not db.exists():
        raise SystemExit(f"no database at {db}")
    with Store(db, read_only=True, config=config.store) as store:
        data = read_build(store)
        if data.embedding_model != embedder.name:
            raise SystemExit(f"build {data.build_id} was made with {data.embedding_model!r} but the benchmark's encoder "
                             f"is {embedder.name!r}: pass --embedding-model {data.embedding_model}")
        snapshot = take_snapshot(store, embedder, include_live=True, what="measure interests")
        timings["read"] = time.perf_counter() - t0
        cat = snapshot.catalogue
        item_ids = cat["item_id"].astype(str).tolist()
        kind = choose_labels(labels, data.imports)
        in_order = replace(data, item_ids=item_ids, categories=cat["category"].tolist())
        fine_truth, theme_truth, label_source = catalogue_labels(in_order, kind, truth_file)

        t = time.perf_counter()
        text_vecs = snapshot.features.text
        title_vecs, new_titles = embed_cached(store, embedder, cat["title"].astype(str).tolist())
        build_name_vecs, new_names = embed_cached(store, embedder, data.shown_names)
        build_titles, _ = embed_cached(store, embedder, data.titles)
        timings["embedding"] = time.perf_counter() - t

        # the engine's hierarchy, refitted by the build's own code on the histories less each
        # user's newest item: coherence asks about that item, so the behaviour blended into the
        # item vectors must not have seen it
        t = time.perf_counter()
        seqs = snapshot.sequences
        history, _ = drop_last(seqs, min_length=2)
        hierarchy = build_hierarchy(config, snapshot, history)
        timings["engine hierarchy"] = time.perf_counter() - t
        fine_nodes = hierarchy.nodes_[hierarchy.nodes_["level"] == "fine"].sort_values("node_id")
        labels_shown = fine_nodes["label"].astype(str).tolist()
        label_vecs, new_labels = embed_cached(store, embedder, labels_shown)

    # per user, the distinct items oldest first (what histories_from_events makes of the events)
    histories = [snapshot.sequences.user(u)[0] for u in range(len(snapshot.sequences))]
    fine_of_item, theme_of_fine = hierarchy.fine_of_item_, hierarchy.theme_of_fine_
    n_fine, n_themes = len(theme_of_fine), int(theme_of_fine.max()) + 1

    t = time.perf_counter()
    fidelity = label_fidelity(label_vecs, cluster_centroids(title_vecs, fine_of_item, n_fine))
    part_shares = label_part_shares(labels_shown, fine_of_item, cat["title"].tolist(), cat["text"].tolist(),
                                    cat["category"].tolist())
    rows = [_row("engine", fine_of_item, theme_of_fine, fine_truth, theme_truth, histories, fidelity)]
    timings["engine row"] = time.perf_counter() - t

    t = time.perf_counter()
    fine, text_theme_of_fine = kmeans_levels(text_vecs, n_fine, n_themes, seed)
    rows.append(_row("text only", fine, text_theme_of_fine, fine_truth, theme_truth, histories, None))
    timings["text-only row"] = time.perf_counter() - t

    t = time.perf_counter()
    co_vecs = cooccurrence_vectors(without_newest(histories), len(item_ids), svd_dim, seed)
    fine, co_theme_of_fine = kmeans_levels(co_vecs, n_fine, n_themes, seed)
    rows.append(_row("co-occurrence only", fine, co_theme_of_fine, fine_truth, theme_truth, histories, None))
    timings["co-occurrence row"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0

    build_n_fine = len(data.theme_of_fine)
    build_fidelity = label_fidelity(build_name_vecs, cluster_centroids(build_titles, data.fine_of_item, build_n_fine))
    sizes = np.bincount(fine_of_item, minlength=n_fine)
    largest = np.argsort(-sizes, kind="stable")[:5]
    return {
        "db": str(db), "build_id": data.build_id, "embedding_model": data.embedding_model,
        "labels": kind, "label_source": label_source,
        "labelled_items": sum(1 for v in fine_truth if v is not None),
        "n_label_values": {"fine": len({v for v in fine_truth if v is not None}),
                           "theme": len({v for v in theme_truth if v is not None})},
        "n_items": len(item_ids),
        "n_fine": n_fine, "n_themes": n_themes, "fine_per_theme": n_fine / n_themes,
        "themes_chosen_by": hierarchy.theme_choice_.get("rule"),
        "item_space": {k: v for k, v in hierarchy.space_info_.items() if k in ("blocks", "shares", "shares_from",
                                                                                "validity", "collab_k")},
        "example_names": [{"fine_id": int(f), "name": labels_shown[f], "size": int(sizes[f])} for f in largest],
        "label_part_shares": {"under_0.10": sum(1 for v in part_shares if v is not None and v < 0.10),
                              "under_0.25": sum(1 for v in part_shares if v is not None and v < 0.25),
                              "smallest": min((v for v in part_shares if v is not None), default=None),
                              "like_a_member": sum(" · like " in lab for lab in labels_shown)},
        "build": {"n_fine": build_n_fine, "named_fine_interests": data.n_named, "label_top1": build_fidelity,
                  "example_names": data.shown_names[:5]},
        "users_scored": coherence_users(histories),
        "newly_embedded": {"titles": new_titles, "build names": new_names, "engine labels": new_labels},
        "svd_dim": svd_dim, "seed": seed, "rows": rows,
        "seconds": {k: round(v, 2) for k, v in timings.items()},
    }


def _fmt(value: float | None, digits: int = 3) -> str:
    return "-" if value is None or (isinstance(value, float) and np.isnan(value)) else f"{value:.{digits}f}"


def format_report(res: dict[str, Any]) -> str:
    """The printed table and its header lines."""
    space = res["item_space"]
    build = res["build"]
    shares = res["label_part_shares"]
    lines = [
        f"database {res['db']} ({res['embedding_model']}), {res['n_items']:,} items, "
        f"{res['users_scored']:,} users with 2+ items",
        f"engine hierarchy (refitted, each user's newest item held out): {res['n_fine']} fine interests, "
        f"{res['n_themes']} themes, {res['fine_per_theme']:.1f} fine per theme ({res['themes_chosen_by']})",
        "item space: " + ", ".join(f"{b} {space['shares'].get(b, 0):.2f}" for b in space.get("blocks", []))
        + f" ({space.get('shares_from')})",
        "example labels (largest fine interests): "
        + "; ".join(f"\"{e['name']}\" ({e['size']})" for e in res["example_names"]),
        f"engine labels with a part fewer than 10% / 25% of the members carry: {shares['under_0.10']} / "
        f"{shares['under_0.25']} of {res['n_fine']} (smallest share {_fmt(shares['smallest'], 2)}); "
        f"{shares['like_a_member']} named after a member",
        f"the database's build {res['build_id']}: {build['n_fine']} fine interests, {build['named_fine_interests']} "
        f"named; label top-1 of its shown names {_fmt(build['label_top1'])}",
        f"labels: {res['label_source']}, {res['labelled_items']:,} items labelled, "
        f"{res['n_label_values']['fine']} fine / {res['n_label_values']['theme']} theme values",
        "",
    ]
    header = ("partition", "NMI fine", "NMI theme", "top-3 share", "random", "lift", "label top-1")
    table = [header] + [
        (r["partition"], _fmt(r["nmi_fine"]), _fmt(r["nmi_theme"]), _fmt(r["top3_share"]),
         _fmt(r["random_top3_share"]), _fmt(r["lift"], 2), _fmt(r["label_top1"]))
        for r in res["rows"]
    ]
    widths = [max(len(row[c]) for row in table) for c in range(len(header))]
    for k, row in enumerate(table):
        lines.append("  ".join(cell.ljust(widths[c]) if c == 0 else cell.rjust(widths[c]) for c, cell in enumerate(row)))
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    new = res["newly_embedded"]
    lines += ["", "embedded now (not in the cache): " + ", ".join(f"{v} {k}" for k, v in new.items()) + "; seconds: "
                  + ", ".join(f"{k} {v}" for k, v in res["seconds"].items())]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True, type=Path, help="a built database (opened read-only)")
    ap.add_argument("--labels", choices=("movielens", "sample", "auto", "none"), default="auto",
                    help="catalogue labels for agreement (auto: from the database's imports)")
    ap.add_argument("--truth", help="planted truth file for --labels sample (default: beside the imported sample)")
    ap.add_argument("--embedding-model", help="encoder (default: RECSYS_EMBEDDING_MODEL or the packaged MiniLM)")
    ap.add_argument("--svd-dim", type=int, default=64, help="dimensions of the co-occurrence vectors")
    ap.add_argument("--seed", type=int, default=0, help="seed of the reference k-means and the SVD")
    ap.add_argument("--json", action="store_true", help="print the results as JSON instead of a table")
    args = ap.parse_args(argv)
    res = run(args.db, args.labels, args.truth, args.embedding_model, args.svd_dim, args.seed)
    print(json.dumps(res, indent=2) if args.json else format_report(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
