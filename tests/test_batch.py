"""Runs stepped together in one set of arrays: each run of a batch equals the same run stepped alone, bit for bit."""

import hashlib

import numpy as np
import pandas as pd
import pytest

from recoverysim.model import RecoveryModel
from recoverysim.scenario import load_scenario
from recoverysim.simulation import replicate_seed, run_replications, simulate, simulate_headline, simulate_headlines

SIZE = {"population.size": 800, "run.years": 3}


def _run_digest(model: RecoveryModel, run: int) -> str:
    """Every population array, tie degree and recorded value of one run of a model."""
    h = hashlib.sha256()
    mine = model.people_of(run)
    for name, value in sorted(vars(model.population).items()):
        if isinstance(value, np.ndarray) and name != "run":
            h.update(name.encode())
            h.update(np.ascontiguousarray(value[mine]).tobytes())
    for tie_type, ties in sorted(model.network.ties.items()):
        h.update(tie_type.encode())
        h.update(np.ascontiguousarray(ties.degree[mine]).tobytes())
    h.update(np.ascontiguousarray(model.recorder.table[run]).tobytes())
    return h.hexdigest()


def _runs():
    """Runs that differ in scenario, seed, every kind of parameter, loops and saturated roots."""
    extreme = {"levers.coercion": 1.0, "roots.thin_networks": 1.0, "roots.shame_pressure": 1.0,
               "roots.trauma_insensitivity": 1.0, "loops.peer_burnout": False, "levers.peer_availability": 0.9}
    scarce = {"levers.coercion": 0.0, "roots.advocacy_gap": 1.0, "roots.psychosocial_gap": 1.0,
              "crisis.inpatient_coercion_rate": 0.0, "loops.stigma_visibility": False, "levers.bed_capacity": 0.5,
              "levers.community_support_capacity": 0.0}
    return [
        (load_scenario("scenarios/japan_baseline.toml", SIZE), 11),
        (load_scenario("scenarios/all_reforms.toml", SIZE), 12),
        (load_scenario("scenarios/japan_baseline.toml", {**SIZE, **extreme}), 13),
        (load_scenario("scenarios/community_based_system.toml", SIZE), 14),
        (load_scenario("scenarios/japan_baseline.toml", {**SIZE, **scarce}), 15),
        (load_scenario("scenarios/japan_baseline.toml", SIZE), 11),  # the first run again, later in the batch
    ]


def test_each_run_of_a_batch_is_the_run_alone():
    runs = _runs()
    batch = RecoveryModel(runs=runs, materialise_agents=False).run()
    assert batch.population.size == len(runs) * 800
    for r, (scenario, seed) in enumerate(runs):
        alone = RecoveryModel(scenario, rng=seed, materialise_agents=False).run()
        assert _run_digest(batch, r) == _run_digest(alone, 0), f"run {r} ({scenario.name}) differs in the batch"
        assert batch.headline(r) == pytest.approx(alone.headline(), nan_ok=True, rel=0, abs=0)
        assert np.array_equal(batch.yearly_transitions(r), alone.yearly_transitions())
    assert _run_digest(batch, 0) == _run_digest(batch, 5)


def test_recorded_draws_of_a_batch_are_each_runs_own():
    runs = _runs()[:3]
    batch = RecoveryModel(runs=runs, materialise_agents=False, record_draws=True).run()
    for r, (scenario, seed) in enumerate(runs):
        alone = RecoveryModel(scenario, rng=seed, materialise_agents=False, record_draws=True).run()
        for stream in ("progress", "crisis", "response", "discharge", "peer_partner", "community_tie_loss"):
            assert batch.streams.digest(stream, r) == alone.streams.digest(stream)


def test_simulate_headlines_batches_only_runs_of_the_same_shape_and_keeps_their_order():
    short = load_scenario("scenarios/japan_baseline.toml", {"population.size": 600, "run.years": 2})
    other = short.with_overrides({"population.size": 500})
    runs = [(short, 1), (other, 2), (short.with_overrides({"levers.coercion": 0.9}), 3), (other, 4)]
    together = simulate_headlines(runs, batch_size=3)
    for (scenario, seed), got in zip(runs, together, strict=True):
        assert got == pytest.approx(simulate_headline(scenario, seed), nan_ok=True, rel=0, abs=0)


def test_runs_of_different_shapes_cannot_share_a_batch():
    a = load_scenario("scenarios/japan_baseline.toml", {"population.size": 600, "run.years": 2})
    with pytest.raises(ValueError, match="population.size"):
        RecoveryModel(runs=[(a, 1), (a.with_overrides({"run.years": 3}), 2)])
    with pytest.raises(ValueError, match="either"):
        RecoveryModel(a, rng=1, runs=[(a, 1)])


def test_replicates_stepped_together_give_each_replicates_own_tables():
    scenario = load_scenario("scenarios/all_reforms.toml", {"population.size": 600, "run.years": 2})
    together = run_replications(scenario, replications=3, seed=5)
    for r, got in enumerate(together.runs):
        alone = simulate(scenario, seed=replicate_seed(5, r), replicate=r)
        assert got.seed == alone.seed and got.headline == pytest.approx(alone.headline, nan_ok=True, rel=0, abs=0)
        for table in ("timeseries", "admissions", "discharges", "survival", "subgroups"):
            pd.testing.assert_frame_equal(getattr(got, table), getattr(alone, table))
        assert np.array_equal(got.yearly_transitions, alone.yearly_transitions)


def test_each_piloted_run_of_a_batch_is_the_run_alone():
    # Runs above run.spin_up_pilot_size spin up on a pilot (recoverysim/spin_up.py), itself a batch: still each
    # run's own numbers.
    piloted = {"population.size": 1500, "run.years": 2, "run.spin_up_pilot_size": 1000, "run.spin_up_years": 4,
               "run.spin_up_full_years": 2}
    runs = [(load_scenario("scenarios/japan_baseline.toml", piloted), 21),
            (load_scenario("scenarios/all_reforms.toml", piloted), 22)]
    batch = RecoveryModel(runs=runs, materialise_agents=False).run()
    for r, (scenario, seed) in enumerate(runs):
        alone = RecoveryModel(scenario, rng=seed, materialise_agents=False).run()
        assert _run_digest(batch, r) == _run_digest(alone, 0), f"run {r} ({scenario.name}) differs in the batch"


def test_by_run_is_a_view_of_each_runs_people_in_a_row():
    from hand_made import population

    pop = population(3, runs=2, trauma_load=[0.0, 1.0, 2.0, 3.0, 4.0, 5.0], in_hospital=[1, 0, 1, 0, 0, 1])
    rows = pop.by_run(pop.trauma_load)
    assert rows.shape == (2, 3) and rows.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    rows[1, 0] = 9.0  # written through: a view, never a copy
    assert pop.trauma_load[3] == 9.0
    assert pop.count_by_run(pop.in_hospital).tolist() == [2, 1]
