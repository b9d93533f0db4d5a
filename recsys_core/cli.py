"""The command line: ``python -m recsys_core [--db PATH] COMMAND ...``.

Each command is a thin wrapper over the engine: parse arguments, call one engine function,
print the result. Errors the engine raises on purpose are printed as one readable message
(exit code 1), never as a traceback. Long steps show a progress bar on stderr.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from recsys_core.config import RecsysConfig
from recsys_core.errors import ImportValidationError, RecsysError

_log = logging.getLogger(__name__)


@contextmanager
def progress_bar(description: str) -> Iterator[Callable[[str, float], None]]:
    """A tqdm bar on stderr driven by engine callbacks ``(stage, fraction)``."""
    from tqdm import tqdm

    bar = tqdm(total=100, desc=description, file=sys.stderr, leave=True,
               bar_format="{desc:<48} {percentage:3.0f}%|{bar:30}| {elapsed}")

    def update(stage: str, fraction: float) -> None:
        bar.set_description_str(f"{description}: {stage}"[:48], refresh=False)
        bar.n = round(100 * min(max(fraction, 0.0), 1.0))
        bar.refresh()

    try:
        yield update
    finally:
        bar.close()


def _open_store(config: RecsysConfig, read_only: bool = False):  # noqa: ANN202 - Store, imported lazily
    from recsys_core.data.store import Store

    return Store(config.db_path, read_only=read_only, config=config.store).connect()


def _print_report(report: object) -> None:
    data = dataclasses.asdict(report)  # type: ignore[call-overload]
    changed = ", ".join(f"{k} {v:,}" for k, v in data["changed"].items())
    read = ", ".join(f"{k} {v:,}" for k, v in data["rows_read"].items() if v)
    if data["import_id"] is None:
        print(f"Nothing changed: the database already holds these rows (read: {read}).")
    else:
        print(f"Import {data['import_id']} ({data['kind']}) done in {data['seconds']:.1f} s.")
        print(f"  read:    {read}")
        print(f"  changed: {changed}")
    for note in data["notes"]:
        print(f"  note: {note}")


def _print_info(config: RecsysConfig, as_json: bool) -> None:
    path = config.db_path
    from recsys_core.data.store import Store

    store = Store(path, read_only=True, config=config.store)
    with store:
        info = store.info()
    if as_json:
        print(json.dumps(dataclasses.asdict(info), indent=2))
        return
    print(f"database        {info.path}")
    print(f"schema version  {info.schema_version}")
    print(f"data version    {info.data_version}")
    print(f"items           {info.n_items:,}")
    print(f"users           {info.n_users:,}")
    print(f"interactions    {info.n_interactions:,}")
    print(f"tags            {info.n_tags:,}")
    print(f"events from     {info.first_event_at or '-'}")
    print(f"events to       {info.last_event_at or '-'}")


def cmd_sample(args: argparse.Namespace, config: RecsysConfig) -> int:
    from recsys_core.data.sample import load_sample

    folder = Path(args.source) if args.source else config.sample_dir
    store = _open_store(config)
    with store, progress_bar("loading sample") as bar:
        report = load_sample(store, folder, replace=True, on_progress=bar)
    _print_report(report)
    return 0


def _parse_mappings(pairs: Sequence[str]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for pair in pairs:
        key, sep, column = pair.partition("=")
        table, dot, field = key.partition(".")
        if not sep or not dot or table not in ("items", "interactions", "users") or not column:
            raise RecsysError(
                f"bad --map {pair!r}: write FILE.FIELD=COLUMN, for example items.item_id=sku "
                "(FILE is items, interactions or users)"
            )
        out.setdefault(table, {})[field] = column
    return out


def cmd_import(args: argparse.Namespace, config: RecsysConfig) -> int:
    from recsys_core.data.importers import commit_plan, plan_files, plan_movielens

    if args.movielens and (args.items or args.interactions or args.users):
        raise RecsysError("give either --movielens DIR or generic files (--items/--interactions/--users), not both")
    if not args.movielens and not (args.items or args.interactions or args.users):
        raise RecsysError("nothing to import: give --movielens DIR, or --items/--interactions/--users files")
    store = _open_store(config)
    with store:
        with progress_bar("checking files") as bar:
            bar("reading and checking files", 0.05)
            if args.movielens:
                plan = plan_movielens(store, args.movielens, config.imports)
            else:
                plan = plan_files(
                    store, args.items, args.interactions, args.users,
                    columns=_parse_mappings(args.map), config=config.imports, replace=args.replace,
                )
            bar("checked", 1.0)
        if not plan.ok:
            raise ImportValidationError(plan.problems)
        if args.check:
            counts = ", ".join(f"{k} {v:,}" for k, v in plan.row_counts().items() if v)
            print(f"Check passed, nothing written. Rows: {counts}.")
            for note in plan.notes:
                print(f"  note: {note}")
            return 0
        with progress_bar("importing") as bar:
            report = commit_plan(store, plan, replace=args.replace, on_progress=bar)
    _print_report(report)
    return 0


def cmd_info(args: argparse.Namespace, config: RecsysConfig) -> int:
    _print_info(config, args.json)
    return 0


def cmd_generate_sample(args: argparse.Namespace, config: RecsysConfig) -> int:
    from recsys_core.synthetic.sample_files import write_sample

    out = Path(args.out) if args.out else config.sample_dir
    with progress_bar("generating sample") as bar:
        bar("simulating catalogue and users", 0.1)
        counts = write_sample(out, n_items=args.items, n_users=args.users, seed=args.seed)
        bar("written", 1.0)
    for name, n in counts.items():
        print(f"  {out / name}: {n:,} rows")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; ``--db`` is accepted before or after the command."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", default=argparse.SUPPRESS, metavar="PATH",
                        help="database file (default: $RECSYS_DB or data/recsys.duckdb)")
    parser = argparse.ArgumentParser(
        prog="python -m recsys_core",
        description="Interest explorer engine: load data, inspect the database.",
        parents=[common],
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log what the engine does")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("sample", parents=[common], help="(re)create the database from the shipped sample data",
                       description="Replace everything in the database with the sample in sample_data/.")
    p.add_argument("--from", dest="source", metavar="DIR", help="sample folder (default: sample_data/)")
    p.set_defaults(func=cmd_sample)

    p = sub.add_parser(
        "import", parents=[common], help="import generic files or a MovieLens folder",
        description="Import items, interactions and user profiles (CSV, TSV, Parquet or JSON Lines), or a "
                    "MovieLens folder. The import lands whole or not at all; importing the same files again "
                    "changes nothing.",
    )
    p.add_argument("--movielens", metavar="DIR", help="a folder with movies.csv, ratings.csv and optional tags.csv")
    p.add_argument("--items", metavar="FILE", help="items: id, title, optional text/description, category, ...")
    p.add_argument("--interactions", metavar="FILE",
                   help="interactions: user, item, timestamp (ISO-8601 or Unix seconds), optional event type, "
                        "rating/value, review/text")
    p.add_argument("--users", metavar="FILE", help="optional user profiles: user, profile text")
    p.add_argument("--map", action="append", default=[], metavar="FILE.FIELD=COLUMN",
                   help="use COLUMN for FIELD, e.g. items.item_id=sku or interactions.timestamp=ts (repeatable)")
    p.add_argument("--replace", action="store_true", help="replace all data in the database")
    p.add_argument("--check", action="store_true", help="only check the files; write nothing")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("info", parents=[common], help="print counts and versions",
                       description="Print what the database holds. Opens it read-only.")
    p.add_argument("--json", action="store_true", help="print JSON for machines")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("generate-sample", parents=[common], help="regenerate the sample data files",
                       description="Simulate the sample shop and write its CSV files and planted truth.")
    p.add_argument("--out", metavar="DIR", help="target folder (default: sample_data/)")
    p.add_argument("--items", type=int, default=2400, help="number of items (default 2400)")
    p.add_argument("--users", type=int, default=1200, help="number of users (default 1200)")
    p.add_argument("--seed", type=int, default=7, help="seed (default 7)")
    p.set_defaults(func=cmd_generate_sample)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    config = RecsysConfig.from_env()
    if getattr(args, "db", None):
        config = config.with_db(args.db)
    try:
        return int(args.func(args, config))
    except RecsysError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; nothing half-written (imports are transactions)", file=sys.stderr)
        return 130
