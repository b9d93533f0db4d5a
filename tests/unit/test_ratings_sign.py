"""Ratings have a sign: a low rating is read by the encoder but never cited or counted as liked."""

from __future__ import annotations

import numpy as np
import pandas as pd

from recsys_core.interests.sequences import LOW_RATING_CODE, build_sequences, is_liked, low_ratings, rating_scale_top
from recsys_core.recommend import UserState, evidence_for


def _events(rows: list[tuple[str, str, str, float | None]]) -> pd.DataFrame:
    t0 = pd.Timestamp("2024-01-01", tz="UTC")
    return pd.DataFrame({"user_id": [r[0] for r in rows], "item_id": [r[1] for r in rows],
                         "occurred_at": [t0 + pd.Timedelta(hours=k) for k in range(len(rows))],
                         "event_type": [r[2] for r in rows], "value": [r[3] for r in rows]})


def test_low_ratings_on_the_scale_and_on_the_users_own_scale() -> None:
    assert rating_scale_top([0.5, 4.5]) == 5.0 and rating_scale_top([3, 9]) == 10.0 and rating_scale_top([]) == 5.0
    rows = [("a", "i1", "rating", 1.0), ("a", "i2", "rating", 2.0), ("a", "i3", "rating", 2.5),
            ("a", "i4", "rating", 5.0), ("a", "i5", "view", None), ("a", "i6", "purchase", None)]
    # a generous rater: 3.5 is far below their own habit (5, 5, 5, 5, 4.5, 3.5)
    rows += [("g", f"j{k}", "rating", v) for k, v in enumerate([5.0, 5.0, 5.0, 5.0, 4.5, 3.5])]
    low = low_ratings(_events(rows))
    assert low.tolist() == [True, True, False, False, False, False, False, False, False, False, False, True]
    assert not low_ratings(_events(rows).drop(columns="value")).any()  # no values: nothing is low


def test_a_low_rating_keeps_its_place_in_the_history_with_its_own_code() -> None:
    events = _events([("a", "i1", "view", None), ("a", "i1", "rating", 1.0), ("a", "i2", "rating", 4.0)])
    seqs = build_sequences(events, {"i1": 0, "i2": 1})
    items, _, codes = seqs.user(0)
    assert items.tolist() == [0, 1]
    assert codes[0] == LOW_RATING_CODE and is_liked(codes).tolist() == [False, True]


def test_evidence_never_cites_a_low_rated_slot_but_counts_it_in_the_total() -> None:
    d = 4
    contrib = np.array([[3.0, 0, 0, 0], [1.0, 0, 0, 0], [0.5, 0, 0, 0]], np.float32)
    state = UserState(contrib.sum(0), contrib.sum(0), 1.0, np.arange(3), np.arange(3), contrib, contrib,
                      np.ones(3, np.float32), np.ones(3, np.float32), slot_liked=np.array([False, True, True]))
    ev = evidence_for(state, np.eye(d, dtype=np.float32)[0], 0.5, 3)
    assert [row for row, _ in ev] == [1, 2]
    assert abs(sum(w for _, w in ev) - 1.5 / 4.5) < 1e-6  # shares of the whole push, low-rated slot included


def test_no_recommendation_cites_an_item_its_user_rated_low(built_engine) -> None:  # noqa: ANN001
    with built_engine.store.cursor() as cur:
        ratings = cur.execute("SELECT user_id, item_id, occurred_at, event_type, value FROM interactions "
                              "WHERE event_type = 'rating'").df()
    ratings["low"] = low_ratings(ratings)
    low_by_user = ratings[ratings["low"]].groupby("user_id")["item_id"].apply(set)
    assert len(low_by_user) >= 5, "the tiny shop should have users with low ratings"
    cited_low = cited = 0
    for user, low_items in low_by_user.items():
        for rec in built_engine.recommend(str(user), n=10).items:
            for ev in rec.evidence:
                cited += 1
                cited_low += ev.item_id in low_items
    assert cited > 0 and cited_low == 0


def test_one_users_ratings_are_read_on_the_catalogues_scale(built_engine) -> None:  # noqa: ANN001
    """A user whose only ratings are 1 star is not on a 1-point scale where 1 is the top: the
    serving model reads every user's ratings on the catalogue's scale, and so do the facts an
    explanation may state."""
    import pandas as pd

    from recsys_core.explain.facts import engagement

    events = pd.DataFrame({"user_id": ["u", "u"], "item_id": ["a", "b"], "event_type": ["rating", "rating"],
                           "occurred_at": pd.to_datetime(["2026-01-01", "2026-01-02"], utc=True), "value": [1.0, 1.0]})
    assert low_ratings(events).tolist() == [False, False]  # read alone, 1 would be the top of its scale
    assert low_ratings(events, scale_top=5.0).tolist() == [True, True]
    assert set(engagement(events, 5.0).values()) == {"rated"}
    assert built_engine.serving().rating_scale_top == 5.0
