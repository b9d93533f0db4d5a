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


def _movielens_like(folder: Path) -> Path:
    """A MovieLens-layout folder made here (quoted titles with commas, a title with a trailing
    article, no-genre films, tags without a rating, a corrected rating), so the import is checked
    on every clean clone, not only where the shared copy of ml-latest-small sits beside it."""
    write(folder / "movies.csv", 'movieId,title,genres\n'
          '1,Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy\n'
          '2,"Matrix, The (1999)",Action|Sci-Fi|Thriller\n'
          '3,"Good, the Bad and the Ugly, The (Buono, il brutto, il cattivo, Il) (1966)",Action|Western\n'
          '4,Untitled Film,(no genres listed)\n')
    write(folder / "ratings.csv", "userId,movieId,rating,timestamp\n"
          "1,1,4.0,964982703\n1,2,5.0,964982931\n1,3,0.5,964983000\n2,2,3.5,1445714835\n2,4,2.0,1445714900\n")
    write(folder / "tags.csv", "userId,movieId,tag,timestamp\n"
          "2,2,mind-bending,1445714840\n2,2,Keanu,1445714841\n3,1,pixar,1445715000\n")
    return folder


def test_a_movielens_layout_imports_exactly(store: Store, tmp_path: Path) -> None:
    report = import_movielens(store, _movielens_like(tmp_path / "ml"))
    info = store.info()
    assert (info.n_items, info.n_users, info.n_interactions, info.n_tags) == (4, 2, 5, 3)
    assert report.import_id == 1
    with store.cursor() as cur:
        rows = dict(cur.execute("SELECT item_id, title FROM items").fetchall())
        assert rows["3"] == "Good, the Bad and the Ugly, The (Buono, il brutto, il cattivo, Il) (1966)"
        attrs = json.loads(cur.execute("SELECT attributes FROM items WHERE item_id = '2'").fetchall()[0][0])
        assert attrs == {"year": 1999}
        tagged = cur.execute("SELECT text FROM interactions WHERE user_id = '2' AND item_id = '2'").fetchall()[0][0]
        assert "mind-bending" in tagged and "Keanu" in tagged
        low = cur.execute("SELECT value FROM interactions WHERE user_id = '1' AND item_id = '3'").fetchall()[0][0]
        assert low == 0.5
    assert not import_movielens(store, tmp_path / "ml").changed_anything


def test_an_empty_movielens_tag_is_refused_with_its_row(store: Store, tmp_path: Path) -> None:
    folder = _movielens_like(tmp_path / "ml")
    write(folder / "tags.csv", "userId,movieId,tag,timestamp\n2,2,mind-bending,1445714840\n2,1,  ,1445714841\n")
    with pytest.raises(ImportValidationError, match=r"tags.csv, row 2, column 'tag': empty tag"):
        import_movielens(store, folder)
    assert store.is_empty()
