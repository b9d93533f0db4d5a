"""Evaluation: the models x metrics table of a stored run, the metric against the fixed
fusion weight (with the lab's slider value and the learned weights marked), per segment, and
past runs."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_ui.shared import (
    build_key,
    bump_build_key,
    engine,
    evaluation_comparison,
    evaluation_runs,
    evaluation_table,
    run_with_progress,
)
from recsys_core.evaluation.runs import MODEL_NAMES, alpha_curve_data
from recsys_core.viz import build_alpha_curve

NAMES = dict(MODEL_NAMES)

eng = engine()
st.title("Evaluation")
st.caption("Time-ordered hold-out: each user's newest item is the test, the one before it picks the epochs, the "
           "rest trains. Every model ranks the whole catalogue minus the user's own items.")

runs = evaluation_runs(eng, build_key())
if st.button("Run an evaluation" if runs.empty else "Run a new evaluation", key="eval.run",
             type="primary" if runs.empty else "secondary", help="Trains its own model; about 4 minutes on the sample"):
    if run_with_progress(lambda progress: eng.evaluate(on_progress=progress)) is not None:
        bump_build_key()
        st.rerun()
if runs.empty:
    st.info("No evaluation yet: the button above runs one (it trains its own model on all but each user's "
            "newest items, so it does not need a build).")
    st.stop()

run_ids = runs["run_id"].astype(int).tolist()
run_id = st.selectbox("Run", run_ids, key="eval.run_id", format_func=lambda r: (
    f"run {r}: " + str(runs.set_index("run_id").loc[r, "created_at"])[:16] + f", {runs.set_index('run_id').loc[r, 'n_users']:,} users"))
table, config = evaluation_table(eng, int(run_id))
st.download_button("Download this run as a report (HTML)", data=lambda: eng.report("evaluation", run_id=int(run_id)),
                   file_name=f"evaluation-run-{int(run_id)}.html", mime="text/html", on_click="ignore",
                   icon=":material/download:", key="eval.report")
metric = st.segmented_control("Metric", ["ndcg@10", "hr@10", "mrr", "ndcg@20", "hr@20"], default="ndcg@10",
                              key="eval.metric") or "ndcg@10"

main = table[table["kind"] != "sweep"].copy()
sweep_rows = table[table["kind"] == "sweep"]
if not sweep_rows.empty:  # the best fixed weight on NDCG@10, for the comparison the slider invites
    best_fixed = sweep_rows.loc[[sweep_rows["ndcg@10"].idxmax()]]
    NAMES[str(best_fixed["model"].iloc[0])] = f"best fixed weight ({str(best_fixed['model'].iloc[0])[6:]})"
    main = pd.concat([main, best_fixed])
versus = evaluation_comparison(eng, int(run_id)).set_index("model")
GAP = "gate − model, NDCG@10 (95%)"
VERDICTS = {"better": "gate better", "worse": "gate worse", "tie": "tie"}
if not versus.empty:
    gaps = main["model"].map(lambda m: (
        f"{versus.loc[m, 'delta']:+.3f} [{versus.loc[m, 'low']:+.3f}, {versus.loc[m, 'high']:+.3f}] "
        f"{VERDICTS[str(versus.loc[m, 'verdict'])]}") if m in versus.index else "")
    main.insert(main.columns.get_loc("ndcg@10") + 1, GAP, gaps)
main["model"] = main["model"].map(lambda m: NAMES.get(m, m))
shown = main.drop(columns=["kind"]).set_index("model")
numeric = [c for c in shown.columns if c != GAP]
lower_better = [c for c in numeric if c.startswith("calibration")]
st.dataframe(shown.style.format("{:.4f}", subset=numeric)
             .highlight_max(subset=[c for c in numeric if c not in lower_better], color="#d5f5e3")
             .highlight_min(subset=lower_better, color="#d5f5e3"), width="stretch")
confidence = eng.config.evaluation.confidence
st.caption("Green: best value in each column (for calibration KL the lowest). The column after NDCG@10 is the learned "
           f"gate's NDCG@10 minus the model's, with a {confidence:.0%} paired bootstrap interval over the test users: "
           "a tie means the interval covers zero, so the gap is within the noise of this many users.")

curve, refs, learned = alpha_curve_data(table, config, metric)
oracle = config.get("oracle_alpha_ndcg_10")
chosen = st.session_state.get("lab.alpha") if not st.session_state.get("lab.learned", True) else None
st.plotly_chart(build_alpha_curve(curve, metric, chosen, learned, refs),
                width="stretch", key="eval.curve")
light_max = config.get("light_user_max_items")
st.caption(f"Light users have at most {light_max} training items (the median), heavy users more. The shaded band "
           "is where the learned weights of the test users fall (10th to 90th percentile). The red line is the "
           "lab's slider when it is not on the learned weight." + (
               " The top line picks each test user's best fixed weight knowing the answer: no gate can reach it, "
               "the gap to the learned gate is what per-user fusion could still win." if metric == "ndcg@10" and
               isinstance(oracle, float) else "") + ("" if metric == "ndcg@10" else
                                                                   " Per-segment curves are stored for NDCG@10."))
with st.expander("Past runs"):
    st.dataframe(runs, hide_index=True, width="stretch")
