"""Command defaults are declared once (parameters.COMMAND_DEFAULTS) and read from there."""

import dataclasses
from pathlib import Path

import pytest

from recoverysim.parameters import COMMAND_DEFAULTS, PARAMETERS


def test_command_defaults_are_declared_in_range_and_apart_from_the_model():
    assert not set(COMMAND_DEFAULTS) & set(PARAMETERS)
    for p in COMMAND_DEFAULTS.values():
        assert p.low <= p.default <= p.high, p.name
        assert p.unit and p.description and p.source in ("assumed", "design")


@pytest.mark.parametrize("name, argv, dest", [
    ("calibrate.budget", ["calibrate", "s", "--targets", "t", "--free", "crisis.rate"], "budget"),
    ("calibrate.replications", ["calibrate", "s", "--targets", "t", "--free", "crisis.rate"], "replications"),
    ("calibrate.profile_points", ["calibrate", "s", "--targets", "t", "--free", "crisis.rate"], "profile_points"),
])
def test_command_line_reads_the_declared_default(monkeypatch, name, argv, dest):
    from recoverysim.cli import build_parser

    changed = dataclasses.replace(COMMAND_DEFAULTS[name], default=COMMAND_DEFAULTS[name].default + 1)
    monkeypatch.setitem(COMMAND_DEFAULTS, name, changed)
    assert getattr(build_parser().parse_args(argv), dest) == changed.default


@pytest.mark.parametrize("name, dest", [("demo.population", "population"), ("demo.years", "years"),
                                        ("demo.replications", "replications")])
def test_demo_reads_the_declared_default(monkeypatch, name, dest):
    from recoverysim.demo import parse_args

    changed = dataclasses.replace(COMMAND_DEFAULTS[name], default=COMMAND_DEFAULTS[name].default + 1)
    monkeypatch.setitem(COMMAND_DEFAULTS, name, changed)
    assert getattr(parse_args([]), dest) == changed.default


def test_experiment_seed_default_is_the_declared_one(monkeypatch, tmp_path):
    from recoverysim.sensitivity.experiment import load_experiment

    scenario = Path(__file__).resolve().parents[1] / "scenarios" / "japan_baseline.toml"
    source = tmp_path / "e.toml"
    source.write_text(f'scenario = "{scenario}"\nmethod = "morris"\nn = 2\nparameters = ["levers.coercion"]\n'
                      'outputs = ["share_reunion_end"]\n')
    changed = dataclasses.replace(COMMAND_DEFAULTS["sensitivity.seed"], default=77)
    monkeypatch.setitem(COMMAND_DEFAULTS, "sensitivity.seed", changed)
    assert load_experiment(source).design.seed == 77
