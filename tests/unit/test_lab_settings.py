"""The lab's settings: one value converted to and from the URL, presets and engine arguments."""

from __future__ import annotations

import json
import math

import pytest

from recsys_core.lab_settings import LabSettings

HAND_SET = LabSettings(alpha=0.3, diversity=0.2, n=7, interest="espresso at home", threshold=0.4,
                       simulated=False, explain=False)


def _present(query: dict[str, str | None]) -> dict[str, str]:
    """The parameters a URL keeps (None removes one)."""
    return {k: v for k, v in query.items() if v is not None}


def test_defaults_make_an_empty_link() -> None:
    assert _present(LabSettings().to_query()) == {}
    assert LabSettings.from_query({}) == LabSettings()


@pytest.mark.parametrize("settings", [
    LabSettings(),
    HAND_SET,
    LabSettings(alpha=0.0),
    LabSettings(alpha=1.0, diversity=1.0, n=50, interest="tea", threshold=0.0),
    LabSettings(n=1, interest="tea", threshold=0.8, simulated=False),
])
def test_url_round_trip(settings: LabSettings) -> None:
    assert LabSettings.from_query(_present(settings.to_query())) == settings


def test_url_parameter_names_and_values() -> None:
    assert _present(HAND_SET.to_query()) == {"alpha": "0.3", "div": "0.2", "n": "7", "interest": "espresso at home",
                                             "thr": "0.4", "sim": "0", "explain": "0"}


def test_url_omits_defaults_and_a_threshold_without_interest() -> None:
    query = LabSettings(threshold=0.5, interest="   ").to_query()
    assert set(query) == {"alpha", "div", "n", "interest", "thr", "sim", "explain", "asof"}  # every name: stale ones go
    assert _present(query) == {}


def test_as_of_travels_in_the_link_and_reaches_the_engine() -> None:
    import datetime as dt

    assert LabSettings().to_query()["asof"] is None  # the next visit is the default
    dated = LabSettings.from_query({"asof": "2018-06-01"})
    assert dated.as_of == "2018-06-01" and dated.to_query()["asof"] == "2018-06-01"
    assert dated.recommend_kwargs()["as_of"] == dt.datetime(2018, 6, 1)
    assert LabSettings.from_query({"asof": "data-end"}).recommend_kwargs()["as_of"] == "data-end"
    for bad in ("someday", "2999-01-01"):
        assert LabSettings.from_query({"asof": bad}).as_of == "next-visit"
    # a preset keeps the view's moment
    assert LabSettings.from_preset({"alpha": 0.2}, dated).as_of == "2018-06-01"


def test_a_hand_set_zero_weight_is_kept() -> None:
    assert LabSettings(alpha=0.0).to_query()["alpha"] == "0.0"
    assert LabSettings.from_query({"alpha": "0"}).alpha == 0.0
    assert LabSettings.from_query({"alpha": "0"}).alpha is not None
    assert LabSettings.from_preset({"alpha": 0.0}).alpha == 0.0
    assert LabSettings(alpha=0.0).recommend_kwargs()["alpha"] == 0.0


@pytest.mark.parametrize(("params", "field"), [
    ({"alpha": "1.7"}, "alpha"), ({"alpha": "-0.1"}, "alpha"), ({"alpha": "x"}, "alpha"), ({"alpha": ""}, "alpha"),
    ({"div": "9"}, "diversity"), ({"div": "-1"}, "diversity"), ({"div": "inf"}, "diversity"),
    ({"n": "-5"}, "n"), ({"n": "0"}, "n"), ({"n": "51"}, "n"), ({"n": "7.5"}, "n"), ({"n": "ten"}, "n"),
    ({"thr": "0.9"}, "threshold"), ({"thr": "-0.1"}, "threshold"),
])
def test_bad_or_out_of_range_values_fall_back_to_the_defaults(params: dict[str, str], field: str) -> None:
    assert getattr(LabSettings.from_query(params), field) == getattr(LabSettings(), field)


@pytest.mark.parametrize("name", ["alpha", "div", "thr"])
def test_nan_is_refused(name: str) -> None:
    for raw in ("nan", "NaN", "-nan"):
        settings = LabSettings.from_query({name: raw})
        assert settings == LabSettings()
        assert not any(isinstance(v, float) and math.isnan(v) for v in vars(settings).values())


def test_the_bounds_themselves_are_accepted() -> None:
    low = LabSettings.from_query({"alpha": "0", "div": "0", "n": "1", "thr": "0"})
    high = LabSettings.from_query({"alpha": "1", "div": "1", "n": "50", "thr": "0.8"})
    assert (low.alpha, low.diversity, low.n, low.threshold) == (0.0, 0.0, 1, 0.0)
    assert (high.alpha, high.diversity, high.n, high.threshold) == (1.0, 1.0, 50, 0.8)


@pytest.mark.parametrize(("raw", "on"), [("1", True), ("true", True), ("YES", True), ("On", True),
                                         ("0", False), ("false", False), ("off", False), ("maybe", False)])
def test_flags(raw: str, on: bool) -> None:
    settings = LabSettings.from_query({"sim": raw, "explain": raw})
    assert settings.simulated is on and settings.explain is on


def test_preset_round_trip_through_json() -> None:
    stored = json.loads(json.dumps(HAND_SET.to_preset()))
    assert stored == {"alpha": 0.3, "diversity": 0.2, "n": 7, "interest": "espresso at home", "threshold": 0.4}
    back = LabSettings.from_preset(stored, LabSettings(simulated=False, explain=False))
    assert back == HAND_SET
    learned = LabSettings(diversity=0.5)
    assert LabSettings.from_preset(json.loads(json.dumps(learned.to_preset()))) == learned


def test_a_preset_keeps_the_views_switches_and_fills_missing_keys() -> None:
    settings = LabSettings.from_preset({"alpha": None}, LabSettings(simulated=False, explain=False))
    assert settings == LabSettings(simulated=False, explain=False)
    assert LabSettings.from_preset({"interest": None}).interest == ""


def test_outputs_strip_the_interest() -> None:
    settings = LabSettings(interest="  espresso  ")
    assert settings.to_preset()["interest"] == "espresso"
    assert settings.to_query()["interest"] == "espresso"
    assert settings.recommend_kwargs()["interest"] == "espresso"
    assert LabSettings(interest="   ").recommend_kwargs()["interest"] is None


def test_engine_arguments() -> None:
    assert HAND_SET.recommend_kwargs() == {"n": 7, "alpha": 0.3, "interest": "espresso at home",
                                           "interest_threshold": 0.4, "diversity": 0.2, "include_simulated": False,
                                           "as_of": "next-visit"}
    assert LabSettings().recommend_kwargs() == {"n": 10, "alpha": None, "interest": None, "interest_threshold": 0.25,
                                                "diversity": 0.0, "include_simulated": True, "as_of": "next-visit"}


def test_settings_are_frozen() -> None:
    with pytest.raises(AttributeError):
        LabSettings().n = 3  # type: ignore[misc]
