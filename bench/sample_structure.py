"""Measure how well the sample's planted taxonomy shows in text embeddings.

Run: python bench/sample_structure.py
Prints NMI/ARI of k-means clusters of all-MiniLM-L6-v2 item embeddings against the planted
themes and fine interests, and the embedding throughput.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402
from sklearn.cluster import KMeans  # noqa: E402
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score  # noqa: E402

from recsys_core.embeddings.sentence import SentenceTransformerEmbedder  # noqa: E402


def main() -> None:
    folder = ROOT / "sample_data"
    items = pd.read_csv(folder / "items.csv", dtype=str, keep_default_na=False)
    truth = pd.read_csv(folder / "truth" / "items.csv", dtype=str).set_index("item_id").loc[items["item_id"]]
    texts = (items["title"] + ". " + items["description"] + " " + items["category"]).tolist()
    embedder = SentenceTransformerEmbedder()
    embedder.encode(texts[:8])  # load the model outside the timing
    start = time.perf_counter()
    emb = embedder.encode(texts)
    seconds = time.perf_counter() - start
    print(f"embedded {len(texts)} item texts in {seconds:.1f} s ({len(texts) / seconds:.0f} texts/s)")
    for level in ("theme", "fine_interest"):
        k = truth[level].nunique()
        labels = KMeans(n_clusters=k, n_init=10, random_state=0).fit_predict(emb)
        nmi = normalized_mutual_info_score(truth[level], labels)
        ari = adjusted_rand_score(truth[level], labels)
        print(f"{level:14s} k={k:3d}  NMI {nmi:.3f}  ARI {ari:.3f}")


if __name__ == "__main__":
    main()
