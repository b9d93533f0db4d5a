"""Figure builders: what an analyst reads on the map must be readable."""

from __future__ import annotations

import numpy as np
import pandas as pd

from recsys_core.maps import InterestMap
from recsys_core.viz import build_interest_map


def _map(centres: list[tuple[float, float]], sizes: list[int]) -> InterestMap:
    rng = np.random.default_rng(0)
    rows = []
    for theme, ((cx, cy), size) in enumerate(zip(centres, sizes, strict=True)):
        for k in range(size):
            rows.append({"item_id": f"i{theme}-{k}", "title": f"Item {theme}-{k}", "x": cx + rng.normal(0, 0.3),
                         "y": cy + rng.normal(0, 0.3), "fine_id": theme, "fine_label": f"fine {theme}",
                         "theme_id": theme, "theme_label": f"Theme number {theme}", "popularity": 1})
    items = pd.DataFrame(rows)
    nodes = pd.DataFrame([{"level": level, "node_id": t, "label": f"Theme number {t}" if level == "theme" else f"fine {t}",
                           "keywords": "", "size": s, "parent_id": None, "x": c[0], "y": c[1]}
                          for level in ("fine", "theme") for t, (c, s) in enumerate(zip(centres, sizes, strict=True))])
    return InterestMap(build_id=1, items=items, nodes=nodes)


def test_theme_labels_are_annotations_above_the_points_and_never_cover_each_other() -> None:
    # five themes spread out (all fit) and three centroids on top of each other in the middle
    spread = [(-10.0, -10.0), (10.0, -10.0), (-10.0, 10.0), (10.0, 10.0), (0.0, -5.0)]
    crowded = [(0.0, 3.0), (0.1, 3.05), (-0.1, 2.95)]
    sizes = [50, 40, 30, 20, 10, 60, 5, 8]
    fig = build_interest_map(_map(spread + crowded, sizes), level="theme", height=640)
    texts = [a.text for a in fig.layout.annotations]
    # the crowded three: only the biggest is labelled; every spread theme is
    assert "<b>Theme number 5</b>" in texts
    assert "<b>Theme number 6</b>" not in texts and "<b>Theme number 7</b>" not in texts
    assert all(f"<b>Theme number {t}</b>" in texts for t in range(5))
    # labels no longer ride in a trace's text (WebGL points would be drawn over them)
    assert all(getattr(tr, "text", None) is None for tr in fig.data if tr.name in ("themes", "fine interests"))
    # the unlabelled theme still has its diamond, with the name on hover
    diamonds = next(tr for tr in fig.data if tr.name == "themes")
    assert len(diamonds.x) == 8 and "Theme number 6" in [row[0] for row in diamonds.customdata]
