"""HTML reports: each kind is one self-contained page (plotly inside, nothing fetched), data
text is escaped, and the command line writes it whole or not at all."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from recsys_core.errors import InvalidArgumentError
from recsys_core.reports.html import Section, render


def _external_refs(page: str) -> list[str]:
    """src/href attributes and CSS url()s outside plotly.js itself that point outside the file
    (plotly.js holds links in strings it never fetches; the browser test watches requests)."""
    from plotly.offline import get_plotlyjs

    assert page.count(get_plotlyjs()) == 1
    page = page.replace(get_plotlyjs(), "")
    refs = re.findall(r"""(?:src|href)\s*=\s*["']?([^"' >]+)""", page)
    refs += re.findall(r"url\(\s*['\"]?([^'\")]+)", page)
    return [r for r in refs if re.match(r"(?i)(https?:)?//", r)]


def test_render_escapes_data_text_and_embeds_plotly_once() -> None:
    import plotly.graph_objects as go

    fig = go.Figure(go.Scatter(x=[1, 2], y=[3, 4], name="<b>x</b>"))
    import pandas as pd

    page = render("Title <script>alert(1)</script>", "sub & title", [
        Section("<img src=x onerror=alert(2)>").text("a <b>bold</b> claim").metrics({"<i>k</i>": "<v>"})
        .figures([fig, fig]).table(pd.DataFrame({"name": ["<script>bad()</script>"], "n": [3], "x": [0.5]})),
    ])
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page and "<b>bold</b>" not in page and "<script>bad()</script>" not in page
    assert page.count("Plotly.newPlot") == 2
    assert _external_refs(page) == []


@pytest.mark.parametrize(("kind", "needs"), [("trends", "Rising and falling"), ("user", "Top 10 recommendations"),
                                             ("evaluation", "NDCG@10 against the fixed fusion weight")])
def test_each_report_kind_is_one_offline_page(built_engine, kind: str, needs: str) -> None:
    if kind == "evaluation" and built_engine.evaluation_runs().empty:
        built_engine.evaluate()
    user = built_engine.user_ids()[0]
    page = built_engine.report(kind, user_id=user, level="theme")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert needs in page and "Plotly.newPlot" in page
    assert _external_refs(page) == []
    if kind == "user":
        assert "their next visit" in page and "next-visit" not in page  # the moment in words, not its URL code


def test_report_refuses_what_it_cannot_make(built_engine) -> None:
    with pytest.raises(InvalidArgumentError, match="needs a segment name"):
        built_engine.report("segment")
    with pytest.raises(InvalidArgumentError, match="no segment named 'ghosts'"):
        built_engine.report("segment", segment="ghosts")
    with pytest.raises(InvalidArgumentError, match="no 'pdf' report"):
        built_engine.report("pdf")
    with pytest.raises(InvalidArgumentError, match="needs a user id"):
        built_engine.report("user")
    with pytest.raises(InvalidArgumentError, match="'NO-SUCH' has no events"):
        built_engine.report("user", user_id="NO-SUCH")


def test_command_line_writes_the_report_file(built_engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    from recsys_core.cli import main

    monkeypatch.setenv("RECSYS_EMBEDDING_MODEL", "hashing-64")
    db = str(built_engine.config.db_path)
    user = built_engine.user_ids()[1]
    built_engine.close()
    try:
        out = tmp_path / "out" / "trends.html"
        assert main(["--db", db, "report", "trends", "--level", "theme", "--out", str(out)]) == 0
        assert out.exists() and "Interest trends: themes" in out.read_text(encoding="utf-8")
        assert not list(out.parent.glob("*.part"))
        assert main(["--db", db, "report", "user", "--user", user, "--out", str(tmp_path / "u.html")]) == 0
        assert f"User {user}" in (tmp_path / "u.html").read_text(encoding="utf-8")
        capsys.readouterr()
        assert main(["--db", db, "report", "user", "--out", str(tmp_path / "x.html")]) == 1
        assert "needs --user" in capsys.readouterr().err
        assert main(["--db", db, "report", "trends", "--out", str(tmp_path)]) == 1
        assert "is a folder" in capsys.readouterr().err
        blocker = tmp_path / "a-file"
        blocker.write_text("x")
        assert main(["--db", db, "report", "trends", "--out", str(blocker / "sub" / "t.html")]) == 1
        assert "cannot write" in capsys.readouterr().err
        assert main(["--db", db, "report", "user", "--user", "NO-SUCH", "--out", str(tmp_path / "n.html")]) == 1
        assert not (tmp_path / "n.html").exists()
    finally:
        built_engine.open()
