"""The recoverysim model through the adapter: a tiny end-to-end run, pickling and common random numbers."""

import json
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("recoverysim.simulation")

from recoverysim.sensitivity.experiment import load_experiment  # noqa: E402
from recoverysim.sensitivity.model_adapter import build_model_function  # noqa: E402

pytestmark = pytest.mark.timeout(120)

ROOT = Path(__file__).resolve().parent.parent
TINY = f"""
scenario = "{(ROOT / 'scenarios' / 'japan_baseline.toml').as_posix()}"
method = "morris"
n = 2
seed = 4
population = 60
years = 1
replications = 2
parameters = ["crisis.rate", "levers.coercion"]
outputs = ["crises_per_1000_person_years", "share_reunion_end"]
"""


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(TINY)
    return path


def test_model_function_pickles_and_uses_common_random_numbers(tiny):
    func = build_model_function(load_experiment(tiny))
    clone = pickle.loads(pickle.dumps(func))
    assert clone.scenario.content_hash == func.scenario.content_hash
    assert clone.scenario["population.size"] == 60 and clone.scenario["run.years"] == 1
    x = np.array([[0.5, 0.3], [0.5, 0.3], [2.5, 0.3]])
    y = clone(x)
    assert y.shape == (3, 2)
    assert np.array_equal(y[0], y[1])  # same seeds for every row
    assert y[2, 0] > y[0, 0]  # five times the crisis hazard gives more crises


def test_tiny_end_to_end_run_through_the_main_cli(tiny, tmp_path):
    from recoverysim.cli import main

    out = tmp_path / "out"
    assert main(["sensitivity", str(tiny), "--out", str(out), "--executor", "serial", "--no-progress"]) == 0
    indices = pd.read_csv(out / "indices.csv")
    assert set(indices["parameter"]) == {"crisis.rate", "levers.coercion"}
    assert set(indices["output"]) == {"crises_per_1000_person_years", "share_reunion_end"}
    mu_star = indices[(indices["index"] == "mu_star")
                      & (indices["output"] == "crises_per_1000_person_years")].set_index("parameter")["value"]
    assert mu_star["crisis.rate"] > mu_star["levers.coercion"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"] == {"samples": 6, "stored_before_this_session": 0, "evaluated_this_session": 6,
                                  "failed": 0, "succeeded": 6}
    assert manifest["experiment"]["sha256"] and manifest["recoverysim_version"]
    assert len(manifest["replicate_seeds"]) == 2
    assert len(pd.read_csv(out / "samples.csv")) == 6 and len(pd.read_csv(out / "results.csv")) == 6
    assert (out / "figures" / "morris_crises_per_1000_person_years.png").is_file()


def _effect_file(tmp_path, effect_of, parameters='["crisis.rate", "levers.coercion"]'):
    path = tmp_path / "effect.toml"
    text = (TINY.replace('parameters = ["crisis.rate", "levers.coercion"]', f"parameters = {parameters}")
            .replace("years = 1", "years = 3").replace("population = 60", "population = 300")
            .replace('"share_reunion_end"]', '"coercive_episodes_per_1000_person_years"]'))
    path.write_text(text + f'effect_of = "{effect_of.as_posix()}"\n')
    return path


def test_an_effect_output_is_the_paired_difference_of_the_two_arms_on_the_same_seeds(tmp_path):
    # Oracle: each arm run alone with simulate() on the experiment's replicate seeds, differenced by hand.
    from recoverysim.seeds import replicate_seeds
    from recoverysim.simulation import simulate

    tic = ROOT / "scenarios" / "trauma_informed_care.toml"
    exp = load_experiment(_effect_file(tmp_path, tic))
    assert exp.output_names == ("effect.crises_per_1000_person_years", "effect.coercive_episodes_per_1000_person_years")
    func = build_model_function(exp)
    row = np.array([0.7, 0.4])
    y = func(row[None, :])[0]
    overrides = {"crisis.rate": 0.7, "levers.coercion": 0.4}
    expected = []
    for metric in exp.outputs:
        diffs = [simulate(func.contrast.with_overrides(overrides), seed).headline[metric]
                 - simulate(func.scenario.with_overrides(overrides), seed).headline[metric]
                 for seed in replicate_seeds(exp.design.seed, exp.replications)]
        expected.append(np.mean(diffs))
    np.testing.assert_allclose(y, expected, rtol=1e-12)
    assert y[1] < 0  # trauma-informed care (from year 1) lowers coercion: the oracle is not a trivial 0 = 0


def test_an_effect_of_the_same_scenario_or_on_a_parameter_the_arms_differ_in_is_refused(tmp_path):
    from recoverysim.sensitivity.experiment import ExperimentError

    with pytest.raises(ExperimentError, match="effect_of: is the same file as scenario"):
        load_experiment(_effect_file(tmp_path, ROOT / "scenarios" / "japan_baseline.toml"))
    # community_based_system changes the bed capacity, so sampling it would erase the difference
    exp = load_experiment(_effect_file(tmp_path, ROOT / "scenarios" / "community_based_system.toml",
                                       '["crisis.rate", "levers.bed_capacity"]'))
    with pytest.raises(ExperimentError, match=r"parameters\[1\]: 'levers.bed_capacity' differs"):
        build_model_function(exp)
