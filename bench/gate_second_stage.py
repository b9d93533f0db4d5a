"""Can a gate trained for the ranking beat the one trained with the model? A second stage on the
validation transitions, branches frozen, links at the weight validation chose.

Run: python bench/gate_second_stage.py --db PATH [--repeats 5]

Trains as ``evaluate`` does (bench/model_variants.py's split and settings), then fits the weight
of the long-term branch again on the validation items (each user's item before the newest, read
from the training part, never trained on), by full-catalogue cross-entropy of the fused score
(seen items masked, temperature fitted too). Forms, from fewest parameters up:

- ``fixed``: one weight for everyone (1 parameter);
- ``calibrated``: ``sigmoid(a * logit(learned) + b)`` (2);
- ``summaries``: logistic regression on the gate's five standardised inputs (6);
- ``last layer``: the learned gate's last layer refitted (33), pulled toward its trained values.

Each is scored by 2-fold cross-fitting over validation users (fit on one half, NDCG@10 on the
other, ``--repeats`` random halvings), beside the learned gate as trained, so a form is chosen
without the test items. Then every form is fitted on all validation users and scored on the test
items (each user's newest) with the learned gate and each user's best fixed weight in hindsight.
One JSON line at the end.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

FORMS = ("fixed", "calibrated", "summaries", "last layer")


class Transitions:
    """One held-out item per user: both branches' scores of every item, the links' scores, the
    learned gate and what it read, the seen items (masked) and the target."""

    def __init__(self, fitted: Any, cfg: Any, item_vecs: np.ndarray, links: Any, seqs: Any, held: Any) -> None:
        import torch

        from recsys_core.interests.links import batch_link_scores
        from recsys_core.serving import encode_states

        states = encode_states(fitted.model, cfg.model, seqs, held.users, seqs.lengths()[held.users], held.days)
        seen = [seqs.user(int(u))[0] for u in held.users]
        t = lambda a: torch.as_tensor(np.asarray(a), dtype=torch.float64)  # noqa: E731
        self.long = t(np.stack([s.u_long for s in states]) @ item_vecs.T)
        self.short = t(np.stack([s.u_short for s in states]) @ item_vecs.T)
        if links is not None:
            self.short = self.short + t(batch_link_scores(links, seen, cfg.links, cfg.model.max_history))
        self.gate = t([s.gate for s in states]).clamp(1e-6, 1 - 1e-6)
        self.inputs = t(np.stack([s.gate_inputs for s in states]))
        mask = np.zeros(self.long.shape, bool)
        for row, items in enumerate(seen):
            mask[row, items] = True
        self.seen = torch.as_tensor(mask)
        self.targets = np.asarray(held.items)
        self.n = len(self.targets)

    def scores(self, rows: np.ndarray, alpha: Any) -> Any:
        a = alpha[:, None]
        return a * self.long[rows] + (1 - a) * self.short[rows]

    def ndcg(self, rows: np.ndarray, alpha: Any) -> np.ndarray:
        from recsys_core import metrics as M

        s = self.scores(rows, alpha).masked_fill(self.seen[rows], -np.inf).detach().numpy()
        return M.ndcg_per_user(M.rank_of_targets(s, self.targets[rows]), 10)


def gate_forms(model: Any, val: Transitions) -> dict[str, tuple[Any, Callable[[Any, Transitions, np.ndarray], Any]]]:
    """Each form: (starting parameters, alpha(parameters, transitions, rows))."""
    import torch

    layers = [m for m in model.gate if isinstance(m, torch.nn.Linear)]
    w1, b1 = layers[0].weight.detach().double(), layers[0].bias.detach().double()
    last = torch.cat([layers[1].weight.detach().double()[0], layers[1].bias.detach().double()])
    mu, sd = val.inputs.mean(0), val.inputs.std(0).clamp_min(1e-6)
    return {
        "fixed": (torch.zeros(1, dtype=torch.float64),
                  lambda th, p, r: torch.sigmoid(th[0]).expand(len(r))),
        "calibrated": (torch.tensor([1.0, 0.0], dtype=torch.float64),
                       lambda th, p, r: torch.sigmoid(th[0] * torch.logit(p.gate[r]) + th[1])),
        "summaries": (torch.zeros(1 + val.inputs.shape[1], dtype=torch.float64),
                      lambda th, p, r: torch.sigmoid(th[0] + ((p.inputs[r] - mu) / sd) @ th[1:])),
        "last layer": (last, lambda th, p, r: torch.sigmoid(torch.relu(p.inputs[r] @ w1.T + b1) @ th[:-1] + th[-1])),
    }


def fit_form(start: Any, alpha: Callable[..., Any], data: Transitions, rows: np.ndarray, scale: float,
             pull: float = 1e-2) -> Any:
    """Parameters minimising the full-catalogue cross-entropy of ``rows``' targets (L-BFGS)."""
    import torch
    import torch.nn.functional as F

    theta = start.clone().requires_grad_(True)
    log_scale = torch.tensor(np.log(scale), dtype=torch.float64, requires_grad=True)
    targets = torch.as_tensor(data.targets[rows]).long()
    opt = torch.optim.LBFGS([theta, log_scale], max_iter=60, line_search_fn="strong_wolfe")

    def closure() -> Any:
        opt.zero_grad()
        logits = (data.scores(rows, alpha(theta, data, rows)) * log_scale.exp()).masked_fill(data.seen[rows], -1e4)
        loss = F.cross_entropy(logits, targets) + pull * ((theta - start) ** 2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return theta.detach()


def main() -> int:
    import model_variants as mv
    import torch

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True, type=Path, help="a database with imported data (opened read-only)")
    ap.add_argument("--repeats", type=int, default=5, help="random halvings of the validation users")
    args = ap.parse_args()
    if not args.db.exists():
        raise SystemExit(f"no database at {args.db}")
    torch.set_num_threads(2)
    cfg, fitted, item_vecs = mv.fit_on_evaluation_split(args.db, {}, {})
    weight = float((fitted.fusion or {}).get("link_weight", 0.0))
    val_links = mv.links_read_from(fitted, cfg, fitted.train, len(item_vecs))
    val = Transitions(fitted, cfg, item_vecs, val_links, fitted.train, fitted.validation)
    test = Transitions(fitted, cfg, item_vecs, fitted.links, fitted.history, fitted.test)
    scale = float(fitted.model.logit_scale.exp().detach())
    forms = gate_forms(fitted.model, val)
    rng = np.random.default_rng(0)
    halvings = [rng.permutation(val.n) for _ in range(args.repeats)]
    everyone = np.arange(val.n)
    out: dict[str, Any] = {"link_weight": weight, "validation_users": val.n, "test_users": test.n,
                           "cross_fitted_validation": {"learned gate": round(float(val.ndcg(everyone, val.gate).mean()), 4)}}
    print(f"validation, cross-fitted NDCG@10 ({args.repeats} halvings of {val.n} users), links weight {weight}")
    print(f"  {'learned gate':12s} {out['cross_fitted_validation']['learned gate']:.4f} (as trained, nothing fitted here)")
    for name, (start, alpha) in forms.items():
        figures = []
        for perm in halvings:
            a, b = perm[: val.n // 2], perm[val.n // 2:]
            per = np.zeros(val.n)
            per[b] = val.ndcg(b, alpha(fit_form(start, alpha, val, a, scale), val, b))
            per[a] = val.ndcg(a, alpha(fit_form(start, alpha, val, b, scale), val, a))
            figures.append(per.mean())
        out["cross_fitted_validation"][name] = round(float(np.mean(figures)), 4)
        print(f"  {name:12s} {np.mean(figures):.4f} (halvings {min(figures):.4f}-{max(figures):.4f})", flush=True)
    rows = np.arange(test.n)
    out["test"] = {"learned gate": round(float(test.ndcg(rows, test.gate).mean()), 4)}
    for name, (start, alpha) in forms.items():
        out["test"][name] = round(float(test.ndcg(rows, alpha(fit_form(start, alpha, val, everyone, scale), test, rows)).mean()), 4)
    per_alpha = np.stack([test.ndcg(rows, torch.full((test.n,), a, dtype=torch.float64)) for a in np.linspace(0, 1, 11)])
    out["test"]["best fixed weight (picked on test)"] = round(float(per_alpha.mean(1).max()), 4)
    out["test"]["each user's best weight in hindsight"] = round(float(per_alpha.max(0).mean()), 4)
    print("test NDCG@10, fitted on all validation users:")
    for name, figure in out["test"].items():
        print(f"  {name:40s} {figure:.4f}")
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
