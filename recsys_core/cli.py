"""The command line: ``python -m recsys_core [--db PATH] COMMAND ...``.

Each command is a thin wrapper over the engine: parse arguments, call one engine function,
print the result. Errors the engine raises on purpose are printed as one readable message
(exit code 1), never as a traceback. Long steps show a progress bar on stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import logging
import math
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from recsys_core.config import RecsysConfig
from recsys_core.errors import ImportValidationError, RecsysError
from recsys_core.moments import as_of_label, parse_as_of

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
    engine = _engine(config, read_only=True)
    try:
        info = engine.info()
    finally:
        engine.close()
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
    def load(engine: Any, bar: Any) -> tuple[Any, int | None]:
        report = engine.load_sample(bar, args.source)
        return report, (engine.install_sample_model() if args.source is None else None)

    loaded: Any = _run_with_bar(config, "loading sample", load)
    report, build_id = loaded
    _print_report(report)
    if build_id is not None:
        print(f"Installed the sample's shipped model as build {build_id}: no build needed.")
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
    if args.movielens and (args.items or args.interactions or args.users):
        raise RecsysError("give either --movielens DIR or generic files (--items/--interactions/--users), not both")
    if not args.movielens and not (args.items or args.interactions or args.users):
        raise RecsysError("nothing to import: give --movielens DIR, or --items/--interactions/--users files")
    engine = _engine(config)
    try:
        with progress_bar("checking files") as bar:
            bar("reading and checking files", 0.05)
            plan = engine.check_import(args.items, args.interactions, args.users, columns=_parse_mappings(args.map),
                                       replace=args.replace, movielens=args.movielens)
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
            report = engine.commit_import(plan, replace=args.replace, on_progress=bar)
    finally:
        engine.close()
    _print_report(report)
    return 0


def cmd_make_sample_model(args: argparse.Namespace, config: RecsysConfig) -> int:
    import tempfile

    out = Path(args.out) if args.out else config.sample_dir / "model"
    with tempfile.TemporaryDirectory() as tmp:
        manifest: Any = _run_with_bar(config.with_db(Path(tmp) / "sample.duckdb"), "building the sample model",
                                      lambda engine, bar: engine.make_sample_model(out, bar))
    size = sum(p.stat().st_size for p in out.iterdir())
    print(f"Sample model written to {out} ({size / 1e6:.1f} MB, {len(manifest['files'])} files); "
          f"it is installed on a fresh database while the sample, the build code and its settings stay as they are.")
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


def _engine(config: RecsysConfig, read_only: bool = False):  # noqa: ANN202 - RecsysEngine, imported lazily
    from recsys_core.engine import RecsysEngine

    return RecsysEngine(config, read_only=read_only).open()


def _with_training_args(config: RecsysConfig, args: argparse.Namespace) -> RecsysConfig:
    """Apply --epochs and --seed where the command has them."""
    if getattr(args, "epochs", None) is not None:
        config = config.with_epochs(args.epochs)
    if getattr(args, "seed", None) is not None:
        config = dataclasses.replace(config, seed=args.seed)
    return config


def _with_cluster_args(config: RecsysConfig, args: argparse.Namespace) -> RecsysConfig:
    """Apply --ray and --ray-shared-dir where the command has them."""
    changes: dict[str, Any] = {}
    if getattr(args, "ray", None) is not None:
        address = args.ray.strip()
        if not address:
            raise RecsysError("--ray is empty: give the cluster head's HOST:PORT, or auto")
        if address != "auto" and "://" not in address and not re.fullmatch(r"\[?[\w.:-]+\]?:\d{1,5}", address):
            raise RecsysError(f"--ray {address!r} is not HOST:PORT (for example 10.0.0.5:6379), ray://HOST:PORT or auto")
        changes["address"] = address
    if getattr(args, "ray_shared_dir", None) is not None:
        changes["shared_dir"] = Path(args.ray_shared_dir)
    return dataclasses.replace(config, cluster=dataclasses.replace(config.cluster, **changes)) if changes else config


def _run_with_bar(config: RecsysConfig, label: str, step: Callable[..., object]) -> object:
    """Open the engine, run one long step with a progress bar, close the engine."""
    engine = _engine(config)
    try:
        with progress_bar(label) as bar:
            return step(engine, bar)
    finally:
        engine.close()


def cmd_build(args: argparse.Namespace, config: RecsysConfig) -> int:
    report: Any = _run_with_bar(_with_training_args(config, args), "build",
                                lambda engine, bar: engine.build(on_progress=bar,
                                                                 name_interests=False if args.no_names else None))
    secs = report.seconds
    print(f"Build {report.build_id} done in {secs['total']:.1f} s: {report.n_items:,} items, {report.n_users:,} users, "
          f"{report.n_fine} fine interests under {report.n_themes} themes.")
    print(f"  embedding {secs['embedding']:.1f} s ({report.n_new_texts:,} new texts), hierarchy "
          f"{secs['hierarchy']:.1f} s, training {secs['training']:.1f} s ({report.epochs_run} epochs, "
          f"final loss {report.final_loss:.3f}), saving {secs['saving']:.1f} s")
    return 0


def _reading_json(result: Any) -> dict[str, object] | None:
    """How the --interest text was read (liked and disliked concepts), None without one."""
    return result.reading_json()  # type: ignore[no-any-return]


def _moment(result: Any) -> str | None:
    """The moment the user was read at, as ISO-8601 UTC (minutes)."""
    return result.moment_text()  # type: ignore[no-any-return]


class RowWriter:
    """The recommend command's rows written as each user's list comes, so memory stays flat
    over every user: a JSON array with one object per line, or CSV (the evidence and the
    interest reading as JSON cells)."""

    FIELDS = ["user_id", "rank", "item_id", "score"]  # the CSV header when no row came
    AS_JSON = frozenset({"evidence", "interest_reading"})  # CSV cells written as JSON

    def __init__(self, fmt: str) -> None:
        import csv
        import io

        self.fmt, self.count = fmt, 0
        self._fields: list[str] = []
        self._cells: Any = None  # a row's cells in the header's order
        self._as_json: list[int] = []
        self._buffer = io.StringIO()  # one list's text, written to stdout at once
        self._csv = csv.writer(self._buffer)

    def write(self, rows: list[dict[str, object]]) -> None:
        if not rows:
            return
        if self.fmt == "json":
            sys.stdout.write(("[\n" if self.count == 0 else ",\n") + ",\n".join(map(json.dumps, rows)))
        else:
            if not self._fields:
                import operator

                self._fields = list(rows[0])
                self._cells = operator.itemgetter(*self._fields)
                self._as_json = [k for k, field in enumerate(self._fields) if field in self.AS_JSON]
                self._csv.writerow(self._fields)
            memo: dict[int, str] = {}  # a list's rows share one reading: written as JSON once
            lines = []
            for row in rows:
                cells = list(self._cells(row))
                for k in self._as_json:
                    if (text := memo.get(id(cells[k]))) is None:
                        text = memo[id(cells[k])] = json.dumps(cells[k])
                    cells[k] = text
                lines.append(cells)
            self._csv.writerows(lines)
            sys.stdout.write(self._buffer.getvalue())
            self._buffer.seek(0)
            self._buffer.truncate()
        self.count += len(rows)

    def close(self) -> None:
        if self.fmt == "json":
            sys.stdout.write("[]\n" if self.count == 0 else "\n]\n")
        elif not self._fields:
            self._csv.writerow(self.FIELDS)
            sys.stdout.write(self._buffer.getvalue())


def _reader_gone() -> int:
    """Point stdout at /dev/null once its reader has closed the pipe, so the exit's final
    flush does not fail too, and end with success: the rows written were the ones asked for."""
    with contextlib.suppress(AttributeError, OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def cmd_recommend(args: argparse.Namespace, config: RecsysConfig) -> int:
    if not args.user and not args.all_users:
        raise RecsysError("say whose recommendations: --user U (repeatable) or --all-users")
    if args.alpha is not None and not 0.0 <= args.alpha <= 1.0:
        raise RecsysError(f"--alpha must be between 0 and 1, got {args.alpha}")
    as_of = parse_as_of(args.as_of)
    engine = _engine(config)
    try:
        users = list(args.user or [])
        if args.all_users:
            users = engine.user_ids()
        notes = []
        read_as = None
        out = RowWriter(args.format)
        options = {"n": args.n, "alpha": args.alpha, "interest": args.interest, "as_of": as_of, "policy": args.policy,
                   "interest_threshold": args.threshold, "diversity": args.diversity}
        if config.cluster.address:
            from recsys_core.cluster.ray_jobs import recommend_on_cluster

            engine.serving()  # a missing build is said here, not by every worker
            for user, result in zip(users, recommend_on_cluster(engine.store, config, users, options), strict=True):
                out.write(result["rows"])
                if result["note"]:
                    notes.append(f"{user}: {result['note']}")
                read_as = result["reading"] or read_as
        else:
            for result in engine.recommend_many(users, **options):
                out.write(result.rows())
                if result.note:
                    notes.append(f"{result.user_id}: {result.note}")
                if result.interest_reading is not None:  # the same reading for every user
                    read_as = result.interest_reading.summary()
        out.close()
    except BrokenPipeError:  # the reader stopped reading (`| head`): nothing is wrong, stop quietly
        return _reader_gone()
    finally:
        engine.close()
    if read_as:
        print(f"interest read as: {read_as}", file=sys.stderr)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    return 0


def _with_explain_args(config: RecsysConfig, args: argparse.Namespace) -> RecsysConfig:
    """Apply --backend and --timeout where the command has them."""
    changes: dict[str, Any] = {}
    if getattr(args, "backend", None):
        changes["backend"] = args.backend
    if getattr(args, "timeout", None) is not None:
        changes["timeout_seconds"] = args.timeout
    if not changes:
        return config
    try:
        return dataclasses.replace(config, explain=dataclasses.replace(config.explain, **changes))
    except ValueError as exc:
        raise RecsysError(str(exc)) from None


def _check_summary(e: Any) -> str:
    c = e.check
    parts = ["check passed" if c.passed else "check FAILED: " + "; ".join(c.problems)]
    if e.fallback_reason:
        parts.append(f"LLM text replaced ({e.fallback_reason})")
    cf = c.counterfactual
    if cf:
        parts.append(f"score {cf['score']:.3f} -> {cf['without_cited']:.3f} without the cited items "
                     f"({round(100 * cf['drop_share'])}% drop)")
    return "; ".join(parts)


def cmd_explain(args: argparse.Namespace, config: RecsysConfig) -> int:
    config = _with_explain_args(config, args)
    engine = _engine(config)
    out: list[dict[str, object]] = []
    try:
        result = engine.recommend(args.user, n=args.n, alpha=args.alpha, interest=args.interest,
                                  as_of=parse_as_of(args.as_of),
                                  interest_threshold=args.threshold, diversity=args.diversity)
        explanations = engine.explanations
        writer = f"{explanations.explainer.backend_name} ({explanations.explainer.model_name})"
        if not args.json:
            print(f"User {result.user_id} as of {as_of_label(result.as_of)} ({_moment(result)} UTC): long-term weight "
                  f"{result.alpha:.2f} (learned {result.learned_alpha:.2f}); "
                  f"explanations by {writer}")
            if result.interest_reading is not None:
                print(f"interest read as: {result.interest_reading.summary()}")
            if result.note:
                print(f"note: {result.note}")
        about = explanations.about([r.item_id for r in result.items])
        past = explanations.past(result.user_id)
        for rec in result.items:
            if not args.json:
                print(f"\n{rec.rank:>2}. {rec.title} [{rec.item_id}]  score {rec.score:.3f} = long {rec.long_part:.3f}"
                      f" + short {rec.short_part:.3f}" + (f" + interest {rec.interest_part:.3f}" if rec.interest_part else "")
                      + f"\n    interest: {rec.fine_label} / theme: {rec.theme_label}")
                print("    ", end="", flush=True)
            streamed: list[str] = []

            def show(piece: str, streamed: list[str] = streamed) -> None:
                streamed.append(piece)
                print(piece, end="", flush=True)

            e = explanations.explain_item(result, rec, args.interest, on_token=None if args.json else show,
                                    use_cache=not args.no_cache, about=about.get(rec.item_id), past=past)
            if args.json:
                out.append({"rank": rec.rank, "item_id": rec.item_id, "title": rec.title, "score": round(rec.score, 6),
                            "explanation": e.text, "source": e.source, "backend": e.backend, "model": e.model,
                            "cached": e.cached, "seconds": round(e.seconds, 3), "fallback_reason": e.fallback_reason,
                            "llm_text": e.llm_text, "check": e.check.to_json(),
                            "interest_reading": _reading_json(result)})
                continue
            if streamed and "".join(streamed).strip() != e.text:
                print(f"\n    -> shown instead: {e.text}")
            elif not streamed:
                print(e.text)
            else:
                print()
            how = "cache" if e.cached else f"{e.seconds:.2f} s"
            print(f"    [{e.source} via {e.backend}, {how}; {_check_summary(e)}]")
    finally:
        engine.close()
    if args.json:
        print(json.dumps(out, indent=1))
    return 0


def cmd_name_interests(args: argparse.Namespace, config: RecsysConfig) -> int:
    config = _with_explain_args(config, args)
    done: Any = _run_with_bar(config, "naming", lambda engine, bar: engine.explanations.name_interests(on_progress=bar))
    named, kept = done
    print(f"Named {named} interests; {kept} kept their keyword labels.")
    return 0


def cmd_event(args: argparse.Namespace, config: RecsysConfig) -> int:
    import datetime as dt

    if args.remove is None and not args.list and not (args.user and args.item):
        raise RecsysError("event needs --user and --item to record one, --list to show them, or --remove ID")
    engine = _engine(config)
    try:
        if args.list:
            rows = engine.live_events(args.user)
            for event_id, user, item, when, kind, simulated in rows:
                print(f"{event_id:>6}  {when.isoformat()}  {user}  {kind} {item}" + ("  (simulated)" if simulated else ""))
            print(f"{len(rows)} live event(s)" + (f" of {args.user}" if args.user else "") + "; `event --remove ID` deletes one.")
            return 0
        if args.remove is not None:
            user, item, when = engine.remove_event(args.remove)
            print(f"Removed live event {args.remove} ({item} by {user} at {when.isoformat()} UTC).")
            return 0
        try:
            at = dt.datetime.fromisoformat(args.at.replace("Z", "+00:00")) if args.at else None
        except ValueError as exc:
            raise RecsysError(f"bad --at {args.at!r}: {exc}") from None
        if at is not None and at.tzinfo is not None:
            at = at.astimezone(dt.UTC).replace(tzinfo=None)
        when, event_id = engine.record_event(args.user, args.item, args.type, at=at)
    finally:
        engine.close()
    print(f"Recorded {args.type.strip()} of {args.item} by {args.user} at {when.isoformat()} UTC "
          f"(live event {event_id}; `event --remove {event_id}` undoes it).")
    return 0


def cmd_evaluate(args: argparse.Namespace, config: RecsysConfig) -> int:
    def evaluate(engine: Any, bar: Any) -> tuple[Any, Any, dict[str, Any]]:
        report = engine.evaluate(on_progress=bar)
        return report, engine.evaluation_comparison(report.run_id), engine.evaluation_table(report.run_id)[1]

    result: Any = _run_with_bar(_with_training_args(config, args), "evaluate", evaluate)
    report, versus, run_config = result
    table = report.table
    if args.json:
        print(json.dumps({"run_id": report.run_id, "n_users": report.n_users, "seconds": round(report.seconds, 1),
                          "learned_alpha": report.learned_alpha, "models": table.to_dict(orient="records"),
                          "learned_gate_versus": versus.to_dict(orient="records"),
                          "oracle_alpha_ndcg_10": run_config.get("oracle_alpha_ndcg_10")}, indent=1))
        return 0
    import pandas as pd

    with pd.option_context("display.width", 200, "display.max_columns", 30, "display.float_format", "{:.4f}".format):
        print(table.drop(columns=["kind"]).set_index("model").to_string())
        print(f"\nLearned gate minus each model, NDCG@10, {config.evaluation.confidence:.0%} paired bootstrap "
              "over users (tie: the interval covers zero):")
        print(versus.set_index("model").to_string())
    la = report.learned_alpha
    print(f"\nRun {report.run_id}: {report.n_users:,} users, leave-last-out, full ranking over the catalogue, "
          f"{report.seconds:.0f} s. Learned alpha: mean {la['mean']:.2f}, median {la['median']:.2f} "
          f"(p10 {la['p10']:.2f}, p90 {la['p90']:.2f}).")
    oracle = run_config.get("oracle_alpha_ndcg_10")
    if oracle is not None:
        print(f"Each user's best fixed weight picked in hindsight (headroom, not a model): NDCG@10 {oracle:.4f}.")
    return 0


def cmd_trends(args: argparse.Namespace, config: RecsysConfig) -> int:
    if args.top < 1:
        raise RecsysError(f"--top must be at least 1, got {args.top}")
    engine = _engine(config)
    try:
        report = engine.interest_trends(args.level, args.period, args.recent)
        movers = None if args.movers is None else engine.interest_movers(args.level, args.movers, args.period,
                                                                          args.recent)
    finally:
        engine.close()
    changes = report.changes
    if args.json:
        out: dict[str, object] = {
            "level": report.level, "period": report.period, "recent_from": report.split_label,
            "interval": config.population.interval,
            "changes": json.loads(changes.to_json(orient="records")),
            "series": json.loads(report.series.assign(period_start=report.series["period_start"].astype(str))
                                 .to_json(orient="records")),
        }
        if movers is not None:
            out["movers"] = json.loads(movers.to_json(orient="records"))
        print(json.dumps(out, indent=1))
        return 0
    import pandas as pd

    print(f"{report.level} interests, {report.period}s; recent part from {report.split_label} against the part "
          f"before. change: log2 of the interest's share of (user, interest) pairs, recent over before, with a "
          f"{config.population.interval:.0%} interval over users.")
    shown = ["label", "users_before", "users_recent", "change", "change_low", "change_high", "emerging", "adoptions"]
    with pd.option_context("display.width", 200, "display.max_colwidth", 40, "display.float_format", "{:+.2f}".format):
        for title, every in (("Rising", report.rising()), ("Falling", report.falling())):
            print(f"\n{title} ({len(every)} in all):")
            table = every.head(args.top)
            print(table[["node", *shown]].set_index("node").to_string() if len(table) else "  none clearly")
        new = report.new()
        if len(new):
            print(f"\nNew in the recent part, nobody touched them before ({len(new)} in all):")
            print(new.head(args.top)[["node", "label", "users_recent", "emerging", "adoptions"]]
                  .set_index("node").to_string())
        if movers is not None:
            print(f"\nUsers who joined or left {args.level} interest {args.movers}:")
            print(movers.head(args.top * 3).to_string(index=False) if len(movers) else "  none")
    return 0


def cmd_adoptions(args: argparse.Namespace, config: RecsysConfig) -> int:
    engine = _engine(config)
    try:
        found = engine.adoptions(args.level, args.user)
    finally:
        engine.close()
    if args.json:
        print(found.assign(burst_at=found["burst_at"].astype(str), confirmed_at=found["confirmed_at"].astype(str))
              .to_json(orient="records", indent=1))
        return 0
    if found.empty:
        print("No adoption found" + (f" for {args.user}." if args.user else "."))
        return 0
    import pandas as pd

    cols = ["user_id", "node", "label", "burst_at", "confirmed_at", "burst_sessions", "return_sessions", "share_after"]
    with pd.option_context("display.width", 200, "display.max_colwidth", 40, "display.max_rows", 60):
        print(found[cols].to_string(index=False, float_format="{:.2f}".format))
    print(f"\n{len(found):,} adoptions by {found['user_id'].nunique():,} users: a burst of sessions on a new "
          f"{args.level} interest that kept coming back.")
    return 0


def cmd_report(args: argparse.Namespace, config: RecsysConfig) -> int:
    out = Path(args.out)
    if out.is_dir():
        raise RecsysError(f"--out {out} is a folder: name the .html file to write")
    if args.kind == "user" and not args.user:
        raise RecsysError("a user report needs --user ID")
    if args.kind == "segment" and not args.segment:
        raise RecsysError("a segment report needs --segment NAME")
    engine = _engine(config)
    try:
        page = engine.report(args.kind, level=args.level, period=args.period, recent_share=args.recent,
                             user_id=args.user, as_of=parse_as_of(args.as_of), run_id=args.run,
                             segment=args.segment, other=args.against)
    finally:
        engine.close()
    tmp = out.with_name(out.name + ".part")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(page, encoding="utf-8")
        tmp.replace(out)  # a reader never sees half a file
    except OSError as exc:
        with contextlib.suppress(OSError):  # nothing half-written is left behind
            tmp.unlink(missing_ok=True)
        raise RecsysError(f"cannot write {out}: {exc.strerror or exc}") from None
    print(f"Wrote {out} ({len(page.encode()) / 1e6:.1f} MB, self-contained: open it in a browser, no network needed).")
    return 0


def _segment_rules(args: argparse.Namespace) -> Any:
    from recsys_core.population.segments import SegmentRules

    if args.rules:
        return SegmentRules.from_json(args.rules)
    return SegmentRules(min_items=args.min_items, max_items=args.max_items, min_idle_days=args.min_idle,
                        max_idle_days=args.max_idle, min_weight=args.min_weight, max_weight=args.max_weight,
                        interests=tuple(args.interest or ()), hold=args.hold, text=args.text or "",
                        text_share=args.text_share)


def cmd_segments(args: argparse.Namespace, config: RecsysConfig) -> int:
    import pandas as pd

    engine = _engine(config)
    try:
        if args.action == "list":
            found = engine.segments()
            if args.json:
                print(json.dumps({n: json.loads(r.to_json()) for n, r in found.items()}, indent=1))
            for name, rules in ([] if args.json else found.items()):
                print(f"{name}: {rules.describe()} ({len(engine.segment_members(name)):,} users)")
            if not found and not args.json:
                print("No segment saved yet: `segments save NAME --max-items 12` makes one.")
        elif args.action == "save":
            rules = _segment_rules(args)
            engine.save_segment(args.name, rules)
            print(f"Saved segment {args.name!r}: {rules.describe()} ({len(engine.segment_members(args.name)):,} users now).")
        elif args.action == "delete":
            if not engine.delete_segment(args.name):
                raise RecsysError(f"no segment named {args.name!r}: nothing deleted")
            print(f"Deleted segment {args.name!r}.")
        elif args.action == "members":
            found = engine.segment_members(args.name, args.run)
            shown = found[["user_id", "n_items", "idle_days", "weight"]]
            if args.json:
                print(shown.to_json(orient="records", indent=1))
            else:
                with pd.option_context("display.max_rows", 40, "display.float_format", "{:.2f}".format):
                    print(shown.to_string(index=False))
                print(f"\n{len(found):,} users in {args.name!r}.")
        elif args.action == "compare":
            if not args.other:
                raise RecsysError("compare needs two segment names: segments compare A B")
            mix, n_a, n_b = engine.compare_segments(args.name, args.other, args.level, args.run)
            if args.json:
                print(json.dumps({"n_a": n_a, "n_b": n_b, "mix": json.loads(mix.to_json(orient="records"))}, indent=1))
            else:
                print(f"{args.name!r} ({n_a:,} users) against {args.other!r} ({n_b:,} users): each {args.level} "
                      "interest's share of the segment's (user, interest) pairs, a - b with a 95% interval.")
                with pd.option_context("display.width", 200, "display.max_colwidth", 40):
                    print(mix.head(args.top)[["label", "share_a", "share_b", "difference", "low", "high", "clear"]]
                          .to_string(index=False, float_format="{:+.3f}".format))
        elif args.action == "curve":
            curve = engine.segment_curve(args.name, args.run)
            print(f"NDCG@10 against the fixed long-term weight, run {curve.attrs['run_id']}: {args.name!r} "
                  f"({curve.attrs['n_segment']:,} test users) and everyone ({curve.attrs['n_everyone']:,}).")
            print(curve.to_string(index=False, float_format="{:.4f}".format))
            print(f"learned gate: {curve.attrs['learned_segment']:.4f} (segment), "
                  f"{curve.attrs['learned_everyone']:.4f} (everyone)")
    finally:
        engine.close()
    return 0


def _print_policy_result(result: dict[str, Any], as_json: bool, title: str) -> None:
    versus = result["versus"]
    if as_json:
        out = {k: v for k, v in result.items() if k not in ("versus", "rules", "policy", "folds")}
        out["policy"] = result["policy"] if isinstance(result["policy"], str) else result["policy"].describe()
        out["versus"] = json.loads(versus.to_json(orient="records"))
        if "rules" in result:
            out["rules"] = json.loads(result["rules"].to_json(orient="records"))
        print(json.dumps(out, indent=1))
        return
    print(title)
    print(f"Run {result['run_id']}, {result['n_users']:,} test users: NDCG@10 policy {result['ndcg_10']:.4f}, learned "
          f"gate {result['learned_gate']:.4f}, best single fixed weight ({result['best_fixed'][6:]}) "
          f"{result['best_fixed_ndcg_10']:.4f}.")
    print(f"Policy minus each, {result['confidence']:.0%} paired bootstrap over users (tie: the interval covers zero):")
    print(versus.to_string(index=False, float_format="{:+.4f}".format))
    if "rules" in result:
        print("\nPer rule:")
        print(result["rules"].to_string(index=False, float_format="{:.4f}".format))


def cmd_policy(args: argparse.Namespace, config: RecsysConfig) -> int:
    from recsys_core.population.policies import FusionPolicy

    engine = _engine(config)
    try:
        if args.action == "list":
            found = engine.policies()
            for name, pol in found.items():
                print(f"{name}: {pol.describe()}")
            if not found:
                print("No policy saved yet: `policy save NAME light=0.2,heavy=learned` makes one.")
        elif args.action == "save":
            if not args.rules:
                raise RecsysError("say the rules: policy save NAME SEGMENT=WEIGHT[,SEGMENT=learned...]")
            pol = FusionPolicy.parse(args.rules)
            engine.save_policy(args.name, pol)
            print(f"Saved policy {args.name!r}: {pol.describe()}.")
        elif args.action == "delete":
            if not engine.delete_policy(args.name):
                raise RecsysError(f"no policy named {args.name!r}: nothing deleted")
            print(f"Deleted policy {args.name!r}.")
        elif args.action == "evaluate":
            result = engine.evaluate_policy(args.name, args.run)
            _print_policy_result(result, args.json, f"Policy {args.name!r}: {result['policy']}")
        elif args.action == "suggest":
            segments = [s.strip() for part in (args.name, args.rules) for s in part.split(",") if s.strip()]
            result = engine.suggest_policy(segments, args.run)
            _print_policy_result(result, args.json, f"Suggested: {result['policy'].describe()} (each segment's best "
                                 "weight on the run). The figures pick each half of the test users' weights on the "
                                 "other half, so they do not flatter it.")
            if args.save:
                engine.save_policy(args.save, result["policy"])
                print(f"Saved as policy {args.save!r}.")
    finally:
        engine.close()
    return 0


def positive_int(text: str) -> int:
    """A count argument that must be at least 1 (epochs): refused by the parser, not by a traceback."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def finite(text: str) -> float:
    """A number argument: NaN and infinity are refused like any text that is not a number."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"not a finite number: {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; ``--db`` is accepted before or after the command."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", default=argparse.SUPPRESS, metavar="PATH",
                        help="database file (default: $RECSYS_DB or data/recsys.duckdb)")
    parser = argparse.ArgumentParser(
        prog="python -m recsys_core",
        description="Interest explorer engine: load data, build the interest model, recommend, evaluate.",
        parents=[common],
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log what the engine does")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("sample", parents=[common], help="(re)create the database from the shipped sample data",
                       description="Replace everything in the database with the sample in sample_data/; a database "
                                   "with no build yet also gets the sample's shipped model.")
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

    p = sub.add_parser("make-sample-model", parents=[common], help="build the sample's shipped model (first-start lab)",
                       description="Load the sample into a scratch database, build it, and write the build to "
                                   "sample_data/model, which the app installs on a fresh database so its first "
                                   "start serves recommendations at once. Run it after changing the model code.")
    p.add_argument("--out", metavar="DIR", help="target folder (default: sample_data/model)")
    p.set_defaults(func=cmd_make_sample_model)

    ray = argparse.ArgumentParser(add_help=False)
    ray.add_argument("--ray", metavar="ADDRESS", default=argparse.SUPPRESS,
                     help="run the heavy work on the Ray cluster whose head is at ADDRESS (HOST:PORT, or auto); "
                          "default: in this process, or $RECSYS_RAY_ADDRESS")
    ray.add_argument("--ray-shared-dir", metavar="DIR", default=argparse.SUPPRESS,
                     help="a folder every node of the cluster can read and write (default: $RECSYS_RAY_SHARED_DIR, "
                          "else a temporary folder, which only works when every node is this machine)")

    p = sub.add_parser("build", parents=[common, ray], help="embed items, build interests, train the user model",
                       description="Embed item texts (cached), build the interest hierarchy, train the "
                                   "long/short-term model and save it as the model the app serves.")
    p.add_argument("--epochs", type=positive_int, help="training epochs (default from config)")
    p.add_argument("--seed", type=int, help="seed (default 42 or $RECSYS_SEED)")
    p.add_argument("--no-names", action="store_true", help="skip naming the interests with the LLM")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("recommend", parents=[common, ray], help="recommend items with scores and evidence",
                       description="One row per (user, rank, item) with the score, its long/short-term parts, "
                                   "interest labels and the history items that contributed most.")
    p.add_argument("--user", action="append", metavar="U", help="user id (repeatable)")
    p.add_argument("--all-users", action="store_true", help="every user in the database")
    p.add_argument("--n", type=int, default=10, help="list length (default 10)")
    p.add_argument("--alpha", type=finite, help="weight of long-term interest in [0, 1] (default: learned per user)")
    p.add_argument("--policy", metavar="NAME", help="a saved fusion policy: each user's weight from their segment")
    p.add_argument("--interest", metavar="TEXT", help="describe an interest; matching items are boosted")
    p.add_argument("--threshold", type=finite, help="minimum similarity to --interest (default 0.25)")
    p.add_argument("--diversity", type=finite, help="diversity weight in [0, 1] (default 0)")
    p.add_argument("--as-of", metavar="WHEN",
                   help="when the user is looked at: next-visit (default: their last event plus their usual gap "
                        "between sessions), data-end (the newest event in the store) or a date/time (ISO-8601, UTC)")
    p.add_argument("--format", choices=["json", "csv"], default="json")
    p.set_defaults(func=cmd_recommend)

    llm = argparse.ArgumentParser(add_help=False)
    llm.add_argument("--backend", choices=["local", "openai", "template"],
                     help="who writes: the packaged local LLM (default), an OpenAI-compatible endpoint "
                          "($RECSYS_LLM_URL) or the template")
    llm.add_argument("--timeout", type=finite, help="seconds per explanation before the template is used (default 4)")

    p = sub.add_parser("explain", parents=[common, llm], help="recommend with an LLM-written, checked reason each",
                       description="Each recommendation with its explanation, who wrote it and the faithfulness "
                                   "check (cited evidence, no other titles, score drop without the cited items).")
    p.add_argument("--user", required=True, metavar="U")
    p.add_argument("--n", type=int, default=5, help="list length (default 5)")
    p.add_argument("--alpha", type=finite, help="weight of long-term interest in [0, 1] (default: learned per user)")
    p.add_argument("--interest", metavar="TEXT", help="describe an interest; matching items are boosted")
    p.add_argument("--threshold", type=finite, help="minimum similarity to --interest (default 0.25)")
    p.add_argument("--diversity", type=finite, help="diversity weight in [0, 1] (default 0)")
    p.add_argument("--as-of", metavar="WHEN",
                   help="when the user is looked at: next-visit (default: their last event plus their usual gap "
                        "between sessions), data-end (the newest event in the store) or a date/time (ISO-8601, UTC)")
    p.add_argument("--no-cache", action="store_true", help="write every explanation afresh (and do not store it)")
    p.add_argument("--json", action="store_true", help="print JSON for machines")
    p.set_defaults(func=cmd_explain)

    p = sub.add_parser("name-interests", parents=[common, llm], help="let the LLM name the interests of the newest build",
                       description="Ask the LLM for a short name of every fine interest and theme; keyword "
                                   "labels stay where its answer is not a usable name. Analysts' renames win.")
    p.set_defaults(func=cmd_name_interests)

    p = sub.add_parser("event", parents=[common], help="record a live event for a user",
                       description="Record an event; the user's next recommendations read it without retraining. "
                                   "--list shows the live events and --remove ID deletes one.")
    p.add_argument("--user", metavar="U", help="whose event (with --list: only theirs)")
    p.add_argument("--item", metavar="I")
    p.add_argument("--type", default="view", help="event type (default view)")
    p.add_argument("--at", metavar="TIME", help="ISO-8601 time (default: just after the newest event)")
    p.add_argument("--list", action="store_true", help="show the live events (id, time, user, type, item)")
    p.add_argument("--remove", type=int, metavar="ID", help="delete the live event with this id")
    p.set_defaults(func=cmd_event)

    p = sub.add_parser("evaluate", parents=[common, ray], help="evaluate the model against baselines",
                       description="Time-ordered leave-last-out evaluation with full ranking; trains its own "
                                   "model on the training part and stores the run.")
    p.add_argument("--epochs", type=positive_int, help="maximum training epochs of the model and of SASRec (default from config)")
    p.add_argument("--json", action="store_true", help="print JSON for machines")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("trends", parents=[common], help="rising and falling interests across all users",
                       description="Per-period interest series and which interests rise or fall in the recent "
                                   "part of the data, with intervals over users (needs a build).")
    p.add_argument("--level", choices=["fine", "theme"], default="fine")
    p.add_argument("--period", choices=["auto", "week", "month", "quarter"], help="default from config (auto)")
    p.add_argument("--recent", type=finite, metavar="SHARE",
                   help="share of the data's time span that is 'recent' (default 0.5: the later half)")
    p.add_argument("--top", type=int, default=10, help="rows per table (default 10)")
    p.add_argument("--movers", type=int, metavar="NODE", help="also list the users who joined or left this interest")
    p.add_argument("--json", action="store_true", help="print JSON for machines (with the per-period series)")
    p.set_defaults(func=cmd_trends)

    p = sub.add_parser("adoptions", parents=[common], help="bursts on a new interest that became long-term",
                       description="Per user: a run of sessions on an interest new to them that kept coming "
                                   "back afterwards (needs a build).")
    p.add_argument("--level", choices=["fine", "theme"], default="fine")
    p.add_argument("--user", metavar="ID", help="only this user")
    p.add_argument("--json", action="store_true", help="print JSON for machines")
    p.set_defaults(func=cmd_adoptions)

    p = sub.add_parser("report", parents=[common], help="write a self-contained HTML report to hand out",
                       description="One HTML file with interactive figures that opens with no network: the "
                                   "trends, one user, a segment, or an evaluation run.")
    p.add_argument("kind", choices=["trends", "user", "segment", "evaluation"])
    p.add_argument("--out", required=True, metavar="FILE.html")
    p.add_argument("--user", metavar="ID", help="the user (user report)")
    p.add_argument("--as-of", default="next-visit", metavar="WHEN",
                   help="user report: next-visit (default), data-end or a date")
    p.add_argument("--run", type=int, metavar="RUN", help="evaluation report: the run (default the newest)")
    p.add_argument("--segment", metavar="NAME", help="segment report: the segment")
    p.add_argument("--against", metavar="NAME", help="segment report: compare with this segment (default everyone)")
    p.add_argument("--level", choices=["fine", "theme"], default="fine", help="trends report: the level")
    p.add_argument("--period", choices=["auto", "week", "month", "quarter"], help="trends report: the periods")
    p.add_argument("--recent", type=finite, metavar="SHARE", help="trends report: the recent share of the span")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("segments", parents=[common], help="save, list and compare segments of users",
                       description="Segments: users picked by readable rules (history size, idle days, learned "
                                   "weight, interests held, a description matched against their texts).")
    p.add_argument("action", choices=["list", "save", "delete", "members", "compare", "curve"])
    p.add_argument("name", nargs="?", default="", help="the segment (save, delete, members, compare, curve)")
    p.add_argument("other", nargs="?", default="", help="compare: the second segment")
    p.add_argument("--rules", metavar="JSON", help='save: the rules as JSON, e.g. {"max_items": 12}')
    p.add_argument("--min-items", type=int)
    p.add_argument("--max-items", type=int)
    p.add_argument("--min-idle", type=finite, metavar="DAYS")
    p.add_argument("--max-idle", type=finite, metavar="DAYS")
    p.add_argument("--min-weight", type=finite, help="learned long-term weight at the next visit")
    p.add_argument("--max-weight", type=finite)
    p.add_argument("--interest", action="append", metavar="LABEL", help="an interest label the user holds (repeatable)")
    p.add_argument("--hold", choices=["any", "long", "short"], default="any")
    p.add_argument("--text", help="a description matched against profile texts and histories")
    p.add_argument("--text-share", type=finite, default=0.2, help="share of users kept by --text (default 0.2)")
    p.add_argument("--level", choices=["fine", "theme"], default="fine", help="compare: the level")
    p.add_argument("--run", type=int, help="members/compare/curve as an evaluation run saw them (curve: default newest)")
    p.add_argument("--top", type=int, default=15, help="compare: rows shown")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_segments)

    p = sub.add_parser("policy", parents=[common], help="per-segment fusion weights: save, evaluate, suggest",
                       description="A policy gives each segment a fixed long-term weight or the learned one (first "
                                   "match wins; everyone else: learned). evaluate judges one on an evaluation run "
                                   "against the learned gate and the best fixed weight; suggest picks each "
                                   "segment's best weight and judges that honestly (two-fold cross-fitting).")
    p.add_argument("action", choices=["list", "save", "delete", "evaluate", "suggest"])
    p.add_argument("name", nargs="?", default="", help="the policy (suggest: the first segment)")
    p.add_argument("rules", nargs="?", default="",
                   help="save: SEGMENT=WEIGHT,SEGMENT=learned,...; suggest: more segments, comma-separated")
    p.add_argument("--run", type=int, help="the evaluation run (default the newest)")
    p.add_argument("--save", metavar="NAME", help="suggest: save the suggestion under this name")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_policy)
    return parser


_MAKES_A_DATABASE = {"sample", "import", "generate-sample", "make-sample-model"}


def _check_database_path(path: Path) -> None:
    """Commands that read a database refuse a path that holds none, instead of creating folders
    and an empty database at a mistyped path."""
    if path.is_dir():
        raise RecsysError(f"{path} is a folder, not a database file: name the .duckdb file inside it")
    if not path.exists():
        raise RecsysError(f"no database at {path}: check the path (--db or RECSYS_DB), or create one "
                          "with `python -m recsys_core sample` or `import`")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    import duckdb  # every command but generate-sample reaches the store anyway

    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        config = RecsysConfig.from_env()
        if getattr(args, "db", None) is not None:
            if not args.db.strip():
                raise RecsysError("--db is empty: name a database file, e.g. --db data/shop.duckdb")
            config = config.with_db(args.db)
        if args.command not in _MAKES_A_DATABASE and str(config.db_path) != ":memory:":
            _check_database_path(config.db_path)
        config = _with_cluster_args(config, args)
        return int(args.func(args, config))
    except RecsysError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except duckdb.Error as exc:  # what the checks at open could not foresee (a full disk, a file changed under us)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"error: the database failed during `{args.command}`: {first}. Check the disk "
              "(space, permissions) and that no other program changed the file, then try again", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; nothing half-written (imports are transactions)", file=sys.stderr)
        return 130
