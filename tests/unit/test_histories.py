"""Histories read in DuckDB (data.histories.load_sequences) are exactly the ones the events
frame gives (interests.sequences.build_sequences of frames.load_events): same users, items,
times and codes, whatever the selection."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from recsys_core.data.frames import load_catalogue, load_events
from recsys_core.data.histories import load_sequences
from recsys_core.data.sample import load_sample
from recsys_core.data.store import Store
from recsys_core.interests.sequences import LOW_RATING_CODE, Sequences, build_sequences

T0 = dt.datetime(2026, 1, 1, 9, 0, 0)


def _same(a: Sequences, b: Sequences) -> None:
    assert a.user_ids == b.user_ids
    for name in ("offsets", "items", "days", "codes"):
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype and np.array_equal(x, y), name  # bit for bit, times included


@pytest.fixture()
def shop(store: Store) -> Store:
    """Events that exercise every rule: repeated items, mixed types, low ratings on the scale
    and on a generous rater's own scale, live, simulated and unknown-item events."""
    items = [(f"I{k:02d}", f"Item {k}", "", None, None, 1) for k in range(12)]
    rows = []
    for k, v in enumerate([5, 5, 5, 4.5, 5, 3, 5]):  # a generous rater: 3 of 5 is low for them
        rows.append(("gen", f"I{k:02d}", T0 + dt.timedelta(hours=k), "rating", float(v)))
    # the rater's views of the catalogue's last items: a rating of an unknown item by the next
    # user (u1's "GONE") must not reach them
    rows += [("gen", "I10", T0 + dt.timedelta(days=1), "view", None), ("gen", "I11", T0 + dt.timedelta(days=1), "view", None)]
    rows += [
        ("u1", "I03", T0, "view", None), ("u1", "I03", T0 + dt.timedelta(days=1), "purchase", None),
        ("u1", "I04", T0 + dt.timedelta(minutes=5), "click", None),
        ("u1", "I05", T0 + dt.timedelta(minutes=5), "rating", 1.0),  # same time as I04; low on the scale
        ("u1", "I05", T0 + dt.timedelta(days=2), "view", None),  # the low rating still wins
        ("u1", "GONE", T0 + dt.timedelta(days=3), "rating", 2.0),  # not in the catalogue
        ("u2", "I01", T0 + dt.timedelta(seconds=1, microseconds=7), "Rating", 2.0),  # other case: a rating
        ("u2", "I02", T0 + dt.timedelta(days=5), "wishlist", None),  # an unknown type
        ("only-gone", "GONE", T0, "view", None),  # a user with no catalogue item
    ]
    with store.transaction() as cur:
        cur.executemany("INSERT INTO items (item_id, title, text, category, attributes, import_id) "
                        "VALUES (?, ?, ?, ?, ?, ?)", items)
        cur.executemany("INSERT INTO interactions (user_id, item_id, occurred_at, event_type, value, import_id) "
                        "VALUES (?, ?, ?, ?, ?, 1)", rows)
        cur.executemany("INSERT INTO live_events (user_id, item_id, occurred_at, event_type, simulated) "
                        "VALUES (?, ?, ?, ?, ?)",
                        [("u3", "I07", T0 + dt.timedelta(days=6), "purchase", False),
                         ("u1", "I08", T0 + dt.timedelta(days=7), "view", True)])
    return store


def _ids(store: Store) -> list[str]:
    return load_catalogue(store)["item_id"].astype(str).tolist()


def test_the_histories_equal_the_events_frames_in_every_selection(shop: Store) -> None:
    ids = _ids(shop)
    index = {i: k for k, i in enumerate(ids)}
    whole = load_sequences(shop, ids)
    _same(build_sequences(load_events(shop), index), whole)
    assert "only-gone" not in whole.user_ids and "u3" in whole.user_ids  # a live event counts
    u1 = whole.user(whole.user_ids.index("u1"))
    assert [ids[i] for i in u1[0]] == ["I03", "I04", "I05"]  # first times; a tie goes by item row
    assert u1[2].tolist() == [4, 2, LOW_RATING_CODE]
    gen = whole.user(whole.user_ids.index("gen"))
    assert gen[2].tolist().count(LOW_RATING_CODE) == 1  # the 3 of a generous rater

    _same(build_sequences(load_events(shop, include_simulated=True), index), load_sequences(shop, ids, include_simulated=True))
    _same(build_sequences(load_events(shop, include_live=False), index), load_sequences(shop, ids, include_live=False))
    some = ["u1", "u2", "nobody"]
    _same(build_sequences(load_events(shop, user_ids=some), index, 5.0), load_sequences(shop, ids, user_ids=some, scale_top=5.0))
    until = T0 + dt.timedelta(minutes=5)
    events = load_events(shop)
    _same(build_sequences(events[events["occurred_at"] <= until], index, 5.0),
          load_sequences(shop, ids, until=until.replace(tzinfo=dt.UTC), scale_top=5.0))
    # fewer items than the store holds (a build older than the catalogue): ratings of the others
    # still count in their rater's own scale
    half = ids[::2]
    _same(build_sequences(events, {i: k for k, i in enumerate(half)}), load_sequences(shop, half))


def test_batches_do_not_change_the_result(shop: Store) -> None:
    ids = _ids(shop)
    _same(load_sequences(shop, ids), load_sequences(shop, ids, batch_rows=2))


def test_an_empty_store_gives_no_histories(store: Store) -> None:
    seqs = load_sequences(store, ["A", "B"])
    assert seqs.user_ids == [] and seqs.offsets.tolist() == [0] and len(seqs.items) == 0


def test_on_the_sample_the_histories_equal_the_events_frames(store: Store, sample_dir: Path) -> None:
    load_sample(store, sample_dir)
    ids = _ids(store)
    _same(build_sequences(load_events(store), {i: k for k, i in enumerate(ids)}), load_sequences(store, ids))
