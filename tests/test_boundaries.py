"""The engine stays importable without Streamlit and without loading torch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_engine_import_pulls_in_neither_streamlit_nor_torch() -> None:
    code = (
        "import sys, recsys_core, recsys_core.cli, recsys_core.data.store, recsys_core.data.importers, "
        "recsys_core.embeddings.sentence; "
        "print('streamlit' in sys.modules, 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.stdout.strip() == "False False", out.stderr


def test_the_whole_engine_imports_without_streamlit() -> None:
    """Every engine module (the facade, serving, the build, evaluation, explanations) loads in a
    process that never imports Streamlit."""
    modules = sorted(".".join(p.relative_to(ROOT).with_suffix("").parts) for p in (ROOT / "recsys_core").rglob("*.py")
                     if p.name != "__main__.py")
    assert {"recsys_core.engine", "recsys_core.serving", "recsys_core.build", "recsys_core.explain.service"} <= set(modules)
    code = f"import importlib, sys; [importlib.import_module(m) for m in {modules!r}]; print('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.stdout.strip() == "False", out.stderr


def test_engine_source_never_mentions_streamlit() -> None:
    offenders = [p for p in (ROOT / "recsys_core").rglob("*.py") if "import streamlit" in p.read_text()]
    assert offenders == []


def test_ruff_finds_nothing_including_the_streamlit_ban() -> None:
    import shutil

    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    if not Path(ruff).exists():
        import pytest

        pytest.skip("ruff is not installed (pip install -r requirements-dev.txt)")
    out = subprocess.run([ruff, "check", "."], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr


def test_mypy_finds_no_type_errors_in_the_engine() -> None:
    import shutil

    mypy = shutil.which("mypy") or str(Path(sys.executable).with_name("mypy"))
    if not Path(mypy).exists():
        import pytest

        pytest.skip("mypy is not installed (pip install -r requirements-dev.txt)")
    out = subprocess.run([mypy, "recsys_core", "--ignore-missing-imports", "--no-error-summary"],
                         capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr


def test_mypy_finds_no_type_errors_in_the_app_and_its_pages() -> None:
    import shutil

    mypy = shutil.which("mypy") or str(Path(sys.executable).with_name("mypy"))
    if not Path(mypy).exists():
        import pytest

        pytest.skip("mypy is not installed (pip install -r requirements-dev.txt)")
    pages = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "views").glob("*.py"))
    out = subprocess.run([mypy, "app.py", "app_ui", *pages, "--ignore-missing-imports", "--no-error-summary"],
                         capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr
