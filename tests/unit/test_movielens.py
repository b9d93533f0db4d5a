"""MovieLens import: exact counts on ml-latest-small, tags kept, idempotent, layout errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recsys_core.data.importers import import_movielens
from recsys_core.data.store import Store
from recsys_core.errors import ImportValidationError
from tests.conftest import write


def test_ml_latest_small_imports_exactly(store: Store, movielens_dir: Path) -> None:
    report = import_movielens(store, movielens_dir)
    info = store.info()
    assert (info.n_items, info.n_users, info.n_interactions) == (9742, 610, 100836)
    assert info.n_tags == 3683  # every tag kept, also those without a rating
    assert report.import_id == 1
    with store.cursor() as cur:
        title, category, attrs = cur.execute(
            "SELECT title, category, attributes FROM items WHERE item_id = '1'").fetchall()[0]
        assert title == "Toy Story (1995)"
        assert category == "Adventure|Animation|Children|Comedy|Fantasy"
        assert json.loads(attrs) == {"year": 1995}
        tagged = cur.execute(
            "SELECT text FROM interactions WHERE user_id = '2' AND item_id = '60756'").fetchall()[0][0]
        assert "funny" in tagged and "Highly quotable" in tagged
    again = import_movielens(store, movielens_dir)
    assert not again.changed_anything
    assert store.info().n_interactions == 100836


def test_movielens_folder_missing_ratings(store: Store, tmp_path: Path) -> None:
    write(tmp_path / "ml" / "movies.csv", "movieId,title,genres\n1,A (2000),Drama\n")
    with pytest.raises(ImportValidationError, match="ratings.csv: missing"):
        import_movielens(store, tmp_path / "ml")
    assert store.is_empty()


def test_movielens_rating_for_unknown_movie(store: Store, tmp_path: Path) -> None:
    write(tmp_path / "ml" / "movies.csv", "movieId,title,genres\n1,A (2000),Drama\n")
    write(tmp_path / "ml" / "ratings.csv", "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,2,3.0,964982704\n")
    with pytest.raises(ImportValidationError, match=r"ratings.csv, row 2, column 'movieId': unknown item '2'"):
        import_movielens(store, tmp_path / "ml")
    assert store.is_empty()
