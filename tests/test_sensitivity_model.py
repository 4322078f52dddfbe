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
