"""Measure how well the engine's interest hierarchy recovers the sample's planted taxonomy.

Run: python bench/sample_structure.py
Embeds the sample's item texts with all-MiniLM-L6-v2 (as the build does), builds the
hierarchy with sizes chosen from the data, and prints NMI/ARI of the found fine interests and
themes against the planted ones, plus the same with the planted sizes forced, and the
embedding throughput.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

from recsys_core.config import HierarchyConfig  # noqa: E402
from recsys_core.data.frames import load_catalogue  # noqa: E402
from recsys_core.data.sample import load_sample  # noqa: E402
from recsys_core.data.store import Store  # noqa: E402
from recsys_core.embeddings.sentence import SentenceTransformerEmbedder  # noqa: E402
from recsys_core.interests.hierarchy import InterestHierarchy  # noqa: E402


def main() -> None:
    folder = ROOT / "sample_data"
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "bench.duckdb") as store:
        load_sample(store, folder)
        catalogue = load_catalogue(store)
    truth = pd.read_csv(folder / "truth" / "items.csv", dtype=str).set_index("item_id").loc[catalogue["item_id"]]
    texts = catalogue["embed_text"].tolist()
    embedder = SentenceTransformerEmbedder()
    embedder.encode(texts[:8])  # load the model outside the timing
    start = time.perf_counter()
    emb = embedder.encode(texts)
    seconds = time.perf_counter() - start
    print(f"embedding throughput: {len(texts)} item texts in {seconds:.1f} s ({len(texts) / seconds:.0f} texts/s)")
    for name, cfg in (("sizes from the data", HierarchyConfig()),
                      ("planted sizes (50 / 10)", HierarchyConfig(n_fine=50, n_themes=10))):
        h = InterestHierarchy(cfg, seed=42).fit(emb, texts, catalogue["item_id"].tolist())
        scores = h.score_against(truth["fine_interest"].tolist(), truth["theme"].tolist())
        print(f"{name}: {h.n_fine} fine interests, {h.n_themes} themes")
        for level in ("fine", "theme"):
            print(f"  {level:6s} NMI {scores[level].nmi:.3f}  ARI {scores[level].ari:.3f}")


if __name__ == "__main__":
    main()
