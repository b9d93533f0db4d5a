"""One fusion for everyone: the lab's list, the evaluation's weight sweep, the counterfactual
check, per-item evidence and the map's fused point agree for the same user and weight."""

from __future__ import annotations

import numpy as np
import pytest

from recsys_core.evaluation.runner import fused_scores
from recsys_core.fusion import fuse
from recsys_core.interests.links import batch_link_scores
from recsys_core.maps import place_points
from recsys_core.recommend import slot_parts


@pytest.mark.parametrize("alpha", [0.0, 0.3, 0.85])
def test_list_sweep_counterfactual_evidence_and_map_use_the_same_fusion(built_engine, alpha: float) -> None:
    engine = built_engine
    user = str(engine.users("", 5)["user_id"].iloc[0])
    recs = engine.recommend(user, n=5, alpha=alpha)
    serving = engine.serving()
    state = engine.user_state(user)
    rows = [serving.item_index[r.item_id] for r in recs.items]
    shown = np.array([r.score for r in recs.items])

    # the lab's score is its long and short parts, and the parts follow the weight
    np.testing.assert_allclose([r.long_part + r.short_part for r in recs.items], shown, rtol=1e-6, atol=1e-7)
    if alpha == 0.0:
        assert all(r.long_part == 0.0 for r in recs.items)

    # the evaluation's sweep scores the same items the same at this weight (links included)
    assert serving.links is not None and serving.links.nnz > 0  # the tiny shop's build chose them
    links = batch_link_scores(serving.links, [state.history], serving.links_config, serving.config.max_history)
    swept = fused_scores(alpha, state.u_long[None, :], state.u_short[None, :], serving.item_vecs, links)[0]
    np.testing.assert_allclose(swept[rows], shown, rtol=1e-5, atol=1e-6)
    order = np.argsort(-np.where(np.isin(np.arange(len(swept)), state.history), -np.inf, swept))[:5]
    assert set(order.tolist()) == set(rows)  # and ranks them into the same list

    # per-item evidence adds up exactly to the fused score, links included
    for r, row in zip(recs.items, rows, strict=True):
        per_item = fuse(*slot_parts(state, serving.item_vecs[row], serving.links, row), alpha)
        assert per_item.sum() == pytest.approx(r.score, rel=1e-5, abs=1e-6)

    # the counterfactual check scores the item at the list's weight (nothing removed: no drop)
    cf = engine.explanations.counterfactual(user, recs.items[0].item_id, (), alpha)
    assert cf["score"] == pytest.approx(recs.items[0].score, abs=1e-4)
    assert cf["drop"] == pytest.approx(0.0, abs=1e-4)

    # the map's fused point is placed from the fused vector at the list's weight
    overlay = engine.user_overlay(user, recs)
    imap = engine.interest_map()
    coords = imap.items.set_index("item_id")[["x", "y"]]
    visible = ~serving.removed
    expected = place_points(fuse(state.u_long, state.u_short, alpha)[None, :], serving.item_vecs[visible],
                            coords.reindex(serving.item_ids[visible]).to_numpy(np.float32),
                            serving.fine_of_item[visible])[0]
    assert overlay.fused_xy == pytest.approx((float(expected[0]), float(expected[1])), abs=1e-5)


def test_fusion_is_written_in_one_module_only() -> None:
    """The formula itself lives in recsys_core/fusion.py; everything else calls it."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "recsys_core"
    pattern = re.compile(r"\(\s*1(\.0)?\s*-\s*(a|alpha|gate|learned)\b[^)]*\)\s*\*")
    hits = [str(p.relative_to(root)) for p in root.rglob("*.py")
            if any(pattern.search(line) for line in p.read_text().splitlines() if not line.strip().startswith("#"))]
    assert hits == ["fusion.py"]


def test_scoring_by_the_fused_vector_is_fusing_the_branch_scores(built_engine) -> None:
    """The all-users ranking scores the catalogue once with the fused vector (links weighted as
    the short-term branch's): the same numbers as fusing the two branches' scores, per user
    and per weight, in any batch."""
    from recsys_core.recommend import branch_scores_many, fused_scores_many

    engine = built_engine
    serving = engine.serving()
    users = [str(u) for u in engine.users("", 6)["user_id"]]
    states = [engine.user_state(u) for u in users]
    assert any(s.link_weights is not None and len(s.slots) for s in states)
    alphas = [0.0, 1.0, 0.3, 0.731, 0.5, 0.9][:len(states)]
    long_s, short_s = branch_scores_many(states, serving.item_vecs, serving.links)
    together = fused_scores_many(states, alphas, serving.item_vecs, serving.links)
    np.testing.assert_allclose(together, fuse(long_s, short_s, np.array(alphas, np.float32)), rtol=1e-5, atol=1e-6)
    for r, (state, alpha) in enumerate(zip(states, alphas, strict=True)):
        alone = fused_scores_many([state], [alpha], serving.item_vecs, serving.links)[0]
        np.testing.assert_allclose(alone, together[r], rtol=1e-6, atol=1e-7)
