"""The run, describe and loops commands end to end."""

import json

import pandas as pd

from recoverysim.cli import main
from recoverysim.outcomes import OUTCOMES
from recoverysim.parameters import PARAMETERS, STAGES

REQUIRED = ["replicate", "week", "discontinuity", "safety", "control", "reunion", "in_hospital", "crises",
            "admissions_voluntary", "admissions_involuntary", "coercive_episodes", "retraumatisations",
            "discharges", "peer_workers"]


def test_run_writes_a_complete_folder(tmp_path, baseline_path, capsys):
    out = tmp_path / "run"
    code = main(["run", str(baseline_path), "--out", str(out), "--replications", "2", "--population", "400",
                 "--years", "2", "--seed", "3", "--set", "levers.coercion=0.2", "--quiet"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "share_reunion_end" in printed and str(out) in printed
    ts = pd.read_csv(out / "timeseries.csv")
    assert all(c in ts.columns for c in REQUIRED)
    assert len(ts) == 2 * (2 * 52 + 1)
    assert (ts[list(STAGES)].sum(axis=1) == 400).all()
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary.columns[:4]) == ["metric", "mean", "ci_low", "ci_high"]
    assert set(summary["metric"]) == set(OUTCOMES)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["resolved"]["parameters"]["levers.coercion"] == 0.2
    assert manifest["resolved"]["parameters"]["population.size"] == 400
    assert len(manifest["seeds"]) == 2 and manifest["wall_seconds"] > 0
    assert set(manifest["resolved"]["parameters"]) == set(PARAMETERS)
    assert {p.name for p in (out / "figures").iterdir()} == {"stage_occupancy.png", "time_to_stage.png"}
    assert (out / "transitions.csv").exists() and (out / "subgroups.csv").exists()


def test_rerun_is_byte_identical(tmp_path, baseline_path):
    args = ["--replications", "1", "--population", "300", "--years", "1", "--quiet"]
    main(["run", str(baseline_path), "--out", str(tmp_path / "a"), *args])
    main(["run", str(baseline_path), "--out", str(tmp_path / "b"), *args])
    for name in ("timeseries.csv", "summary.csv", "subgroups.csv", "transitions.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_describe_lists_every_parameter(baseline_path, capsys):
    assert main(["describe", str(baseline_path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    names = {row["name"] for row in data["parameters"]}
    assert names == set(PARAMETERS)
    row = next(r for r in data["parameters"] if r["name"] == "levers.bed_capacity")
    assert row["value"] == 79.0 and row["unit"] and row["source"].startswith("MHLW")
    assert main(["describe"]) == 0
    text = capsys.readouterr().out
    assert "[roots]" in text and "levers.coercion" in text and "Source:" in text


def test_loops_command_draws_the_diagram(tmp_path, capsys):
    assert main(["loops", "--out", str(tmp_path / "cld.png")]) == 0
    text = capsys.readouterr().out
    assert "peer_burnout (balancing)" in text and "coercion_trauma (reinforcing)" in text
    assert (tmp_path / "cld.png").stat().st_size > 10_000
