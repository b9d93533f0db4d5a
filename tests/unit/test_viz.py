"""Figure builders: what an analyst reads on the map must be readable."""

from __future__ import annotations

import numpy as np
import pandas as pd

from recsys_core.maps import InterestMap
from recsys_core.viz import build_interest_map, build_trend_changes, clip_labels


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


def test_long_labels_are_cut_at_a_word_and_never_merge_two_rows() -> None:
    long_a = "Drama · 1990s · like Age of Innocence, The (1993)"
    long_b = "Drama · 1990s · like Age of Innocence, The (1994)"  # the same up to the cut
    short = "Comedy · 2010s"
    clipped = clip_labels([long_a, short, "Sci-Fi · Adventure · 2010s · doctor · like Doctor Strange (2016)"], 40)
    assert clipped[0] == "Drama · 1990s · like Age of Innocence…" and clipped[1] == short
    assert all(len(c) <= 40 for c in clipped) and clipped[2].endswith("…") and " " not in clipped[2][-2:]
    assert clip_labels([long_a, long_b], 40) == [long_a, long_b]  # cut alike: kept whole, two rows
    changes = pd.DataFrame({"node": [0, 1], "label": [long_a, long_b], "change": [1.0, 0.5], "change_low": [0.5, 0.1],
                            "change_high": [1.5, 0.9], "status": ["rising", "rising"], "users_before": [5, 6],
                            "users_recent": [9, 8], "new": [False, False]})
    fig = build_trend_changes(changes, "Rising")
    assert len(set(fig.data[0].y)) == 2 and list(fig.data[0].hovertext) == [long_b, long_a]
