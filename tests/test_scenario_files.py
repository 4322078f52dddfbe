"""Scenario loading, inheritance, overrides and every kind of bad input."""

from pathlib import Path

import pytest

from recoverysim.cli import main
from recoverysim.errors import ScenarioError
from recoverysim.parameters import PARAMETERS, REFORMS
from recoverysim.scenario import default_scenario, load_scenario, parse_assignment


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_defaults_cover_every_parameter():
    s = default_scenario()
    assert set(s.values) == set(PARAMETERS)
    for name, p in PARAMETERS.items():
        assert s[name] == p.default
        assert p.source, name
        if p.kind is not bool:
            assert p.low <= p.default <= p.high, name


def test_every_assumed_number_has_a_range():
    for p in PARAMETERS.values():
        if p.kind in (int, float):
            assert p.low is not None and p.high is not None and p.low < p.high, p.name


def test_extends_inherits_and_overrides(tmp_path):
    write(tmp_path, "base.toml", "[levers]\ncoercion = 0.4\npeer_availability = 0.2\n"
          "[[reforms]]\nname = 'open_community'\ncoverage = 0.3\n")
    child = write(tmp_path, "child.toml", "extends = 'base.toml'\n[levers]\ncoercion = 0.1\n"
                  "[[reforms]]\nname = 'open_community'\ncoverage = 0.9\n"
                  "[[reforms]]\nname = 'crisis_advocacy'\ncapacity = 2\n")
    s = load_scenario(child)
    assert s["levers.coercion"] == 0.1
    assert s["levers.peer_availability"] == 0.2
    assert [(r.name, r.coverage) for r in s.reforms] == [("open_community", 0.9), ("crisis_advocacy", 1.0)]
    assert s.files == (str(tmp_path / "base.toml"), str(child))


def test_overrides_make_a_new_scenario_and_leave_the_old_one_alone(baseline_path):
    base = load_scenario(baseline_path)
    other = base.with_overrides({"levers.coercion": 0.05})
    assert other["levers.coercion"] == 0.05
    assert base["levers.coercion"] != 0.05
    assert base.params.levers.coercion != 0.05
    with pytest.raises(AttributeError):
        base.params.levers.coercion = 0.0
    with pytest.raises(TypeError):
        base.values["levers.coercion"] = 0.0
    assert base.content_hash != other.content_hash


def test_parse_assignment_uses_toml_values():
    assert parse_assignment("levers.coercion=0.2") == ("levers.coercion", 0.2)
    assert parse_assignment("loops.coercion_trauma=false") == ("loops.coercion_trauma", False)
    assert parse_assignment("population.size = 300") == ("population.size", 300)


def test_reform_ramp():
    from recoverysim.scenario import Reform

    r = Reform("trauma_informed_care", start_year=1, ramp_years=2, coverage=0.5)
    assert r.level(0) == 0 and r.level(52) == 0
    assert r.level(104) == pytest.approx(0.5)
    assert r.level(156) == 1.0 and r.level(1000) == 1.0
    assert r.root == "trauma_insensitivity"


BAD_INPUTS = [
    ("typo.toml", "[levers]\ncoersion = 0.2\n", "levers.coersion", "unknown parameter"),
    ("section.toml", "[lever]\ncoercion = 0.2\n", "lever", "unknown key"),
    ("range.toml", "[levers]\ncoercion = 1.5\n", "levers.coercion", "out of range [0, 1]"),
    ("type.toml", "[levers]\ncoercion = 'high'\n", "levers.coercion", "must be a number"),
    ("bool.toml", "[loops]\npeer_burnout = 1\n", "loops.peer_burnout", "true or false"),
    ("int.toml", "[population]\nsize = 10.5\n", "population.size", "whole number"),
    ("reform.toml", "[[reforms]]\nname = 'more_beds'\n", "reforms[0].name", "unknown reform"),
    ("reformfield.toml", "[[reforms]]\nname = 'open_community'\nstrength = 1\n", "reforms[0].strength",
     "unknown reform field"),
    ("reformrange.toml", "[[reforms]]\nname = 'open_community'\ncoverage = 2\n", "reforms[0].coverage",
     "out of range"),
    ("capacity.toml", "[[reforms]]\nname = 'open_community'\ncapacity = 2\n", "reforms[0].capacity",
     "adds no capacity"),
    ("shares.toml", "[population]\nshare_reunion = 0.9\n", "population.share_*", "sum to 1"),
    ("malformed.toml", "[levers\ncoercion = 0.2\n", None, "malformed TOML"),
    ("missing.toml", "extends = 'nowhere.toml'\n", "extends", "not found"),
]


@pytest.mark.parametrize(("name", "text", "key", "problem"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_is_one_clear_error(tmp_path, capsys, name, text, key, problem):
    path = write(tmp_path, name, text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert problem in str(info.value)
    if key:
        assert key in str(info.value)
    out = tmp_path / "out"
    code = main(["run", str(path), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: ") and "Traceback" not in err
    assert str(path) in err or "nowhere.toml" in err
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_circular_extends(tmp_path, capsys):
    write(tmp_path, "a.toml", "extends = 'b.toml'\n")
    write(tmp_path, "b.toml", "extends = 'a.toml'\n")
    with pytest.raises(ScenarioError, match="circular extends"):
        load_scenario(tmp_path / "a.toml")
    assert main(["describe", str(tmp_path / "a.toml")]) == 2
    assert "circular" in capsys.readouterr().err


def test_bad_set_override(baseline_path, capsys, tmp_path):
    code = main(["run", str(baseline_path), "--set", "levers.coercion=7", "--out", str(tmp_path / "o"), "--quiet"])
    assert code == 2
    err = capsys.readouterr().err
    assert "--set: levers.coercion: 7.0 is out of range [0, 1]" in err
    assert not (tmp_path / "o").exists()


def test_every_reform_name_is_accepted(tmp_path):
    text = "".join(f"[[reforms]]\nname = '{r}'\n" for r in REFORMS)
    s = load_scenario(write(tmp_path, "all.toml", text))
    assert {r.name for r in s.reforms} == set(REFORMS)
