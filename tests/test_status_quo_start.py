"""Runs that start from another run's status quo (spin_up.StatusQuo), and the sensitivity mode built on them."""

from pathlib import Path

import numpy as np
import pytest

from recoverysim.model import RecoveryModel, state_digest, status_quo
from recoverysim.scenario import load_scenario
from recoverysim.sensitivity import model_adapter
from recoverysim.sensitivity.experiment import ExperimentError, load_experiment
from recoverysim.sensitivity.model_adapter import build_model_function
from recoverysim.simulation import simulate_headline

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "scenarios" / "japan_baseline.toml"


def _scenario(**extra):
    return load_scenario(BASE, {"population.size": 800, "run.years": 2, "run.spin_up_years": 3, **extra})


def _run(scenario, seed, start=None):
    return RecoveryModel(runs=[(scenario, seed)], start=start, materialise_agents=False).run()


@pytest.mark.parametrize("extra", [{}, {"run.spin_up_years": 0},
                                   {"population.size": 2400, "run.spin_up_pilot_size": 1000,
                                    "run.spin_up_full_years": 1}],
                         ids=["spin-up", "no spin-up", "piloted spin-up"])
def test_a_run_started_from_its_own_status_quo_is_its_own_run_bit_for_bit(extra):
    scenario = _scenario(**extra)
    own = RecoveryModel(scenario, rng=5, materialise_agents=False, keep_status_quo=True)
    quo = own.status_quo
    assert quo.week == (-1 if extra.get("run.spin_up_years") == 0 else -2)
    own.run()
    assert state_digest(_run(scenario, 5, [quo])) == state_digest(own)
    # The status quo is a copy: starting from it twice gives the same run again.
    assert state_digest(_run(scenario, 5, [quo])) == state_digest(own)


def test_runs_of_a_batch_started_from_status_quos_are_the_runs_alone():
    base, other = _scenario(), _scenario(**{"levers.coercion": 0.1})
    quos = [status_quo(base, seed) for seed in (1, 2)]
    batch = RecoveryModel(runs=[(other, 1), (base, 2), (base, 1)], start=[quos[0], quos[1], quos[0]],
                          materialise_agents=False).run()
    assert batch.headline(0) == _run(other, 1, [quos[0]]).headline()
    assert batch.headline(1) == simulate_headline(base, 2)
    assert batch.headline(2) == simulate_headline(base, 1)


def test_a_change_at_the_status_quo_acts_from_its_last_week():
    base = _scenario()
    quo = status_quo(base, 3)
    no_coercion = _scenario(**{"levers.coercion": 0.0})
    changed, unchanged = _run(no_coercion, 3, [quo]), _run(base, 3, [quo])
    assert changed.headline()["coercive_episodes_per_1000_person_years"] == 0
    assert unchanged.headline()["coercive_episodes_per_1000_person_years"] > 0
    # Both start from the same people: the stage of everyone at week 0 differs only through week -1.
    assert np.mean(changed.initial_stage == unchanged.initial_stage) > 0.98
    # ...whereas the run spun up with no coercion starts from its own stationary state.
    own = RecoveryModel(no_coercion, rng=3, materialise_agents=False)
    assert not np.array_equal(own.population.trauma_load, changed.population.trauma_load)


def test_a_status_quo_refuses_a_run_of_another_layout_or_seed():
    quo = status_quo(_scenario(), 3)
    with pytest.raises(ValueError, match="differ in population.size"):
        _run(_scenario(**{"population.size": 900}), 3, [quo])
    with pytest.raises(ValueError, match="seed 4 cannot start from a status quo of seed 3"):
        _run(_scenario(), 4, [quo])
    with pytest.raises(ValueError, match="2 runs but 1 status quo"):
        RecoveryModel(runs=[(_scenario(), 3)] * 2, start=[quo])
    # The observed years are not part of the state: a longer run may start from it.
    assert _run(_scenario(**{"run.years": 3}), 3, [quo]).week == 3 * 52


EXPERIMENT = f"""
scenario = "{BASE.as_posix()}"
method = "morris"
n = 2
seed = 4
population = 300
years = 2
replications = 2
parameters = ["crisis.rate", "levers.coercion"]
outputs = ["crises_per_1000_person_years", "coercive_episodes_per_1000_person_years"]
"""


def test_rows_that_start_from_the_status_quo_agree_with_their_own_spin_up_at_the_scenarios_values(tmp_path):
    (tmp_path / "quo.toml").write_text(EXPERIMENT + 'start = "status_quo"\n')
    (tmp_path / "own.toml").write_text(EXPERIMENT)
    func = build_model_function(load_experiment(tmp_path / "quo.toml"))
    own = build_model_function(load_experiment(tmp_path / "own.toml"))
    assert (func.start, own.start) == ("status_quo", "own_spin_up")
    at_base = np.array([[func.scenario["crisis.rate"], func.scenario["levers.coercion"]]])
    model_adapter._STATUS_QUOS.clear()
    x = np.vstack([at_base, [[0.3, 0.0]], at_base])
    y = func(x)
    assert len(model_adapter._STATUS_QUOS) == 2  # one status quo per replicate seed, shared by every row
    np.testing.assert_array_equal(y[0], own(at_base)[0])  # bit for bit: the row is the status quo's own run
    np.testing.assert_array_equal(y[0], y[2])
    assert y[1, 1] == 0 and y[0, 1] > 0  # no coercion from the status quo on


def test_an_unknown_start_names_the_file_and_the_key(tmp_path):
    path = tmp_path / "e.toml"
    path.write_text(EXPERIMENT + 'start = "stationary"\n')
    with pytest.raises(ExperimentError, match=r"e\.toml: start: must be one of 'own_spin_up', 'status_quo'"):
        load_experiment(path)
