"""Read one input file (CSV, TSV, Parquet, JSON Lines) into a frame of strings.

Readers check what a file really is before trusting its extension, refuse bytes that are
not UTF-8, empty files and oversized fields, and report every problem with the file name
and, where it has one, the row. Every value comes back as a string (missing values as
``""``) so ids keep their exact spelling; typing happens in the importers. Rows are
numbered from 1 for the first data row (the header is not a row).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd

from recsys_core.errors import ImportProblem, ImportValidationError

FileFormat = Literal["csv", "tsv", "parquet", "jsonl"]

_EXTENSIONS: dict[str, FileFormat] = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}


@dataclass(frozen=True, slots=True)
class RawTable:
    """A file's rows as strings. ``frame`` has the file's own column names."""

    name: str
    frame: pd.DataFrame


def detect_format(path: Path) -> FileFormat:
    """The format named by the file's extension."""
    fmt = _EXTENSIONS.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(_EXTENSIONS))
        raise ImportValidationError(
            [ImportProblem(path.name, f"unknown file type '{path.suffix}'; use one of {known}")]
        )
    return fmt


def _sniff(head: bytes) -> str | None:
    """Name what a file's first bytes say it is, when that is not plain text."""
    if head.startswith(b"PAR1"):
        return "a Parquet file"
    if head.startswith(b"PK\x03\x04"):
        return "a ZIP archive (or an Excel workbook); unpack or export it as CSV first"
    if head.startswith(b"\x89PNG") or head.startswith(b"\xff\xd8\xff") or head.startswith(b"GIF8"):
        return "an image"
    if head.startswith(b"%PDF"):
        return "a PDF document"
    if head.startswith(b"\x1f\x8b"):
        return "a gzip archive; decompress it first"
    if b"\x00" in head[:4096]:
        return "a binary file"
    return None


def _decode(name: str, data: bytes, header_lines: int) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        row = line - header_lines
        bad = data[exc.start : exc.start + 1].hex()
        raise ImportValidationError(
            [
                ImportProblem(
                    name,
                    f"the file is not valid UTF-8 (byte 0x{bad} on line {line}); "
                    "save it as UTF-8 and import again",
                    row=row if row >= 1 else None,
                )
            ]
        ) from None


def _check_field_sizes(name: str, frame: pd.DataFrame, max_field_bytes: int, problems: list[ImportProblem]) -> None:
    for column in frame.columns:
        lengths = frame[column].str.len()
        over = lengths[lengths > max_field_bytes]
        for idx, length in over.items():
            problems.append(
                ImportProblem(
                    name,
                    f"field is {int(length):,} characters, over the limit of {max_field_bytes:,}",
                    row=int(idx) + 1,  # type: ignore[call-overload]
                    column=str(column),
                )
            )


def _read_delimited(name: str, text: str, sep: str) -> pd.DataFrame:
    try:
        frame = pd.read_csv(
            io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, na_filter=False, engine="c"
        )
    except pd.errors.EmptyDataError:
        raise ImportValidationError([ImportProblem(name, "the file is empty")]) from None
    except pd.errors.ParserError as exc:
        raise ImportValidationError([ImportProblem(name, f"cannot read as CSV: {exc}")]) from None
    header = next(csv.reader(io.StringIO(text.lstrip("\ufeff").split("\n", 1)[0]), delimiter=sep), [])
    names = [h.strip() for h in header]
    twice = sorted({h for h in names if h and names.count(h) > 1})
    if twice:
        raise ImportValidationError([ImportProblem(
            name, "the header names " + ", ".join(f"'{h}'" for h in twice) + " more than once; give every "
            "column its own name")])
    unnamed = [c for c in frame.columns if str(c).startswith("Unnamed:")]
    if unnamed and len(unnamed) == len(frame.columns):
        raise ImportValidationError([ImportProblem(name, "the header line has no column names")])
    return frame


def _read_jsonl(name: str, text: str) -> pd.DataFrame:
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            records = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ImportValidationError([ImportProblem(name, f"invalid JSON: {exc}")]) from None
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise ImportValidationError([ImportProblem(name, "a JSON file must be an array of objects")])
    else:
        records = []
        for line_no, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                what = "JSON Lines (one JSON object per line)"
                raise ImportValidationError(
                    [ImportProblem(name, f"line {line_no} is not valid {what}: {exc.msg}", row=len(records) + 1)]
                ) from None
            if not isinstance(obj, dict):
                raise ImportValidationError(
                    [ImportProblem(name, f"line {line_no} is not a JSON object", row=len(records) + 1)]
                )
            records.append(obj)
    if not records:
        raise ImportValidationError([ImportProblem(name, "the file is empty")])
    rows = [
        {k: ("" if v is None else v if isinstance(v, str) else json.dumps(v)) for k, v in r.items()}
        for r in records
    ]
    return pd.DataFrame(rows).fillna("").astype(str)


def _read_parquet(name: str, data: bytes) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(io.BytesIO(data))
    except (pa.ArrowInvalid, OSError) as exc:
        raise ImportValidationError([ImportProblem(name, f"not a valid Parquet file: {exc}")]) from None
    frame = table.to_pandas()
    out = pd.DataFrame(index=frame.index)
    for column in frame.columns:
        col = frame[column]
        if pd.api.types.is_datetime64_any_dtype(col):
            text = col.dt.strftime("%Y-%m-%dT%H:%M:%S")
        elif pd.api.types.is_float_dtype(col):
            # Keep integral floats (ids stored as float by some tools) without a trailing ".0".
            text = col.map(lambda v: "" if pd.isna(v) else (str(int(v)) if float(v).is_integer() else repr(float(v))))
        else:
            text = col.map(lambda v: "" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v))
        out[str(column)] = text.fillna("").astype(str)
    return out


def read_table(path: str | Path, max_field_bytes: int = 1_000_000, display_name: str | None = None) -> RawTable:
    """Read a file into strings, checking its real type, encoding and field sizes.

    Args:
        path: The file. Its extension picks the format: .csv/.txt, .tsv, .parquet,
            .jsonl/.ndjson/.json.
        max_field_bytes: Largest accepted cell, in characters.
        display_name: Name used in messages (defaults to the file name).

    Returns:
        The rows as strings, missing values as ``""``.

    Raises:
        ImportValidationError: The file is missing, empty, of another type than its
            extension says, not UTF-8, not parseable, or has an oversized field.
    """
    path = Path(path)
    name = display_name or path.name
    if path.is_dir():
        raise ImportValidationError([ImportProblem(name, f"{path} is a folder, not a file (a MovieLens folder "
                                                         "is imported with --movielens)")])
    if not path.is_file():
        raise ImportValidationError([ImportProblem(name, f"file not found: {path}")])
    fmt = detect_format(path)
    data = path.read_bytes()
    if not data.strip():
        raise ImportValidationError([ImportProblem(name, "the file is empty")])
    what = _sniff(data[:8192])
    if fmt == "parquet":
        if what != "a Parquet file":
            kind = what or "a text file"
            raise ImportValidationError(
                [ImportProblem(name, f"the file ends in .parquet but is {kind}, not Parquet")]
            )
        frame = _read_parquet(name, data)
    else:
        if what is not None:
            raise ImportValidationError(
                [ImportProblem(name, f"the file ends in {path.suffix} but is {what}, not {fmt.upper()} text")]
            )
        text = _decode(name, data, header_lines=1 if fmt in ("csv", "tsv") else 0)
        if "\x00" in text:  # past the sniffed head: a damaged or partly binary file
            line = text[: text.index("\x00")].count("\n") + 1
            raise ImportValidationError([ImportProblem(
                name, f"the file holds a NUL byte on line {line}: it is damaged or not a text file",
                row=line - 1 if fmt in ("csv", "tsv") and line > 1 else None)])
        if fmt == "jsonl":
            if not text.lstrip().startswith(("{", "[")):
                raise ImportValidationError(
                    [ImportProblem(name, f"the file ends in {path.suffix} but does not hold JSON (it starts "
                                         f"with {text.lstrip()[:20]!r})")]
                )
            frame = _read_jsonl(name, text)
        else:
            first = text.lstrip()[:1]
            if first in ("{", "["):
                raise ImportValidationError(
                    [ImportProblem(name, f"the file ends in {path.suffix} but holds JSON; rename it to .jsonl")]
                )
            frame = _read_delimited(name, text, "\t" if fmt == "tsv" else ",")
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty:
        raise ImportValidationError([ImportProblem(name, "the file has a header but no data rows")])
    problems: list[ImportProblem] = []
    _check_field_sizes(name, frame, max_field_bytes, problems)
    if problems:
        raise ImportValidationError(problems)
    return RawTable(name=name, frame=frame.reset_index(drop=True))
