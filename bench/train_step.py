"""Where a training step's time goes: milliseconds per step of the interest model's training
loop on a real catalogue (and the epoch that makes), then torch's profiler table over a few
steps with ``--profile``; per step, the split between assembling the batch, forward, backward and
the optimiser.

Run: python bench/train_step.py --db PATH [--steps 30] [--profile] [--set batch_size=512 ...]
     [--against DIR]

``--db`` is a database with imported data (e.g. ``import --movielens``), read only. The steps are
the training loop's own (``recsys_core.interests.train``: batch, candidates, loss, backward,
AdamW) on the evaluation's training split, so the figure is the one ``build`` logs per epoch
without waiting for an epoch. ``--set`` changes model settings for the run (how much a setting
saves, before paying for an ``evaluate`` of what it costs in accuracy).

``--against DIR`` compares this code's step with another checkout's (``git worktree add DIR
REV``): the other tree's ``InterestModel`` (started from the same weights, with its own optimiser)
and ``make_batch`` run on the same batches, the two alternating in blocks of 8 steps in one
process, and the medians are printed.
Timed in separate processes, a 2-core machine's drift within the hour hides a 5-10% change.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True, type=Path, help="a database with imported data (read only)")
    ap.add_argument("--steps", type=int, default=30, help="timed steps (after 3 warm-up steps)")
    ap.add_argument("--profile", action="store_true", help="also print torch's profiler table over 15 steps")
    ap.add_argument("--set", nargs="*", default=[], help="InterestModelConfig field=value (e.g. n_negatives=2048)")
    ap.add_argument("--against", type=Path, help="another checkout whose training step to alternate with this one's")
    args = ap.parse_args(argv)
    if not args.db.is_file():
        ap.error(f"no database at {args.db}")
    if args.against is not None and not (args.against / "recsys_core" / "interests" / "model.py").is_file():
        ap.error(f"--against {args.against}: not a checkout of this project (no recsys_core/interests/model.py)")

    from dataclasses import replace

    import numpy as np
    import torch

    from recsys_core.config import RecsysConfig
    from recsys_core.data.store import Store
    from recsys_core.engine import RecsysEngine
    from recsys_core.interests import train as loop
    from recsys_core.interests.model import InterestModel, text_basis
    from recsys_core.interests.sequences import drop_last
    from recsys_core.training import build_hierarchy, take_snapshot

    sys.path.insert(0, str(ROOT / "bench"))
    from model_variants import _fields

    cfg = RecsysConfig.from_env().with_db(args.db)
    cfg = replace(cfg, model=replace(cfg.model, **_fields(args.set)))
    torch.set_num_threads(cfg.torch_threads)
    with Store(args.db, read_only=True, config=cfg.store) as store:
        snapshot = take_snapshot(store, RecsysEngine(cfg).embedder, include_live=False, what="evaluate")
    history, _ = drop_last(snapshot.sequences)
    hierarchy = build_hierarchy(cfg, snapshot, history)
    train, _ = drop_last(history)
    mc = cfg.model
    features = snapshot.features.features
    model = InterestModel(mc, torch.as_tensor(features), torch.as_tensor(hierarchy.fine_of_item_),
                          torch.as_tensor(hierarchy.theme_of_fine_), basis=text_basis(features, mc.text_components))
    users, positions = loop.training_examples(train)
    optim = torch.optim.AdamW(model.parameters(), lr=mc.learning_rate, weight_decay=mc.weight_decay)
    gen = torch.Generator().manual_seed(cfg.seed)
    order = loop.epoch_examples(users, mc.examples_per_user, np.random.default_rng(cfg.seed))
    n_items = features.shape[0]
    steps_per_epoch = -(-len(order) // mc.batch_size)
    print(f"{len(users):,} training examples ({len(order):,} per epoch), {n_items:,} items, text dim "
          f"{model.text_features.shape[1]} of {features.shape[1]}, {steps_per_epoch} steps per epoch, "
          f"{torch.get_num_threads()} torch threads")

    phases = dict.fromkeys(("batch", "forward", "backward", "optimiser"), 0.0)

    def inputs(i: int, make_batch: Any = None) -> tuple[Any, ...]:
        """Step ``i``'s batch, targets, candidates and id dropout, as the training loop draws them."""
        whole = order[(i * mc.batch_size) % len(order):][: mc.batch_size]
        targets = torch.as_tensor(train.items[train.offsets[users[whole]] + positions[whole]])
        if n_items <= mc.n_negatives:
            candidates = torch.arange(n_items)
        else:
            sampled = torch.randperm(n_items, generator=gen)[: mc.n_negatives]
            candidates = torch.unique(torch.cat([sampled, targets]))
        drop = (torch.rand(n_items, generator=gen) < mc.id_dropout) if mc.use_item_ids else None
        u, p = users[whole], positions[whole]
        at = train.days[train.offsets[u] + p]
        batch = (loop.history_batch(train, mc, u, p, at) if make_batch is None
                 else make_batch(train, u, p, at, mc.max_history, mc.session_gap_minutes / 1440.0))
        return batch, targets, candidates, drop

    def step(i: int, net: Any = model, opt: Any = optim, make_batch: Any = None) -> None:
        """One training step of ``net``; ``make_batch`` replaces this code's (``--against``)."""
        t0 = time.perf_counter()
        batch, targets, candidates, drop = inputs(i, make_batch)
        t1 = time.perf_counter()
        _, loss = net(batch, targets, candidates, drop)
        t2 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        t3 = time.perf_counter()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 5.0)
        opt.step()
        t4 = time.perf_counter()
        for name, seconds in zip(phases, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
            phases[name] += seconds
        took.append(t4 - t0)

    took: list[float] = []

    model.train()
    for i in range(3):
        step(i)
    phases.update(dict.fromkeys(phases, 0.0))
    started = time.perf_counter()
    for i in range(3, 3 + args.steps):
        step(i)
    per_step = (time.perf_counter() - started) / args.steps
    print(f"{per_step * 1000:.1f} ms per step -> {per_step * steps_per_epoch:.1f} s per epoch")
    print("per step: " + ", ".join(f"{name} {seconds / args.steps * 1000:.1f} ms" for name, seconds in phases.items()))
    if args.profile:
        from torch.profiler import ProfilerActivity, profile

        with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
            for i in range(3 + args.steps, 18 + args.steps):
                step(i)
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=20))
        print(prof.key_averages(group_by_input_shape=True).table(
            sort_by="self_cpu_time_total", row_limit=20, max_name_column_width=30, max_shapes_column_width=60))
    if args.against is not None:
        other_model = _module_from(args.against / "recsys_core" / "interests" / "model.py", "against_model")
        other_seq = _module_from(args.against / "recsys_core" / "interests" / "sequences.py", "against_sequences")
        # the other tree's whole model (its encoders too) from this one's weights, with its own optimiser
        other = other_model.InterestModel(mc, torch.as_tensor(features), torch.as_tensor(hierarchy.fine_of_item_),
                                          torch.as_tensor(hierarchy.theme_of_fine_), basis=model.text_basis)
        other.load_state_dict(model.state_dict())
        other.train()
        other_optim = torch.optim.AdamW(other.parameters(), lr=mc.learning_rate, weight_decay=mc.weight_decay)
        # same weights, same batch: the two trees' loss and gradients, before either steps
        other.load_state_dict(model.state_dict())
        check = inputs(0)
        grads = []
        for net in (model, other):
            net.zero_grad(set_to_none=True)
            loss = net(*check)[1]
            loss.backward()
            grads.append((float(loss), {n: q.grad for n, q in net.named_parameters() if q.grad is not None}))
        (loss_a, grad_a), (loss_b, grad_b) = grads
        worst = max((float((grad_a[n] - grad_b[n]).norm() / grad_b[n].norm().clamp_min(1e-12)), n) for n in grad_b)
        print(f"same batch: loss {loss_a:.6f} here, {loss_b:.6f} there; largest relative gradient "
              f"difference {worst[0]:.2e} ({worst[1]}); parameters only there: "
              f"{sorted(set(grad_b) - set(grad_a)) or 'none'}")
        times: dict[str, list[float]] = {"this code": [], str(args.against): []}
        i = 100 + args.steps
        for block in range(2 * -(-args.steps // 8)):
            which = list(times)[block % 2]
            for _ in range(8):
                took.clear()
                if which == "this code":
                    step(i)
                else:
                    step(i, other, other_optim, other_seq.make_batch)
                times[which].append(took[0])
                i += 1
        for name, seconds in times.items():
            print(f"{name}: median {np.median(seconds) * 1000:.1f} ms per step over {len(seconds)} steps")
        this, other = (np.median(v) for v in times.values())
        print(f"this code / {args.against}: {this / other:.3f}")
    return 0


def _module_from(path: Path, name: str) -> Any:
    """A module of another checkout, loaded under ``name`` (its imports resolve to this one)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


if __name__ == "__main__":
    raise SystemExit(main())
