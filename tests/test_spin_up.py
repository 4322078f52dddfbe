"""The piloted spin-up of large runs (recoverysim/spin_up.py): the copying, and that it reaches the same state."""

from pathlib import Path

import numpy as np
import pytest

from recoverysim import spin_up
from recoverysim.batch import RunParameters
from recoverysim.codes import CONTROL
from recoverysim.model import RecoveryModel
from recoverysim.parameters import STAGES
from recoverysim.population import NEVER
from recoverysim.random_streams import RandomStreams
from recoverysim.scenario import load_scenario
from tests.conftest import SHIPPED_SPIN_UP_YEARS

BASE = Path(__file__).resolve().parents[1] / "scenarios" / "japan_baseline.toml"


def _scenario(n, pilot, **extra):
    """The Japan baseline at ``n`` people with a pilot of ``pilot``; a short spin-up unless ``extra`` says."""
    values = {"population.size": n, "run.years": 1, "run.spin_up_pilot_size": pilot, "run.spin_up_years": 4,
              "run.spin_up_full_years": 2, **extra}
    return load_scenario(BASE, values)


def test_the_pilot_applies_only_above_its_size_and_before_the_full_size_years():
    assert spin_up.pilot_applies(RunParameters([_scenario(3000, 1000)]))
    assert not spin_up.pilot_applies(RunParameters([_scenario(1000, 1000)]))
    assert not spin_up.pilot_applies(RunParameters([_scenario(3000, 1000, **{"run.spin_up_years": 2})]))
    assert spin_up.full_size_years(RunParameters([_scenario(3000, 1000)])) == 2
    assert spin_up.full_size_years(RunParameters([_scenario(1000, 1000)])) == 4


def test_every_person_copies_a_pilot_person_with_weeks_moved_to_the_full_clock():
    pilot = RecoveryModel(runs=spin_up.pilot_runs([_scenario(2500, 1000)], [3]), materialise_agents=False)
    pop = pilot.population
    pop.last_discharge_week[:3] = [NEVER, -40, -1]
    copy = spin_up.copy_population(pop, 0, 2500, -260, RandomStreams(9))
    assert pilot.spin_up_weeks == 2 * 52  # the pilot steps the years before the full-size ones
    source = np.arange(2500) % 1000
    for name in ("stage", "age", "in_hospital", "long_stay", "trauma_load", "service_mistrust", "diagnosis",
                 "peer_worker", "life_security"):
        np.testing.assert_array_equal(getattr(copy, name), getattr(pop, name)[source], err_msg=name)
    np.testing.assert_array_equal(copy.stage_since, pop.stage_since[source] - 260)
    assert list(copy.last_discharge_week[[0, 1, 2, 1000]]) == [NEVER, -300, -261, NEVER]
    # reach draws are each copy's own: copies of one person are reached independently
    assert len(set(copy.reach_crisis_advocacy[source == 0])) == 3


def test_copied_ties_keep_each_persons_degree_and_join_copies_of_the_same_block():
    scenario = _scenario(2500, 1000)
    pilot = RecoveryModel(runs=spin_up.pilot_runs([scenario], [4]), materialise_agents=False)
    streams = RandomStreams(5)
    pop = spin_up.copy_population(pilot.population, 0, 2500, -260, streams)
    net = spin_up.copy_network(pilot.network, 0, 1000, pop, scenario.params, streams)
    source = np.arange(2500) % 1000
    for tie_type in ("family", "community"):
        np.testing.assert_array_equal(net.degree(tie_type), pilot.network.degree(tie_type)[source], err_msg=tie_type)
    peer = net.ties["peer"]
    assert peer.m > 0 and np.array_equal(peer.row // 1000, peer.col // 1000)  # within one block of copies
    assert np.array_equal(net.degree("peer")[:2000], np.tile(pilot.network.degree("peer"), 2))
    assert (net.degree("professional") == 1).all()
    # a community tie's hazard key is its person's diagnosis flag (one run)
    community = net.ties["community"]
    np.testing.assert_array_equal(community.flag, pop.schizophrenia[community.row])


def _state(model):
    """Levels of the state at week 0, one row per run."""
    pop, net, runs = model.population, model.network, model.runs

    def by_run(values):
        return np.asarray(values, float).reshape(runs, -1).mean(axis=1)

    inpatients = pop.in_hospital.reshape(runs, -1)
    return {
        **{f"share_{s}": by_run(pop.stage == i) for i, s in enumerate(STAGES)},
        "in_hospital": by_run(pop.in_hospital),
        "long_stay_of_inpatients": (pop.long_stay.reshape(runs, -1) & inpatients).sum(1) / inpatients.sum(1),
        "age": by_run(pop.age),
        "trauma_load": by_run(pop.trauma_load),
        "service_mistrust": by_run(pop.service_mistrust),
        "community_ties": by_run(net.degree("community")),
        "peer_ties_of_control_or_more": by_run(net.degree("peer") * (pop.stage >= CONTROL)),
    }


@pytest.mark.timeout(600)
def test_a_piloted_spin_up_reaches_the_state_of_a_full_size_one():
    # 12,000 people, 6 seeds: a 25-year pilot of 3,000 then 5 years at full size, against 30 years at full size.
    # Each level at week 0 must agree within 4 standard errors of the difference of the means over seeds (plus
    # a small absolute floor for levels with almost no spread).
    seeds = range(6)
    levels = {}
    for label, pilot in (("pilot", 3000), ("full", 5_000_000)):
        scenario = _scenario(12_000, pilot, **{"run.spin_up_years": SHIPPED_SPIN_UP_YEARS,
                                               "run.spin_up_full_years": 5})
        model = RecoveryModel(runs=[(scenario, s) for s in seeds], materialise_agents=False,
                              record_barrier_means=False)
        assert model.spin_up_weeks == (5 if pilot == 3000 else SHIPPED_SPIN_UP_YEARS) * 52
        levels[label] = _state(model)
    for name, a in levels["pilot"].items():
        b = levels["full"][name]
        se = np.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
        assert abs(a.mean() - b.mean()) <= 4 * se + 1e-3 * abs(b.mean()), (name, a.mean(), b.mean(), se)
