import importlib.util
import json
from pathlib import Path

import pytest

from recoverysim.cli import main
from recoverysim.scenario import load_scenario
from recoverysim.trace import PICKS, format_text, run_trace

ROOT = Path(__file__).resolve().parents[1]
REGRESSION = ROOT / "tests" / "regression"


def _refresh_module():
    spec = importlib.util.spec_from_file_location("refresh_trace", REGRESSION / "refresh_trace.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


REFRESH = _refresh_module()


@pytest.mark.parametrize("name", sorted(REFRESH.CASES))
@pytest.mark.parametrize("suffix", ["txt", "json"])
def test_trace_matches_regression_file(name, suffix):
    expected = (REGRESSION / f"trace_{name}.{suffix}").read_text(encoding="utf-8")
    got = REFRESH.render(REFRESH.CASES[name], as_json=suffix == "json")
    assert got == expected, (f"trace output changed for {name}; if the model change is deliberate, run "
                             "tests/regression/refresh_trace.py and review the diff")


@pytest.fixture(scope="module")
def small():
    return load_scenario(ROOT / "scenarios" / "japan_baseline.toml", {"population.size": 200, "run.years": 3})


def test_same_seed_same_story_and_text_and_json_agree(small):
    a = run_trace(small, person=5, seed=11)
    b = run_trace(small, person=5, seed=11)
    assert a == b
    json.dumps(a)  # plain data
    text = format_text(a)
    assert text.startswith("Person 5 in japan_baseline")
    assert "Held back longest by" in text or "No barrier" in text
    assert len([ln for ln in text.splitlines() if ln.startswith("Year")]) == len(a["weeks"])


def test_story_is_consistent_with_events(small):
    story = run_trace(small, pick="most-crises", seed=3)
    crises = [e for w in story["weeks"] for e in w["events"] if e["type"] == "crisis"]
    assert sum(story["summary"]["crises"].values()) == len(crises) > 0
    stages = [e for w in story["weeks"] for e in w["events"] if e["type"] == "stage"]
    if stages:
        assert stages[0]["before"] == story["start"]["stage"]
        assert stages[-1]["after"] == story["end"]["stage"]
    weeks = [w["week"] for w in story["weeks"]]
    assert weeks == sorted(set(weeks))
    assert story["held_back_longest_by"] in (None, *story["barrier_weeks"])


def test_pick_matches_tracing_that_person_directly(small):
    picked = run_trace(small, pick="longest-in-hospital", seed=3)
    direct = run_trace(small, person=picked["person"], seed=3)
    for key in ("weeks", "summary", "start", "end", "barrier_weeks"):
        assert picked[key] == direct[key]


@pytest.mark.parametrize("pick", sorted(PICKS))
def test_every_pick_runs_or_says_nobody_fits(small, pick):
    try:
        story = run_trace(small, pick=pick, seed=3)
    except Exception as exc:  # noqa: BLE001 - only the user-facing error is acceptable
        assert "nobody" in str(exc) or "everyone" in str(exc)
    else:
        assert story["pick"] == pick and 0 <= story["person"] < 200


def test_out_of_range_person_is_a_clear_error(capsys):
    code = main(["trace", "japan_baseline", "--person", "300", "--population", "300", "--years", "1"])
    assert code == 2
    err = capsys.readouterr().err
    assert "--person 300 is out of range" in err and "0..299" in err


def test_unknown_scenario_name_lists_available(capsys):
    code = main(["trace", "no_such_scenario", "--person", "0"])
    assert code == 2
    err = capsys.readouterr().err
    assert "unknown scenario name: 'no_such_scenario'" in err and "japan_baseline" in err
