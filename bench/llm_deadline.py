"""How long one explanation can be held by a misbehaving LLM: prints, per case, the seconds each
explanation took against the configured timeout, and the worst case over all of them.

Run: python bench/llm_deadline.py [--timeout 4] [--local] [--repeat 3]

Endpoint cases run against a real HTTP server on loopback (tests/support/chat_server.py): a
reply dribbled one byte every 0.5 s, an event stream whose line never ends, headers then
silence, a server that answers after a minute, one that closes, one that stops short of its
Content-Length. With --local, the packaged Gemma model writes explanations while two processes
keep both cores busy (the load that made it overshoot before). The promise: no explanation is
held longer than the timeout plus one second.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from recsys_core.config import ExplainConfig  # noqa: E402
from recsys_core.data.store import Store  # noqa: E402
from recsys_core.explain.backends import LocalLlamaBackend, OpenAICompatibleBackend  # noqa: E402
from recsys_core.explain.explainer import Explainer  # noqa: E402
from tests.support.chat_server import chat_server  # noqa: E402
from tests.support.facts import TENT_FACTS, TENT_TITLES  # noqa: E402

FACTS, TITLES = TENT_FACTS, TENT_TITLES
ENDPOINT_CASES = [("trickle", 0.5), ("endless-line", 0.5), ("stall", 60.0), ("slow", 60.0), ("close", 0.0),
                  ("short", 0.0), ("ok", 0.0)]


def _spin(seconds: float) -> None:
    end = time.time() + seconds
    while time.time() < end:
        pass


def _timed(explainer: Explainer, streaming: bool) -> tuple[float, str]:
    explainer._skip_until = 0.0  # noqa: SLF001 - each case on its own: no cool-down carried over
    t0 = time.perf_counter()
    e = explainer.explain(FACTS, TITLES, use_cache=False, on_token=(lambda piece: None) if streaming else None)
    return time.perf_counter() - t0, e.fallback_reason or e.source


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--timeout", type=float, default=4.0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--local", action="store_true", help="also the packaged local model under CPU load")
    args = ap.parse_args()
    worst = 0.0
    print(f"timeout {args.timeout:.1f} s; the promise: at most {args.timeout + 1:.1f} s per explanation")
    with Store(":memory:") as store, chat_server() as server:
        config = ExplainConfig(backend="openai", endpoint_url=server.url, timeout_seconds=args.timeout)
        explainer = Explainer(store, config, OpenAICompatibleBackend(config))
        for mode, delay in ENDPOINT_CASES:
            server.mode, server.delay = mode, delay
            for streaming in (False, True):
                runs = [_timed(explainer, streaming) for _ in range(args.repeat)]
                slowest = max(s for s, _ in runs)
                worst = max(worst, slowest)
                print(f"endpoint {mode:<12} {'stream' if streaming else 'json  '}  max {slowest:5.2f} s  "
                      f"({', '.join(sorted({r for _, r in runs}))})", flush=True)
        if args.local:
            local = Explainer(store, ExplainConfig(backend="local", timeout_seconds=args.timeout),
                              LocalLlamaBackend(ExplainConfig(backend="local", timeout_seconds=args.timeout)))
            t0 = time.perf_counter()
            local.backend.write(FACTS, 60.0)  # type: ignore[union-attr]  # load and warm the model first
            print(f"local model loaded and warmed in {time.perf_counter() - t0:.1f} s", flush=True)
            for load in (0, 2):
                hogs = [multiprocessing.Process(target=_spin, args=(args.repeat * (args.timeout + 2) * 3,))
                        for _ in range(load)]
                for h in hogs:
                    h.start()
                try:
                    runs = [_timed(local, streaming) for streaming in (False, True) for _ in range(args.repeat)]
                finally:
                    for h in hogs:
                        h.terminate()
                slowest = max(s for s, _ in runs)
                worst = max(worst, slowest)
                print(f"local model, {load} busy processes   max {slowest:5.2f} s  "
                      f"({', '.join(sorted({r for _, r in runs}))})", flush=True)
    print(f"worst case: {worst:.2f} s against the promised {args.timeout + 1:.1f} s "
          f"({'held' if worst <= args.timeout + 1 else 'NOT held'})")


if __name__ == "__main__":
    main()
