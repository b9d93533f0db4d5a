"""Every registered page renders on the sample data without an exception."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
PAGES = re.findall(r'st\.Page\("(views/[^"]+)"', (ROOT / "app.py").read_text())


@pytest.fixture()
def app_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    import streamlit as st

    db = tmp_path / "app.duckdb"
    monkeypatch.setenv("RECSYS_DB", str(db))
    monkeypatch.chdir(ROOT)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield db
    st.cache_data.clear()
    st.cache_resource.clear()


def test_app_registers_every_page_file() -> None:
    files = sorted(f"views/{p.name}" for p in (ROOT / "views").glob("[0-9]*.py"))
    assert sorted(PAGES) == files and PAGES[0] == "views/01_home.py"


def test_first_start_loads_the_sample(app_env: Path) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.exception
    values = {m.label: m.value for m in at.metric}
    assert values["Items"] == "2,400" and values["Users"] == "1,200"
    assert app_env.exists()


@pytest.mark.parametrize("page", PAGES)
def test_each_page_renders_on_the_first_start(app_env: Path, page: str) -> None:
    """The first start installs the sample's shipped model: every page draws with it at once."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == []
    assert at.title and at.title[0].value
    assert not any("no model yet" in i.value.lower() for i in at.info), [i.value for i in at.info]


@pytest.mark.parametrize("page", PAGES)
def test_each_page_renders_before_a_build(app_env: Path, page: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a model (other build settings: the shipped one does not match them), every page
    draws its title and says what to do, with no error box."""
    monkeypatch.setenv("RECSYS_EPOCHS", "1")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == []
    assert at.title and at.title[0].value
    says = {"views/06_evaluation.py": "no evaluation yet"}.get(page, "build")
    if page not in ("views/01_home.py", "views/02_data.py"):  # those work without a model
        assert any(says in i.value.lower() for i in at.info), [i.value for i in at.info]


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("RECSYS_LLM_TIMEOUT", "four", "RECSYS_LLM_TIMEOUT='four' is not a number"),
    ("RECSYS_LLM_BACKEND", "openai", "needs RECSYS_LLM_URL"),
])
def test_a_bad_setting_is_a_readable_message_not_a_traceback(
    app_env: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(name, value)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.exception
    assert expected in at.error[0].value and "start the app again" in at.error[0].value
    assert not app_env.exists()  # nothing was opened or written


def test_data_page_search_filters_rows(app_env: Path) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page("views/02_data.py").run()
    full = at.dataframe[0].value
    at.text_input(key="data.search").input("espresso").run()
    hits = at.dataframe[0].value
    assert 0 < len(hits) < len(full)
    assert hits["title"].str.lower().str.contains("espresso").all()
    assert any(c.value == f"{len(hits):,} matching items." for c in at.caption)
    at.text_input(key="data.search").input("").run()
    total = int(at.dataframe[0].value.shape[0])
    # how many the table holds, not only how many are shown
    assert any(c.value.startswith((f"All {total:,} items", f"The first {total:,} of ")) for c in at.caption)
    assert os.environ["RECSYS_DB"] == str(app_env)


def test_home_builds_the_model_with_progress_and_shows_its_status(
    app_env: Path, tiny_sample_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECSYS_SAMPLE_DIR", str(tiny_sample_dir))
    monkeypatch.setenv("RECSYS_EMBEDDING_MODEL", "hashing-64")
    monkeypatch.setenv("RECSYS_EPOCHS", "1")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    assert not at.exception
    assert any("No model yet" in i.value for i in at.info)
    at.button(key="home.build").click().run()
    assert not at.exception, at.exception
    values = {m.label: m.value for m in at.metric}
    assert values["Build"] == "#1"
    assert int(values["Fine interests"]) > 1 and int(values["Users modelled"].replace(",", "")) > 100
    assert any("hashing-64" in c.value for c in at.caption)
    assert at.button(key="home.build").label == "Rebuild the model"


def test_data_page_checks_files_before_importing_and_a_bad_file_changes_nothing(app_env: Path, tmp_path: Path) -> None:
    items = tmp_path / "more_items.csv"
    items.write_text("sku,name,description\nNEW1,Trail stove,A small stove\nNEW2,Camp mug,Enamel mug\n")
    events = tmp_path / "more_events.csv"
    events.write_text("customer,sku,when\nU0001,NEW1,2026-07-01T10:00:00Z\nU0002,NEW2,yesterday\n")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page("views/02_data.py").run()
    at.radio(key="data.source").set_value("Paths on the server").run()
    at.text_input(key="data.path_items").input(str(items)).run()
    at.text_input(key="data.path_interactions").input(str(events)).run()
    assert at.selectbox(key="data.map_items_item_id").value == "sku"  # columns found by their names
    assert at.selectbox(key="data.map_interactions_user_id").value == "(none)"  # "customer" is not a known name
    at.selectbox(key="data.map_interactions_user_id").set_value("customer").run()  # ... so it is mapped by hand
    at.selectbox(key="data.map_interactions_timestamp").set_value("when").run()
    at.button(key="data.check").click().run()
    assert not at.exception, at.exception
    problems = at.dataframe[-1].value
    assert list(problems.columns) == ["file", "row", "column", "problem", "same in more rows"]
    assert problems.iloc[0]["row"] == 2 and problems.iloc[0]["column"] == "when"
    assert not [b for b in at.button if b.key == "data.commit"]  # no import while problems remain
    events.write_text("customer,sku,when\nU0001,NEW1,2026-07-01T10:00:00Z\nU0002,NEW2,2026-07-02T10:00:00Z\n")
    at.button(key="data.check").click().run()
    assert any("Ready: 2 items" in s.value for s in at.success)
    at.button(key="data.commit").click().run()
    assert not at.exception, at.exception
    assert any("Imported:" in s.value for s in at.success)
    at.text_input(key="data.search").input("Trail stove").run()
    assert at.dataframe[0].value["item_id"].tolist() == ["NEW1"]
