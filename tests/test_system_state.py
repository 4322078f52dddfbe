"""system_state.py: the week's roots, levers and barrier levels of two runs, against docs/ODD.md 7.1, 7.2 and 7.7."""

import math

import numpy as np
import pytest
from hand_made import BARRIER_ROWS, population
from test_verification import ODD_FEEDS

from recoverysim.batch import RunParameters
from recoverysim.scenario import Reform, default_scenario
from recoverysim.system_state import SystemUpdate, community_reunion_share

RUN0 = default_scenario().with_overrides({
    "roots.psychosocial_gap": 0.8, "roots.advocacy_gap": 0.6, "roots.shame_pressure": 0.7,
    "stigma.visibility_effect": 2.0, "levers.community_support_capacity": 5.0, "levers.peer_availability": 0.2,
    "peer.caseload": 10.0, "barriers.hospital_amplifier": 0.7}).with_reforms((
        Reform("community_network_care", start_year=0.0, ramp_years=1.0, coverage=0.5, capacity=3.0),
        Reform("crisis_advocacy", start_year=0.0, ramp_years=0.0, coverage=0.4, capacity=2.0),
        Reform("open_community", start_year=0.0, ramp_years=1.0, coverage=0.5, effect=0.4)))
RUN1 = default_scenario().with_overrides({
    "roots.psychosocial_gap": 0.3, "roots.shame_pressure": 0.9, "stigma.visibility_effect": 3.0,
    "levers.community_support_capacity": 1.0, "levers.peer_availability": 0.5, "peer.caseload": 30.0,
    "loops.stigma_visibility": False, "loops.peer_role_models": False})
START = dict(stage=[3, 0, 0, 1, 3, 3, 0, 0], in_hospital=[0, 0, 0, 0, 0, 1, 0, 0])  # reunion in community: 1/4, 1/4


def ramp(week):
    return min(1.0, week / 52)


@pytest.mark.parametrize("week", [26, 39, 104])
def test_roots_levers_and_barriers_of_the_week(week):
    configs = [RUN0, RUN1]
    p = RunParameters(configs)
    pop = population(4, runs=2, **START)
    update = SystemUpdate(configs, p, pop)
    pop.stage[:] = [3, 3, 3, 0, 3, 3, 3, 0]  # reunion in the community now 3/4 and 2/4
    pop.peer_worker[[0, 1, 4]] = True
    update(week - 13, pop)  # an earlier week's reform levels must not stick
    st = update(week, pop)
    assert st.week == week
    assert list(st.roots.as_dict()) == list(ODD_FEEDS) and st.levers.as_dict()["coercion"] is st.levers.coercion
    level = ramp(week)
    # Person reforms leave the roots alone (ODD 7.1); a root reform removes coverage x level x effect of its root.
    roots = [{**{r: 0.5 for r in ODD_FEEDS}, "psychosocial_gap": 0.8, "advocacy_gap": 0.6,
              "thin_networks": 0.5 * (1 - 0.5 * level * 0.4),
              "shame_pressure": min(1.0, 0.7 * math.exp(-2.0 * (3 / 4 - 1 / 4)))},
             {**{r: 0.5 for r in ODD_FEEDS}, "psychosocial_gap": 0.3, "shame_pressure": 0.9}]
    for name in ODD_FEEDS:
        np.testing.assert_allclose(getattr(st.roots, name), [roots[0][name], roots[1][name]], rtol=1e-12,
                                   err_msg=name)
    np.testing.assert_allclose(st.levers.community_support_capacity, [5.0 + 3.0 * level, 1.0], rtol=1e-12)
    # R1: lever + reform capacity x caseload / 1,000 + peer workers x caseload / people (off in run 1).
    np.testing.assert_allclose(st.levers.peer_availability, [min(1.0, 0.2 + 2.0 * 10 / 1000 + 2 * 10 / 4), 0.5])
    np.testing.assert_allclose(st.levers.coercion, [0.3, 0.3])
    # Person reforms (trauma_informed_care, crisis_advocacy, community_network_care): share reached now, and the
    # evidence's central effect (none given), for run 0; nobody reached and no effect in run 1.
    np.testing.assert_allclose(st.reform_reach, [[0.0, 0.4, 0.5 * level], [0.0, 0.0, 0.0]], rtol=1e-12)
    np.testing.assert_allclose(st.reform_ratio, [[1.0, 0.77, 0.19], [1.0, 1.0, 1.0]], rtol=1e-12)
    for r in range(2):
        system = {b: np.mean([roots[r][x] for x, fed in ODD_FEEDS.items() if b in fed]) for b in BARRIER_ROWS}
        np.testing.assert_allclose(st.barriers[r], [system[b] for b in BARRIER_ROWS], rtol=1e-12)
        amplifier = p.barriers.hospital_amplifier[r]  # 0.7 in run 0, the default in run 1
        b = system["choice_unavailable"]
        np.testing.assert_allclose(st.two_valued["choice_unavailable"][r], [b, 1 - (1 - b) ** (1 + amplifier)],
                                   rtol=2e-7)


def test_peer_availability_is_capped_at_one_and_shame_at_one():
    configs = [RUN0.with_overrides({"roots.shame_pressure": 0.95, "peer.caseload": 100.0})]
    p = RunParameters(configs)
    pop = population(4, stage=[3, 3, 0, 0])
    update = SystemUpdate(configs, p, pop)
    pop.stage[:] = 0  # reunion falls from 1/2 to 0: shame rises past 1 before the cap
    pop.peer_worker[0] = True
    st = update(10, pop)
    assert st.roots.shame_pressure.tolist() == [1.0] and st.levers.peer_availability.tolist() == [1.0]


def test_community_reunion_share_counts_reunion_outside_hospital():
    pop = population(4, runs=2, stage=[3, 3, 0, 3, 3, 2, 3, 3], in_hospital=[0, 1, 0, 0, 0, 0, 1, 0])
    assert community_reunion_share(pop).tolist() == [0.5, 0.5]


def test_loop_r2_reference_follows_the_share_in_the_spin_up_and_is_fixed_from_week_0():
    """ODD 7.7 / SystemUpdate: in spin-up weeks (< 0) the reference is the current reunion share, so shame
    pressure stays at its declared 0.7; from week 0 on it is the share at observe_from (here 1/4), so a share of
    3/4 lowers shame to 0.7 exp(-2 (3/4 - 1/4))."""
    configs = [RUN0]
    p = RunParameters(configs)
    pop = population(4, stage=[3, 0, 0, 1])
    update = SystemUpdate(configs, p, pop)
    pop.stage[:] = [3, 3, 3, 0]
    assert update(-1, pop).roots.shame_pressure.tolist() == [0.7]
    update.observe_from(population(4, stage=[3, 0, 0, 1]))
    lowered = 0.7 * math.exp(-2.0 * (3 / 4 - 1 / 4))
    for week in (0, 1):
        np.testing.assert_allclose(update(week, pop).roots.shame_pressure, [lowered], rtol=1e-12, err_msg=str(week))
