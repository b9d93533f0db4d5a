"""Promises the README makes, each checked: the explanation cache misses when what it depends
on changes, tampered encoder weights are refused, simulated events stay out of a build, and the
command line's import, info --json, generate-sample, build --no-names, name-interests and its
answer to a database another process holds."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from recsys_core.cli import main
from recsys_core.config import ExplainConfig
from recsys_core.data.store import Store
from recsys_core.explain import explainer as explainer_module
from recsys_core.explain.explainer import Explainer
from recsys_core.explain.facts import ExplanationFacts
from recsys_core.explain.template import template_explanation
from tests.conftest import EVENTS_CSV, ITEMS_CSV, write
from tests.support.facts import TENT_FACTS, TENT_TITLES

FACTS, TITLES = TENT_FACTS, TENT_TITLES


class CountingBackend:
    """A backend that writes the template's sentence and counts how often it is asked."""

    def __init__(self) -> None:
        self.name, self.model, self.calls = "fake", "fake-1", 0

    def write(self, facts: ExplanationFacts, timeout: float, on_token: Any = None) -> str:
        self.calls += 1
        return template_explanation(facts)

    def name_group(self, keywords: list[str], examples: list[str], timeout: float) -> str:
        return "Camping gear"


def test_the_explanation_cache_misses_when_facts_backend_model_or_prompt_change(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = CountingBackend()
    explainer = Explainer(store, ExplainConfig(backend="template"), backend)  # type: ignore[arg-type]
    first = explainer.explain(FACTS, TITLES)
    assert backend.calls == 1 and first.source == "llm"
    assert explainer.explain(FACTS, TITLES).text == first.text and backend.calls == 1  # a hit
    other_facts = dataclasses.replace(FACTS, evidence=FACTS.evidence[:1])
    explainer.explain(other_facts, TITLES)
    assert backend.calls == 2  # other evidence: a miss
    backend.model = "fake-2"
    explainer.explain(FACTS, TITLES)
    assert backend.calls == 3  # another model: a miss
    backend.name = "other-backend"
    explainer.explain(FACTS, TITLES)
    assert backend.calls == 4  # another backend: a miss
    monkeypatch.setattr(explainer_module, "PROMPT_VERSION", explainer_module.PROMPT_VERSION + 1)
    explainer.explain(FACTS, TITLES)
    assert backend.calls == 5  # a new prompt: a miss
    explainer.explain(FACTS, TITLES)
    assert backend.calls == 5


def test_tampered_encoder_weights_are_refused(tmp_path: Path) -> None:
    from recsys_core.embeddings.sentence import ModelLoadError, packaged_minilm_path, verify_minilm

    genuine = packaged_minilm_path()
    verify_minilm(genuine)  # the installed weights pass
    copy = tmp_path / "minilm"
    shutil.copytree(genuine, copy)
    weights = copy / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(ModelLoadError, match="is not the genuine all-MiniLM-L6-v2"):
        verify_minilm(copy)


def test_simulated_events_stay_out_of_a_build_and_live_ones_go_in(built_engine: Any) -> None:
    from recsys_core.training import take_snapshot

    engine = built_engine
    def pairs_of(snapshot: Any) -> set[tuple[str, str]]:
        seqs, ids = snapshot.sequences, snapshot.catalogue["item_id"].astype(str).tolist()
        return {(seqs.user_ids[u], ids[i]) for u in range(len(seqs)) for i in seqs.user(u)[0]}

    before = pairs_of(take_snapshot(engine.store, engine.embedder, include_live=True))
    user = min(u for u, _ in before)
    touched = {i for u, i in before if u == user}
    item = next(str(i) for i in engine.serving().item_ids if str(i) not in touched)
    _, simulated = engine.record_event(user, item, "view", simulated=True)
    _, live = engine.record_event("NEW-USER", item, "purchase")
    try:
        pairs = pairs_of(take_snapshot(engine.store, engine.embedder, include_live=True))
        assert ("NEW-USER", item) in pairs  # a live event is data the next build learns from
        assert (user, item) not in pairs  # a simulated one is the lab's what-if, never trained on
        assert pairs == before | {("NEW-USER", item)}
    finally:
        engine.remove_event(simulated)
        engine.remove_event(live)


@pytest.fixture()
def cli_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECSYS_EMBEDDING_MODEL", "hashing-64")
    monkeypatch.setenv("RECSYS_LLM_BACKEND", "template")
    monkeypatch.setenv("RECSYS_THREADS", "2")
    monkeypatch.delenv("RECSYS_LLM_URL", raising=False)


def test_import_info_generate_build_and_name_on_the_command_line(
    tmp_path: Path, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "shop.duckdb")
    items, events = write(tmp_path / "items.csv", ITEMS_CSV), write(tmp_path / "events.csv", EVENTS_CSV)
    assert main(["--db", db, "import", "--items", str(items), "--interactions", str(events)]) == 0
    capsys.readouterr()
    assert main(["--db", db, "info", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert (info["n_items"], info["n_users"], info["n_interactions"]) == (3, 2, 3)

    sample = tmp_path / "generated"
    assert main(["generate-sample", "--out", str(sample), "--items", "120", "--users", "40"]) == 1
    assert "needs at least 750 items" in capsys.readouterr().err
    assert main(["generate-sample", "--out", str(sample), "--users", "0"]) == 1
    assert "needs at least 1 user" in capsys.readouterr().err
    assert not sample.exists()
    assert main(["generate-sample", "--out", str(sample), "--items", "750", "--users", "60", "--seed", "3"]) == 0
    capsys.readouterr()
    assert {"items.csv", "interactions.csv"} <= {p.name for p in sample.iterdir()}
    db2 = str(tmp_path / "generated.duckdb")
    assert main(["--db", db2, "sample", "--from", str(sample)]) == 0
    assert main(["--db", db2, "build", "--epochs", "1", "--no-names"]) == 0
    out = capsys.readouterr().out
    assert "Build 1 done" in out
    assert main(["--db", db2, "name-interests"]) == 0  # the template backend names nothing
    assert "Named 0 interests" in capsys.readouterr().out
    with Store(db2, read_only=True) as store, store.cursor() as cur:
        assert cur.execute("SELECT count(*) FROM interest_names WHERE source = 'llm'").fetchall()[0][0] == 0


def test_a_database_held_by_another_process_is_exit_code_1_with_a_message(
    tmp_path: Path, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "held.duckdb"
    with Store(db):
        pass
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
                               "print('holding', flush=True); time.sleep(60)", str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        assert main(["--db", str(db), "import", "--items", str(write(tmp_path / "i.csv", ITEMS_CSV))]) == 1
        err = capsys.readouterr().err
        assert "the database is in use by another process" in err and f"held by process {holder.pid}" in err
    finally:
        holder.kill()
        holder.wait()
