"""benchmarks/beds_sweep.py pairs each arm with no beds against the same settings with the default beds."""

from conftest import SCENARIOS

from recoverysim.parameters import PARAMETERS
from recoverysim.scenario import load_scenario


def test_each_pair_differs_only_by_the_beds(benchmark_module):
    plan = benchmark_module("beds_sweep").arms()
    settings = {(group, setting) for group, setting, _ in plan}
    assert len(plan) == 2 * len(settings)
    for group, setting in settings:
        with_beds, without = plan[(group, setting, False)], plan[(group, setting, True)]
        assert "levers.bed_capacity" not in with_beds
        assert without == {**with_beds, "levers.bed_capacity": 0.0}


def test_arms_with_the_same_overrides_are_simulated_once(benchmark_module):
    sweep = benchmark_module("beds_sweep")
    plan = sweep.arms()
    baseline = load_scenario(SCENARIOS / "japan_baseline.toml")
    runs = sweep.distinct_runs(plan, baseline)
    assert sorted(key for served in runs.values() for key in served) == sorted(plan)
    # The baseline's own unmet-crisis cost is the arm with nothing switched off, with and without beds: the
    # 10 settings x 2 arms make 18 distinct runs.
    at_default = f"{baseline['crisis.unmet_crisis_trauma']:g}"
    assert len(runs) == len(plan) - 2 == 18
    for no_beds in (False, True):
        [served] = [keys for keys in runs.values() if ("unmet_crisis_trauma", at_default, no_beds) in keys]
        assert sorted(served) == sorted([("unmet_crisis_trauma", at_default, no_beds),
                                         ("harm of a stay", "none switched off", no_beds)])


def test_the_sweep_stays_within_the_assumed_range_of_the_unmet_crisis_cost(benchmark_module):
    sweep = benchmark_module("beds_sweep")
    low, high = PARAMETERS["crisis.unmet_crisis_trauma"].low, PARAMETERS["crisis.unmet_crisis_trauma"].high
    assert min(sweep.UNMET_TRAUMA) == low and max(sweep.UNMET_TRAUMA) == high
    assert PARAMETERS["crisis.unmet_crisis_trauma"].default in sweep.UNMET_TRAUMA
