"""Data: browse what the database holds, and import files: upload or name them, map their
columns, read the validation report, then commit (all or nothing)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_ui.shared import clear_data_caches, engine, feeds, overview, preview, save_upload, show_error
from recsys_core.data.browse import PreviewTable
from recsys_core.errors import ImportValidationError, RecsysError, count_problems

TABLES: dict[str, PreviewTable] = {"items": "items", "users": "users", "interactions": "interactions"}

KINDS = {"items": "Items", "interactions": "Interactions", "users": "User profiles (optional)"}
PLAN = "data.plan"

eng = engine()
max_rows = eng.config.display.preview_rows
st.title("Data")
browse, load = st.tabs(["Browse", "Import"])

with browse:
    table = st.segmented_control("Table", ["items", "users", "interactions"], default="items", key="data.table")
    search = st.text_input("Search", key="data.search", placeholder="title, user id or item id")
    shown_table = TABLES.get(table or "items", "items")
    frame = preview(eng, eng.data_version(), shown_table, max_rows, search.strip())
    st.dataframe(frame, width="stretch", hide_index=True, height=520)
    info = overview(eng, eng.data_version()).info  # cached per data version
    total = {"items": info.n_items, "users": info.n_users, "interactions": info.n_interactions}[shown_table]
    if search.strip():
        st.caption(f"The first {max_rows:,} matching {shown_table}; narrow the search for the rest."
                   if len(frame) >= max_rows else f"{len(frame):,} matching {shown_table}.")
    else:
        st.caption(f"The first {len(frame):,} of {total:,} {shown_table}; search to find others." if total > len(frame)
                   else f"All {total:,} {shown_table}.")

with load:
    st.caption("CSV, TSV, Parquet or JSON Lines. Items need an id and a title; interactions a user, an item and a "
               "timestamp. Files are checked first; nothing is written until you import, and a failed import "
               "changes nothing.")
    source = st.radio("Files", ["Upload", "Paths on the server"], horizontal=True, key="data.source")
    paths: dict[str, str] = {}
    for kind, label in KINDS.items():
        if source == "Upload":
            up = st.file_uploader(label, type=["csv", "tsv", "txt", "parquet", "jsonl", "ndjson", "json"],
                                  key=f"data.upload_{kind}")
            if up is not None:
                paths[kind] = save_upload(up)
        else:
            typed = st.text_input(label, key=f"data.path_{kind}", placeholder=f"/path/to/{kind}.csv").strip()
            if typed:
                paths[kind] = typed

    columns: dict[str, dict[str, str]] = {}
    for kind, path in paths.items():
        try:
            found, guessed, fields = eng.file_columns(path, kind)
        except (RecsysError, OSError) as exc:
            show_error(exc if isinstance(exc, RecsysError) else RecsysError(f"{path}: {exc}"))
            continue
        with st.expander(f"{KINDS[kind]}: columns of {path.rsplit('/', 1)[-1]}", expanded=False):
            cols = st.columns(len(fields))
            chosen = {}
            for col, field in zip(cols, fields, strict=True):
                options = ["(none)", *found]
                default = options.index(guessed[field]) if field in guessed else 0
                pick = col.selectbox(field, options, index=default, key=f"data.map_{kind}_{field}")
                if pick != "(none)":
                    chosen[field] = pick
            columns[kind] = chosen

    replace = st.checkbox("Replace all data in the database", key="data.replace",
                          help="Otherwise rows are added or updated; importing the same files again changes nothing")
    asked = repr((sorted(paths.items()), sorted((k, sorted(v.items())) for k, v in columns.items()), replace))
    if st.button("Check the files", key="data.check", disabled=not paths, icon=":material/fact_check:"):
        st.session_state[PLAN] = (asked, eng.check_import(paths.get("items"), paths.get("interactions"),
                                                          paths.get("users"), columns, replace))
    checked = st.session_state.get(PLAN)
    plan = checked[1] if checked is not None and checked[0] == asked else None  # a report for other files is stale
    if plan is not None:
        if plan.problems:
            st.error(f"{count_problems(plan.problems):,} problem(s); nothing can be imported until they are fixed.",
                     icon=":material/error:")
            st.dataframe(pd.DataFrame([{"file": p.file, "row": p.row, "column": p.column, "problem": p.message,
                                        "same in more rows": p.more or None}
                                       for p in plan.problems]), hide_index=True, width="stretch",
                         column_config={"problem": st.column_config.TextColumn(width="large")})
        else:
            counts = plan.row_counts()
            st.success("Ready: " + ", ".join(f"{n:,} {k}" for k, n in counts.items() if n), icon=":material/check:")
            for name in ("items", "interactions", "users"):
                frame = getattr(plan, name)
                if frame is not None and len(frame):
                    st.markdown(f"**{name}** (first rows as they will be stored)")
                    st.dataframe(frame.head(5), hide_index=True, width="stretch")
            if st.button("Import", key="data.commit", type="primary", icon=":material/upload:"):
                bar = st.progress(0.0, text="writing")
                try:
                    report = eng.commit_import(plan, replace, feeds(bar))
                except (ImportValidationError, RecsysError) as exc:
                    show_error(exc)
                else:
                    del st.session_state[PLAN]
                    clear_data_caches()
                    st.success("Imported: " + ", ".join(f"{n:,} {k} new or changed" for k, n in report.changed.items())
                               + f" in {report.seconds:.1f} s. Rebuild the model on the Overview page to include them.")
