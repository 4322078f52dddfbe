"""benchmarks/beds_sweep.py pairs each arm with no beds against the same settings with the default beds."""

import importlib.util
from pathlib import Path

from recoverysim.parameters import PARAMETERS

ROOT = Path(__file__).resolve().parents[1]


def _beds_sweep():
    spec = importlib.util.spec_from_file_location("beds_sweep", ROOT / "benchmarks" / "beds_sweep.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_each_pair_differs_only_by_the_beds():
    sweep = _beds_sweep()
    plan = sweep.arms(1000)
    settings = {(group, setting) for group, setting, _ in plan}
    assert len(plan) == 2 * len(settings)
    for group, setting in settings:
        with_beds, without = plan[(group, setting, False)], plan[(group, setting, True)]
        assert "levers.bed_capacity" not in with_beds
        assert without == {**with_beds, "levers.bed_capacity": 0.0}


def test_the_sweep_stays_within_the_assumed_range_of_the_unmet_crisis_cost():
    sweep = _beds_sweep()
    low, high = PARAMETERS["crisis.unmet_crisis_trauma"].low, PARAMETERS["crisis.unmet_crisis_trauma"].high
    assert min(sweep.UNMET_TRAUMA) == low and max(sweep.UNMET_TRAUMA) == high
    assert PARAMETERS["crisis.unmet_crisis_trauma"].default in sweep.UNMET_TRAUMA
