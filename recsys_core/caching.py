"""A small thread-safe LRU cache whose entries can carry a stamp (e.g. a user's event
fingerprint): a hit with another stamp is a miss, so a cached state is reused only while what
it was computed from stays the same."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class StampedLRU(Generic[K, V]):
    """At most ``size`` entries; the least recently used goes first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[K, tuple[object, V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K, stamp: object = None) -> V | None:
        with self._lock:
            hit = self._items.get(key)
            if hit is None or hit[0] != stamp:
                return None
            self._items.move_to_end(key)
            return hit[1]

    def put(self, key: K, value: V, stamp: object = None) -> V:
        with self._lock:
            self._items[key] = (stamp, value)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)
