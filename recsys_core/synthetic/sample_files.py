"""Write the shipped sample dataset (and its planted truth) to a folder.

``python -m recsys_core generate-sample`` calls :func:`write_sample`; the files it writes
are committed in ``sample_data/`` so the app has data on its first start. Regenerating with
the same seeds gives byte-identical files.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from recsys_core.errors import InvalidArgumentError
from recsys_core.synthetic.behaviour import BehaviourSpec, generate_behaviour
from recsys_core.synthetic.catalogue import generate_catalogue

SAMPLE_FILES = ("items.csv", "interactions.csv", "users.csv")
TRUTH_FILES = ("truth/items.csv", "truth/users.csv", "truth/sessions.csv", "truth/trends.csv")


def write_sample(folder: str | Path, n_items: int = 2400, n_users: int = 1200, seed: int = 7) -> dict[str, int]:
    """Generate the sample and write it as CSV files.

    Args:
        folder: Target folder; ``truth/`` is created inside it.
        n_items: Catalogue size.
        n_users: Number of simulated users.
        seed: Base seed (catalogue uses ``seed``, behaviour ``seed + 4``).

    Returns:
        Row counts per written file.
    """
    folder = Path(folder)
    if n_users < 1:
        raise InvalidArgumentError(f"the sample needs at least 1 user, got {n_users}")
    items, truth_items = generate_catalogue(n_items=n_items, seed=seed)  # refuses bad sizes before any write
    out = generate_behaviour(truth_items, BehaviourSpec(n_users=n_users), seed=seed + 4)
    (folder / "truth").mkdir(parents=True, exist_ok=True)
    inter = out["interactions"].copy()
    inter["rating"] = inter["rating"].map(lambda v: "" if pd.isna(v) else str(int(v)))
    users = out["users"][out["users"]["profile_text"] != ""]
    frames = {
        "items.csv": items,
        "interactions.csv": inter,
        "users.csv": users,
        "truth/items.csv": truth_items,
        "truth/users.csv": out["truth_users"],
        "truth/sessions.csv": out["truth_sessions"],
        "truth/trends.csv": out["truth_trends"],
    }
    for name, frame in frames.items():
        frame.to_csv(folder / name, index=False, lineterminator="\n", float_format="%.6g")
    return {name: len(frame) for name, frame in frames.items()}
