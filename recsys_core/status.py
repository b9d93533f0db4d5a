"""Where the model pipeline stands, for the home page: the newest build, whether the data
moved on since, and the latest evaluation's headline."""

from __future__ import annotations

from dataclasses import dataclass

from recsys_core.data.builds import BuildInfo, latest_build
from recsys_core.data.store import Store
from recsys_core.evaluation.runs import latest_headline


@dataclass(frozen=True, slots=True)
class PipelineStatus:
    """``is_stale`` is True when the data changed after the build. ``evaluation`` is the
    latest run's headline (run_id, created_at, n_users, learned_ndcg_10, best_baseline,
    best_baseline_ndcg_10), or None."""

    build: BuildInfo | None
    data_version: int
    is_stale: bool
    evaluation: dict[str, object] | None


def pipeline_status(store: Store) -> PipelineStatus:
    build = latest_build(store)
    version = store.data_version()
    return PipelineStatus(build, version, build is not None and build.data_version != version, latest_headline(store))
