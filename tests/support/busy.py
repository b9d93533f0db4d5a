"""Both cores kept busy by other processes, as on a shared analyst machine: for the browser test
and the bench that measure the lab under load."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from contextlib import contextmanager


def _burn() -> None:  # pragma: no cover - runs in a child process
    while True:
        pass


@contextmanager
def busy_cores(on: bool = True) -> Iterator[None]:
    """One process spinning per core while the block runs (nothing when ``on`` is False)."""
    procs = [multiprocessing.Process(target=_burn, daemon=True) for _ in range(multiprocessing.cpu_count() if on else 0)]
    for p in procs:
        p.start()
    try:
        yield
    finally:
        for p in procs:
            p.terminate()
            p.join()
