"""Turn raw string tables into typed, checked frames for the store, collecting problems.

Pure pandas: nothing here touches the database. Each ``prepare_*`` function maps source
columns onto the store's fields (by an explicit mapping or by well-known aliases), types
the values, and returns the clean frame with every problem found, each naming the file,
the row and the column. The importers refuse to write anything while a problem remains.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from recsys_core.data.readers import RawTable
from recsys_core.errors import ImportProblem


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """A store field and the source column names that mean it."""

    name: str
    required: bool
    aliases: tuple[str, ...]


ITEM_FIELDS = (
    FieldSpec("item_id", True, ("item_id", "itemid", "id", "item", "movieid", "product_id", "productid", "sku")),
    FieldSpec("title", True, ("title", "name", "product_name", "item_name")),
    FieldSpec("text", False, ("text", "description", "desc", "body", "overview", "summary")),
    FieldSpec("category", False, ("category", "category_path", "categories", "genres", "genre", "department")),
)
INTERACTION_FIELDS = (
    FieldSpec("user_id", True, ("user_id", "userid", "user", "customer_id", "customerid", "visitor_id")),
    FieldSpec("item_id", True, ("item_id", "itemid", "item", "movieid", "product_id", "productid", "sku")),
    FieldSpec("timestamp", True, ("timestamp", "ts", "time", "datetime", "date", "occurred_at", "event_time", "created_at")),
    FieldSpec("event_type", False, ("event_type", "event", "type", "action", "interaction")),
    FieldSpec("value", False, ("value", "rating", "score", "stars")),
    FieldSpec("text", False, ("text", "review", "review_text", "comment", "tag", "tags")),
)
USER_FIELDS = (
    FieldSpec("user_id", True, ("user_id", "userid", "user", "customer_id", "customerid", "id")),
    FieldSpec("profile_text", False, ("profile_text", "profile", "text", "bio", "about", "description")),
)

DEFAULT_EVENT_TYPE = "interaction"
_NUMERIC = re.compile(r"^\s*[+-]?\d+(\.\d*)?\s*$")
_MIN_TS = pd.Timestamp("1970-01-01")
_MAX_TS = pd.Timestamp("2100-01-01")
_ISO_YEAR = r"^([+-]?\d{4,})-\d{1,2}"


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9_]", "", name.strip().lower().replace(" ", "_").replace("-", "_"))


def resolve_columns(
    table: RawTable, fields: tuple[FieldSpec, ...], mapping: Mapping[str, str] | None = None
) -> tuple[dict[str, str], list[ImportProblem]]:
    """Find the source column of each field.

    Args:
        table: The raw file.
        fields: The store fields wanted.
        mapping: Explicit ``{field: source column}`` choices; other fields are found by alias.

    Returns:
        ``({field: source column}, problems)``; a missing required field is a problem.
    """
    mapping = dict(mapping or {})
    problems: list[ImportProblem] = []
    columns = list(table.frame.columns)
    by_norm: dict[str, str] = {}
    for col in columns:
        by_norm.setdefault(_norm(col), col)
    known = {f.name for f in fields}
    for field_name in mapping:
        if field_name not in known:
            problems.append(
                ImportProblem(table.name, f"unknown field '{field_name}' in the column mapping; "
                                          f"fields are {', '.join(sorted(known))}")
            )
    resolved: dict[str, str] = {}
    used: set[str] = set()
    for spec in fields:
        source = mapping.get(spec.name)
        if source:
            if source not in columns:
                problems.append(
                    ImportProblem(table.name, f"the mapping names column '{source}' for {spec.name}, but the "
                                              f"file has no such column (found: {', '.join(columns)})")
                )
                continue
            resolved[spec.name] = source
            used.add(source)
            continue
        for alias in spec.aliases:
            col = by_norm.get(alias)
            if col is not None and col not in used:
                resolved[spec.name] = col
                used.add(col)
                break
        if spec.name not in resolved and spec.required:
            problems.append(
                ImportProblem(
                    table.name,
                    f"missing required column '{spec.name}' (found columns: {', '.join(columns)}); "
                    f"rename a column or map it",
                    column=spec.name,
                )
            )
    return resolved, problems


def _row_problems(
    name: str, mask: pd.Series, column: str, message: str | pd.Series, limit: int
) -> list[ImportProblem]:
    hits = np.flatnonzero(mask.to_numpy())
    rows = hits[:limit]
    if isinstance(message, pd.Series):
        out = [ImportProblem(name, str(message.iloc[i]), row=int(i) + 1, column=column) for i in rows]
    else:
        out = [ImportProblem(name, message, row=int(i) + 1, column=column) for i in rows]
    if len(hits) > limit and out:  # every bad row is counted, the first ``limit`` are listed
        out[-1] = dataclasses.replace(out[-1], more=int(len(hits) - limit))
    return out


def read_timestamps(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse ISO-8601 strings or Unix seconds into naive UTC timestamps.

    Strings with an offset are converted to UTC; strings without one are taken as UTC.
    Returns ``(times, out_of_range)``: times are NaT where a value cannot be parsed or lies
    outside 1970-2100, and ``out_of_range`` marks the second kind (a time, but not one an event
    here can have), so messages can tell them apart.
    """
    text = values.astype(str).str.strip()
    numeric = text.str.match(_NUMERIC)
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]")
    beyond = pd.Series(False, index=values.index)
    if numeric.any():
        seconds = pd.to_numeric(text[numeric], errors="coerce")
        ok = seconds.abs() < 4.2e9  # inside 1970..2100; larger numbers are not Unix seconds
        beyond.loc[seconds.index[~ok.to_numpy()]] = True
        parsed = pd.to_datetime(seconds[ok], unit="s", errors="coerce")
        out.loc[parsed.index] = parsed.astype("datetime64[us]")
    rest = ~numeric & (text != "")
    if rest.any():
        parsed = pd.to_datetime(text[rest], format="ISO8601", utc=True, errors="coerce")
        out.loc[parsed.index] = parsed.dt.tz_localize(None).astype("datetime64[us]")
        year = pd.to_numeric(text[rest].str.extract(_ISO_YEAR, expand=False), errors="coerce")
        beyond.loc[year.index] |= (year < _MIN_TS.year) | (year >= _MAX_TS.year)
    beyond |= out.notna() & ((out < _MIN_TS) | (out >= _MAX_TS))
    out[beyond] = pd.NaT
    return out, beyond


def parse_timestamps(values: pd.Series) -> pd.Series:
    """:func:`read_timestamps` without telling why a value became NaT."""
    return read_timestamps(values)[0]


def timestamp_problems(name: str, raw: pd.Series, column: str, limit: int) -> tuple[pd.Series, list[ImportProblem]]:
    """Parse a timestamp column and name every bad value: not a time, a time outside 1970-2100,
    or a time after tomorrow (an event that cannot have happened yet: one such row would become
    "now" for its user and move the data's clock for everyone)."""
    times, beyond = read_timestamps(raw)
    shown = raw.astype(str).map(lambda v: repr(v[:40]))
    problems = _row_problems(name, times.isna() & ~beyond & (raw.astype(str).str.strip() != ""), column,
                             "cannot parse " + shown + " as a timestamp (expected ISO-8601 such as "
                             "2026-03-01T12:00:00Z, or Unix seconds)", limit)
    problems += _row_problems(name, raw.astype(str).str.strip() == "", column, "empty timestamp", limit)
    problems += _row_problems(name, beyond, column, shown + f" is a time outside {_MIN_TS.year}-{_MAX_TS.year - 1} "
                              "(Unix seconds? milliseconds must be divided by 1000)", limit)
    tomorrow = pd.Timestamp.now(tz="UTC").tz_localize(None).normalize() + pd.Timedelta(days=2)
    problems += _row_problems(name, times.notna() & (times >= tomorrow), column,
                              shown + f" is in the future (after {tomorrow - pd.Timedelta(days=1):%Y-%m-%d})", limit)
    return times, problems


def _string(frame: pd.DataFrame, cols: dict[str, str], field: str, default: str = "") -> pd.Series:
    if field in cols:
        return frame[cols[field]].astype(str)
    return pd.Series(default, index=frame.index, dtype=object).astype(str)


def _empty_ids(table: RawTable, series: pd.Series, column: str, limit: int) -> list[ImportProblem]:
    return _row_problems(table.name, series.str.strip() == "", column, "empty id", limit)


def prepare_items(
    table: RawTable, mapping: Mapping[str, str] | None = None, limit: int = 200
) -> tuple[pd.DataFrame, list[ImportProblem]]:
    """Items ready for the store: item_id, title, text, category, attributes (JSON text).

    Columns not mapped to a field are kept as ``attributes``. Rows repeating an item id
    with identical content are merged; the same id with different content is a problem.
    """
    cols, problems = resolve_columns(table, ITEM_FIELDS, mapping)
    if problems:
        return pd.DataFrame(), problems
    frame = table.frame
    out = pd.DataFrame(
        {
            "item_id": frame[cols["item_id"]].astype(str),
            "title": _string(frame, cols, "title").str.strip(),
            "text": _string(frame, cols, "text").str.strip(),
            "category": _string(frame, cols, "category").str.strip(),
        }
    )
    problems += _empty_ids(table, out["item_id"], cols["item_id"], limit)
    problems += _row_problems(table.name, out["title"] == "", cols["title"], "empty title", limit)
    extra = [c for c in frame.columns if c not in cols.values()]
    if extra:
        records = frame[extra].to_dict(orient="records")
        out["attributes"] = [json.dumps({k: v for k, v in r.items() if v != ""}, ensure_ascii=False) for r in records]
    else:
        out["attributes"] = "{}"
    problems += _duplicate_problems(table, out, "item_id", cols["item_id"], "item", limit)
    out = out.drop_duplicates(subset=["item_id"], keep="first")
    return out.reset_index(drop=True), problems


def _duplicate_problems(
    table: RawTable, frame: pd.DataFrame, key: str, source_col: str, what: str, limit: int
) -> list[ImportProblem]:
    dup_key = frame.duplicated(subset=[key], keep=False)
    if not dup_key.any():
        return []
    problems: list[ImportProblem] = []
    same = frame.duplicated(keep=False)  # identical content: harmless, merged
    first_row = frame[dup_key].reset_index().groupby(key)["index"].min()
    conflict = dup_key & ~same
    later = [i for i in np.flatnonzero(conflict.to_numpy()) if int(first_row[frame[key].iloc[i]]) != i]
    for i in later[:limit]:
        ident = frame[key].iloc[i]
        problems.append(ImportProblem(
            table.name, f"duplicate {what} id '{ident}' with different content (first seen in row "
                        f"{int(first_row[ident]) + 1})", row=int(i) + 1, column=source_col))
    if len(later) > limit:
        problems[-1] = dataclasses.replace(problems[-1], more=len(later) - limit)
    return problems


def prepare_interactions(
    table: RawTable,
    known_items: set[str] | None,
    mapping: Mapping[str, str] | None = None,
    limit: int = 200,
) -> tuple[pd.DataFrame, list[ImportProblem]]:
    """Interactions ready for the store: user_id, item_id, occurred_at, event_type, value, text.

    Args:
        table: The raw file.
        known_items: Item ids that exist (in the same import or the database); an
            interaction naming another item is a problem. ``None`` skips the check.
        mapping: Explicit field -> column choices.
        limit: Most problems listed per kind.
    """
    cols, problems = resolve_columns(table, INTERACTION_FIELDS, mapping)
    if problems:
        return pd.DataFrame(), problems
    frame = table.frame
    raw_ts = frame[cols["timestamp"]].astype(str)
    out = pd.DataFrame(
        {
            "user_id": frame[cols["user_id"]].astype(str),
            "item_id": frame[cols["item_id"]].astype(str),
            "occurred_at": pd.NaT,
            "event_type": _string(frame, cols, "event_type").str.strip().str.lower(),
            "value": np.nan,
            "text": _string(frame, cols, "text"),
        }
    )
    out.loc[out["event_type"] == "", "event_type"] = DEFAULT_EVENT_TYPE
    problems += _empty_ids(table, out["user_id"], cols["user_id"], limit)
    problems += _empty_ids(table, out["item_id"], cols["item_id"], limit)
    out["occurred_at"], found = timestamp_problems(table.name, raw_ts, cols["timestamp"], limit)
    problems += found
    if "value" in cols:
        raw_value = frame[cols["value"]].astype(str).str.strip()
        value = pd.to_numeric(raw_value.where(raw_value != ""), errors="coerce")
        bad = value.isna() & (raw_value != "")
        problems += _row_problems(
            table.name, bad, cols["value"], "cannot parse " + raw_value.map(lambda v: repr(v[:40])) + " as a number", limit
        )
        out["value"] = value.astype(float)
    if known_items is not None:
        unknown = ~out["item_id"].isin(known_items) & (out["item_id"].str.strip() != "")
        problems += _row_problems(
            table.name,
            unknown,
            cols["item_id"],
            "unknown item " + out["item_id"].map(lambda v: repr(v[:40])) + " (not in the items file nor the database)",
            limit,
        )
    # The same event twice: keep the last row (a corrected rating replaces the old one).
    out = out.drop_duplicates(subset=["user_id", "item_id", "occurred_at", "event_type"], keep="last")
    out["text"] = out["text"].where(out["text"] != "", None)
    return out.reset_index(drop=True), problems


def prepare_users(
    table: RawTable, mapping: Mapping[str, str] | None = None, limit: int = 200
) -> tuple[pd.DataFrame, list[ImportProblem]]:
    """User profiles ready for the store: user_id, profile_text (None when empty)."""
    cols, problems = resolve_columns(table, USER_FIELDS, mapping)
    if problems:
        return pd.DataFrame(), problems
    frame = table.frame
    out = pd.DataFrame(
        {"user_id": frame[cols["user_id"]].astype(str), "profile_text": _string(frame, cols, "profile_text").str.strip()}
    )
    problems += _empty_ids(table, out["user_id"], cols["user_id"], limit)
    problems += _duplicate_problems(table, out, "user_id", cols["user_id"], "user", limit)
    out = out.drop_duplicates(subset=["user_id"], keep="first")
    out["profile_text"] = out["profile_text"].where(out["profile_text"] != "", None)
    return out.reset_index(drop=True), problems
