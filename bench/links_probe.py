# ruff: noqa: E702, B905, N806
"""Links alone, no model: NDCG@10 on the evaluation split's validation and test items of the
"together" links (EASE), of a transition fit read the same way, and of the two summed at several
shares (the transition part scaled to EASE's mean size). How the "next" links were chosen.

Run: python bench/links_probe.py DB [random]
     DB: a database with imported data (opened read-only); "random": break ties in event time
     at random (seed 0) instead of by catalogue row, to see whether the order of tied events helps.
Each settings line is (ridge, window, decay) of the transition fit's sources; edit SETTINGS to
try others. The fit here is a plain float64 solve over every position, slower than the build's.
"""

import sys
import time

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, __import__("pathlib").Path(__file__).resolve().parent.parent.as_posix())
from recsys_core.config import LinksConfig  # noqa: E402
from recsys_core.data.frames import load_catalogue, load_events  # noqa: E402
from recsys_core.data.store import Store  # noqa: E402
from recsys_core.interests.links import batch_link_scores, fit_links  # noqa: E402
from recsys_core.interests.sequences import build_sequences, drop_last  # noqa: E402
from recsys_core.metrics import ndcg_per_user, rank_of_targets  # noqa: E402

SETTINGS = [(10, 5, 2), (50, 5, 2), (50, 10, 3), (200, 10, 3), (50, 20, 5), (100, 20, 5), (20, 20, 5)]
SHARES = (0.25, 0.5, 1.0, 2.0, 4.0)

db = sys.argv[1]
with Store(db, read_only=True) as store:
    cat = load_catalogue(store); ev = load_events(store, include_live=False)
idx = {str(i): k for k, i in enumerate(cat["item_id"])}
seqs = build_sequences(ev, idx)
if len(sys.argv) > 2:
    from recsys_core.interests.sequences import Sequences
    rng = np.random.default_rng(0)
    key = rng.random(len(seqs.items))
    order = np.concatenate([a + np.lexsort((key[a:b], seqs.days[a:b])) for a, b in zip(seqs.offsets[:-1], seqs.offsets[1:])])
    seqs = Sequences(seqs.user_ids, seqs.offsets, seqs.items[order], seqs.days[order], seqs.codes[order])
    print("ties broken at random")
n = len(cat)
history, test = drop_last(seqs)
train, val = drop_last(history)
cfg = LinksConfig()

def transitions(seqs, n, l2, window, decay, min_count=2):
    # source: decayed sum of the previous `window` items; target: the item
    rows_s, cols_s, vals_s, tgt = [], [], [], []
    r = 0
    for u in range(len(seqs)):
        items = seqs.user(u)[0]
        for t in range(1, len(items)):
            prev = items[max(0, t - window):t]
            w = np.exp(-np.arange(len(prev))[::-1] / decay)
            rows_s.append(np.full(len(prev), r)); cols_s.append(prev); vals_s.append(w); tgt.append(items[t]); r += 1
    S = sp.csr_matrix((np.concatenate(vals_s).astype(np.float32), (np.concatenate(rows_s), np.concatenate(cols_s))), shape=(r, n))
    T = sp.csr_matrix((np.ones(r, np.float32), (np.arange(r), np.array(tgt))), shape=(r, n))
    counts = seqs.item_counts(n)
    keep = np.flatnonzero(counts >= min_count)
    Sk, Tk = S[:, keep], T[:, keep]
    G = (Sk.T @ Sk).toarray().astype(np.float64); G[np.diag_indices(len(keep))] += l2
    B = np.linalg.solve(G, (Sk.T @ Tk).toarray().astype(np.float64)).astype(np.float32)
    np.fill_diagonal(B, 0)
    k = min(cfg.top_k, len(keep) - 1)
    top = np.argpartition(-np.abs(B), k - 1, axis=1)[:, :k]
    vals = np.take_along_axis(B, top, axis=1)
    L = sp.csr_matrix((vals.ravel(), (np.repeat(keep, k), keep[top.ravel()])), shape=(n, n))
    L.sort_indices()
    return L

def ndcg(seqs, held, L):
    hist = [seqs.user(int(u))[0] for u in held.users]
    s = batch_link_scores(L, hist, cfg, 100).astype(np.float64)
    for r, items in enumerate(hist):
        s[r, items] = -np.inf
    return ndcg_per_user(rank_of_targets(s, held.items), 10).mean()

t0 = time.time()
E_tr, E_all = fit_links(train, n, cfg), fit_links(history, n, cfg)
print("EASE", round(ndcg(train, val, E_tr), 4), round(ndcg(history, test, E_all), 4), f"{time.time()-t0:.0f}s", flush=True)
for l2, window, decay in SETTINGS:
    t0 = time.time()
    T_tr, T_all = transitions(train, n, l2, window, decay), transitions(history, n, l2, window, decay)
    # scale: match typical magnitude
    ratio = np.abs(E_tr.data).mean() / np.abs(T_tr.data).mean()
    out = [f"T l2={l2} w={window} d={decay}", round(ndcg(train, val, T_tr), 4), round(ndcg(history, test, T_all), 4)]
    for b in SHARES:
        out.append((b, round(ndcg(train, val, E_tr + b * ratio * T_tr), 4), round(ndcg(history, test, E_all + b * ratio * T_all), 4)))
    print(*out, f"{time.time()-t0:.0f}s", flush=True)
