"""The scenario library: every file loads, says what it is and where its numbers come from, and packages agree
with the single-reform files."""

from pathlib import Path

import pytest

from recoverysim.compare import resolve_scenario
from recoverysim.parameters import REFORMS
from recoverysim.scenario import load_scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
BASELINE = "japan_baseline"
PACKAGES = {p: sorted(r for r, spec in REFORMS.items() if spec.package == p)
            for p in ("organisational_change", "social_cultural_change")}
LIBRARY = [*REFORMS, *PACKAGES, "all_reforms", "community_based_system"]


def _header(name: str) -> str:
    lines = (SCENARIOS / f"{name}.toml").read_text(encoding="utf-8").splitlines()
    comment = lines[: next(i for i, ln in enumerate(lines) if not ln.startswith("#"))]
    return " ".join(ln.lstrip("#").strip() for ln in comment)


def _reforms(name: str) -> dict:
    return {r.name: r for r in load_scenario(SCENARIOS / f"{name}.toml").reforms}


@pytest.mark.parametrize("name", LIBRARY)
def test_file_loads_extends_baseline_and_is_named_after_itself(name):
    scenario = load_scenario(resolve_scenario(name))
    assert scenario.name == name
    assert Path(scenario.files[0]).stem == BASELINE
    assert scenario.description


@pytest.mark.parametrize("name", LIBRARY)
def test_header_says_what_where_and_sources(name):
    header = _header(name)
    assert len(header) > 300, "header comment missing or too short"
    assert "Nakanishi et al. 2021" in header and "doi:10.1192/bjo.2020.156" in header
    assert "Theme 3" in header
    assert "assumed" in header or "see those headers" in header or "see each single-reform file" in header


@pytest.mark.parametrize("reform", REFORMS)
def test_single_reform_files(reform):
    reforms = _reforms(reform)
    assert list(reforms) == [reform]
    r = reforms[reform]
    assert 0 < r.coverage <= 1 and r.start_year >= 0 and r.ramp_years >= 0
    if REFORMS[reform].capacity_target is None:
        assert r.capacity == 0
    header = _header(reform)
    # Coverage is always assumed and needs a range; the effect's evidence is in reform_evidence.py.
    assert "Coverage" in header and "range" in header or "Coverage 1" in header
    assert "reform_evidence.py" in header


@pytest.mark.parametrize("package", [*PACKAGES, "all_reforms"])
def test_packages_hold_the_same_reforms_as_the_single_files(package):
    expected = sorted(REFORMS) if package == "all_reforms" else PACKAGES[package]
    reforms = _reforms(package)
    assert sorted(reforms) == expected
    for name, r in reforms.items():
        assert r == _reforms(name)[name], f"{package}: {name} differs from {name}.toml"


def test_packages_match_the_registry():
    # The paper's grouping (Abstract and Theme 3): personalised goals belong to social-cultural change.
    assert PACKAGES["organisational_change"] == sorted(
        ["trauma_informed_care", "crisis_advocacy", "community_network_care"])
    assert PACKAGES["social_cultural_change"] == sorted(["personalised_goals", "inclusive_design", "open_community"])


def test_only_capacity_reforms_set_capacity():
    for name in REFORMS:
        r = _reforms(name)[name]
        assert (r.capacity > 0) == (name in ("crisis_advocacy", "community_network_care"))


def test_community_based_system_is_community_based_from_the_start():
    base = load_scenario(SCENARIOS / f"{BASELINE}.toml")
    cbs = load_scenario(SCENARIOS / "community_based_system.toml")
    assert cbs.reforms == ()
    assert cbs["roots.psychosocial_gap"] < base["roots.psychosocial_gap"]
    assert cbs["levers.community_support_capacity"] > base["levers.community_support_capacity"]
    assert cbs["levers.bed_capacity"] < base["levers.bed_capacity"]
    assert cbs["levers.peer_availability"] > base["levers.peer_availability"]
    assert cbs["population.initial_in_hospital"] < base["population.initial_in_hospital"]
    # The social-cultural context is Japan's.
    for root in ("rules_over_values", "shame_pressure", "thin_networks"):
        assert cbs[f"roots.{root}"] == base[f"roots.{root}"]
    # Same people and horizon as the baseline, so the two can be compared directly.
    assert cbs["population.size"] == base["population.size"] and cbs["run.years"] == base["run.years"]
