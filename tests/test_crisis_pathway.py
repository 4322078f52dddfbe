"""crisis_pathway.py on a few hand-made people with hand-chosen draws, against docs/ODD.md 7.4."""

import math
from statistics import NormalDist

import numpy as np
import pytest
from hand_made import params, population, state, value

from recoverysim import crisis_pathway as cp
from recoverysim.crisis_pathway import CrisisDraws
from recoverysim.hospital import Discharges, InpatientDraws
from recoverysim.population import by_priority_in_run

COMMUNITY, VOLUNTARY, INVOLUNTARY = 0, 1, 2
CRISIS = [
    {"crisis.rate": 0.9, "crisis.stage_factor": 0.7, "crisis.trauma_effect": 0.4, "crisis.medication_effect": 1.3,
     "crisis.insecurity_effect": 0.8, "crisis.post_discharge_effect": 2.5, "crisis.post_discharge_weeks": 6.0,
     "crisis.community_preference": 0.8, "crisis.involuntary_share": 0.2, "crisis.advocacy_involuntary_effect": 0.5,
     "crisis.trauma_insensitivity_coercion_effect": 0.6, "crisis.voluntary_coercion_ratio": 0.25,
     "crisis.inpatient_coercion_rate": 5.0, "crisis.restraint_share": 0.4, "crisis.restraint_median_hours": 80.0,
     "crisis.seclusion_median_hours": 200.0, "crisis.episode_hours_sigma": 0.7,
     "crisis.retraumatisation_probability": 0.3, "crisis.trauma_history_retraumatisation_effect": 0.5,
     "crisis.trauma_load_increment": 1.2},
    {"crisis.rate": 0.3, "crisis.stage_factor": 0.4, "crisis.trauma_effect": 1.1, "crisis.medication_effect": 0.2,
     "crisis.insecurity_effect": 2.1, "crisis.post_discharge_effect": 0.7, "crisis.post_discharge_weeks": 20.0,
     "crisis.community_preference": 0.5, "crisis.involuntary_share": 0.6, "crisis.advocacy_involuntary_effect": 0.9,
     "crisis.trauma_insensitivity_coercion_effect": 0.9, "crisis.voluntary_coercion_ratio": 0.6,
     "crisis.inpatient_coercion_rate": 12.0, "crisis.restraint_share": 0.7, "crisis.restraint_median_hours": 30.0,
     "crisis.seclusion_median_hours": 500.0, "crisis.episode_hours_sigma": 1.6,
     "crisis.retraumatisation_probability": 0.8, "crisis.trauma_history_retraumatisation_effect": 0.4,
     "crisis.trauma_load_increment": 0.5},
]
PEOPLE = dict(stage=[0, 1, 2, 3, 2, 1], trauma_load=[0.0, 1.5, 2.0, 0.5, 1.0, 0.0],
              medication_burden=[0.1, 0.6, 0.0, 0.9, 0.3, 0.45], life_security=[0.2, 0.5, 0.9, 0.1, 0.7, 0.35],
              last_discharge_week=[-(2**30), 38, 20, -(2**30), 37, 39], in_hospital=[0, 0, 0, 0, 1, 0])
WEEK = 40


def c(name, run):
    return value(params(*CRISIS), f"crisis.{name}", run)


def odd_crisis_hazard(i: int, run: int, people=PEOPLE) -> float:
    """ODD 7.4 crisis hazard of person i (0 in hospital)."""
    if people["in_hospital"][i]:
        return 0.0
    since = WEEK - people["last_discharge_week"][i]
    return (c("rate", run) / 52 * c("stage_factor", run) ** people["stage"][i]
            * (1 + c("trauma_effect", run) * people["trauma_load"][i])
            * (1 + c("medication_effect", run) * people["medication_burden"][i])
            * (1 + c("insecurity_effect", run) * (1 - people["life_security"][i]))
            * (1 + c("post_discharge_effect", run) * math.exp(-since / c("post_discharge_weeks", run))))


def test_crisis_hazard_multiplies_the_odd_factors():
    p = params(*CRISIS)
    pop = population(3, runs=2, **PEOPLE)
    expected = [odd_crisis_hazard(i, i // 3) for i in range(6)]
    np.testing.assert_allclose(cp.crisis_hazard(pop, p.crisis, WEEK), expected, rtol=3e-6)
    who = np.array([1, 2, 5])
    np.testing.assert_allclose(cp.crisis_hazard(pop, p.crisis, WEEK, who), np.array(expected)[who], rtol=3e-6)
    one = population(3, **{k: v[:3] for k, v in PEOPLE.items()})
    np.testing.assert_allclose(cp.crisis_hazard(one, params(CRISIS[0]).crisis, WEEK), expected[:3], rtol=3e-6)


def test_crisis_probability_bound_is_a_tight_bound_over_the_runs_people():
    p = params(*CRISIS)
    # Run 1's trauma loads stay below 1, so the bound's floor of 0 (not 1) matters there.
    people = {**PEOPLE, "last_discharge_week": [WEEK] * 6, "in_hospital": [0] * 6,
              "trauma_load": [0.0, 1.5, 2.0, 0.5, 0.8, 0.0]}
    pop = population(3, runs=2, **people)
    bound = cp.crisis_probability_bound(pop, p.crisis)
    for r in range(2):
        mine = range(3 * r, 3 * r + 3)
        worst = (c("rate", r) / 52 * max(1.0, c("stage_factor", r) ** 3)
                 * (1 + c("trauma_effect", r) * max(people["trauma_load"][i] for i in mine))
                 * (1 + c("medication_effect", r) * max(people["medication_burden"][i] for i in mine))
                 * (1 + c("insecurity_effect", r) * (1 - min(people["life_security"][i] for i in mine)))
                 * (1 + c("post_discharge_effect", r)))
        top = 1 - math.exp(-worst)
        assert top <= bound[r] <= top * (1 + 2e-4) + 2e-6
        assert max(1 - math.exp(-odd_crisis_hazard(i, r, people)) for i in mine) <= bound[r]
    extreme = population(2, trauma_load=[0.0, 500.0])
    assert cp.crisis_probability_bound(extreme, params(CRISIS[0]).crisis).tolist() == [1.0]


def test_crises_are_the_candidates_below_their_probability():
    p = params(*CRISIS)
    pop = population(3, runs=2, **PEOPLE)
    candidates = np.array([0, 1, 3, 4, 5])
    prob = np.array([1 - math.exp(-odd_crisis_hazard(i, i // 3)) for i in candidates])
    u = prob * np.array([0.99, 1.01, 0.5, 0.0, 1.01])  # below, above, below, in hospital (p = 0: not below 0)
    assert cp.crises(pop, p.crisis, WEEK, candidates, u).tolist() == [0, 3]
    off = params(*CRISIS, **{"crisis.enabled": False})
    assert cp.crises(pop, off.crisis, WEEK, candidates, np.zeros(5)).size == 0


def draws(n, **given):
    names = CrisisDraws.stream_names()
    return CrisisDraws(**{k: np.asarray(given.get(k, np.full(n, 0.5)), float) for k in names})


def respond_case():
    """Run 0 (5 people, one already in hospital): 4 crises; run 1: 2 crises. See the comments of the test."""
    p = params(*CRISIS)
    pop = population(5, runs=2, in_hospital=[0, 0, 0, 0, 1, 0, 0, 0, 0, 0])
    st = state(2, roots={"psychosocial_gap": [0.5, 0.2], "advocacy_gap": [0.4, 0.8]},
               levers={"community_support_capacity": [300.0, 0.0], "bed_capacity": [600.0, 1000.0]})
    crises = np.array([0, 1, 2, 3, 5, 6])
    d = draws(6, response=[0.1, 0.39, 0.4, 0.9, 0.05, 0.5], community_priority=[0.7, 0.3, 0.1, 0.1, 0.1, 0.1],
              bed_priority=[0.5, 0.1, 0.9, 0.2, 0.1, 0.1], admission_type=[0.4, 0.0, 0.0, 0.39, 0.99, 0.99])
    return p, pop, st, crises, d


def inpatients_of(pop):
    return pop.in_hospital.nonzero()[0]


def test_response_within_community_places_and_beds():
    """Run 0: community threshold 0.8 x (1 - 0.5) = 0.4, so crises 0 and 1 want it (0.4 is not below); one place
    (300 per 1,000 of 5 is 1.5: one) goes to crisis 1 (lower priority). Beds: 3 (600 per 1,000 of 5) less
    1 occupied = 2 for 3 admissions, so the highest bed priority (crisis 2) finds no bed: shortage 1; its
    over-capacity draw 0.5 is not below the share 0.5, so it is left unmet in the community. Involuntary share
    0.2 + 0.5 x 0.4 = 0.4: crisis 0 (draw 0.4) voluntary, crisis 3 (0.39) involuntary. Run 1: no places;
    0.6 + 0.9 x 0.8 capped at 1, so both involuntary."""
    p, pop, st, crises, d = respond_case()
    response, shortage, over, early, unmet = cp.respond(pop, p, st, crises, d, inpatients_of(pop))
    assert response.dtype == np.int8  # the codes' type
    assert response.tolist() == [VOLUNTARY, COMMUNITY, COMMUNITY, INVOLUNTARY, INVOLUNTARY, INVOLUNTARY]
    assert shortage.tolist() == [1, 0] and over.tolist() == [0, 0] and unmet.tolist() == [2]
    assert early.size == 0  # its early-discharge draw 0.5 is not below the share 0.5


def test_a_crisis_with_no_free_bed_is_admitted_over_capacity_within_the_limit():
    """As above, with over_capacity_share 1: run 0's ceiling is rint(3 x 1.5) = 4 (banker's rounding of 4.5),
    so one inpatient above the 3 beds is allowed and crisis 2 is admitted (draw 0.4 >= 0.4: voluntary)."""
    p, pop, st, crises, d = respond_case()
    p = params(*[{**run, "hospital.over_capacity_share": 1.0, "hospital.over_capacity_limit": 0.5} for run in CRISIS])
    d.admission_type[2] = 0.4
    response, shortage, over, early, unmet = cp.respond(pop, p, st, crises, d, inpatients_of(pop))
    assert response.tolist() == [VOLUNTARY, COMMUNITY, VOLUNTARY, INVOLUNTARY, INVOLUNTARY, INVOLUNTARY]
    assert shortage.tolist() == [1, 0] and over.tolist() == [1, 0] and unmet.size == 0


def test_a_crisis_with_no_free_bed_gets_the_bed_of_a_short_stay_inpatient_discharged_early():
    """As the first case, with early_discharge_share 1: crisis 2, which finds no free bed, asks for room (draw
    0.5 below 1); run 0's one inpatient (person 4, short stay) is discharged early and crisis 2 takes the bed
    (admission draw 0.0 below 0.4: involuntary). Nothing over capacity, nothing unmet."""
    p, pop, st, crises, d = respond_case()
    p = params(*[{**run, "hospital.early_discharge_share": 1.0} for run in CRISIS])
    response, shortage, over, early, unmet = cp.respond(pop, p, st, crises, d, inpatients_of(pop))
    assert response.tolist() == [VOLUNTARY, COMMUNITY, INVOLUNTARY, INVOLUNTARY, INVOLUNTARY, INVOLUNTARY]
    assert shortage.tolist() == [1, 0] and over.tolist() == [0, 0] and early.tolist() == [4] and unmet.size == 0


def test_a_long_stay_inpatient_is_not_discharged_to_make_room():
    """As above, but the inpatient is in the long-stay tail: no one can be moved, so crisis 2 falls to the
    over-capacity draw (0.5, not below the share 0.5) and is left unmet."""
    p, pop, st, crises, d = respond_case()
    p = params(*[{**run, "hospital.early_discharge_share": 1.0} for run in CRISIS])
    pop.long_stay[4] = True
    response, shortage, over, early, unmet = cp.respond(pop, p, st, crises, d, inpatients_of(pop))
    assert response[2] == COMMUNITY and early.size == 0 and unmet.tolist() == [2]


def full_ward(stages):
    """One run of 6 whose 3 beds (500 per 1,000) hold persons 0-2 at ``stages``, admitted in weeks -5, -2, -9."""
    p = params({"crisis.community_preference": 0.8, "crisis.involuntary_share": 0.2,
                "crisis.advocacy_involuntary_effect": 0.5})
    pop = population(6, in_hospital=[1, 1, 1, 0, 0, 0], stage=[*stages, 0, 0, 0], admitted_week=[-5, -2, -9, 0, 0, 0])
    st = state(1, roots={"psychosocial_gap": 0.5, "advocacy_gap": 0.4},
               levers={"community_support_capacity": 0.0, "bed_capacity": 500.0})
    return p, pop, st


def test_early_discharge_takes_the_furthest_in_recovery_then_the_longest_stay():
    """One run of 6: persons 0-2 fill the 3 beds (500 per 1,000), at stages 1, 3, 3, admitted in weeks -5, -2
    and -9. Crises of persons 3 and 4 need beds (no community places); only crisis 4's early-discharge draw (0.2)
    is below the share 0.5. Of the two at stage 3, person 2 has stayed longer: it leaves and crisis 4 is
    admitted (admission draw 0.99: voluntary, involuntary chance 0.2 + 0.5 x 0.4); crisis 3 is unmet."""
    p, pop, st = full_ward([1, 3, 3])
    d = draws(2, response=[0.9, 0.9], early_discharge=[0.7, 0.2], over_capacity=[0.9, 0.9],
              admission_type=[0.99, 0.99])
    response, shortage, over, early, unmet = cp.respond(pop, p, st, np.array([3, 4]), d, inpatients_of(pop))
    assert shortage.tolist() == [2] and early.tolist() == [2] and over.tolist() == [0]
    assert response.tolist() == [COMMUNITY, VOLUNTARY] and unmet.tolist() == [0]


def test_early_discharge_puts_the_stage_before_the_length_of_stay():
    """As above, with person 1 (stage 3, admitted week -2) against person 2 (stage 1, admitted week -9): the one
    further on leaves, although the other has stayed longer."""
    p, pop, st = full_ward([1, 3, 1])
    d = draws(1, response=[0.9], early_discharge=[0.2], over_capacity=[0.9], admission_type=[0.99])
    *_, early, unmet = cp.respond(pop, p, st, np.array([4]), d, inpatients_of(pop))
    assert early.tolist() == [1] and unmet.size == 0


def test_only_runs_whose_crises_ask_for_room_discharge_early():
    """Three runs of 2 people with one bed each. Run 0: person 0 (long stay) fills the bed and person 1's crisis
    asks for room, but nobody can move: it is left unmet (over-capacity share 0). Run 1: person 2 (short stay)
    fills the bed and nobody has a crisis. Run 2: person 4 (short stay) fills the bed and person 5's crisis does
    not ask (draw 0.9). Nobody is discharged early."""
    p = params(*[{"crisis.community_preference": 0.8, "hospital.over_capacity_share": 0.0,
                  "hospital.early_discharge_share": 0.5}] * 3)
    pop = population(2, runs=3, in_hospital=[1, 0, 1, 0, 1, 0], long_stay=[1, 0, 0, 0, 0, 0])
    st = state(3, levers={"community_support_capacity": 0.0, "bed_capacity": 500.0})
    d = draws(2, response=[0.9, 0.9], early_discharge=[0.1, 0.9], admission_type=[0.99, 0.99])
    response, shortage, over, early, unmet = cp.respond(pop, p, st, np.array([1, 5]), d, inpatients_of(pop))
    assert shortage.tolist() == [1, 0, 1] and early.size == 0 and unmet.tolist() == [0, 1]


def test_no_room_above_the_beds_at_a_zero_over_capacity_limit():
    """As the first case, with over_capacity_share 1 but over_capacity_limit 0: run 0's ceiling is its 3 beds, so
    crisis 2, which finds no free bed, is left unmet although it would be admitted anyway."""
    p, pop, st, crises, d = respond_case()
    p = params(*[{**run, "hospital.over_capacity_share": 1.0, "hospital.over_capacity_limit": 0.0} for run in CRISIS])
    response, shortage, over, early, unmet = cp.respond(pop, p, st, crises, d, inpatients_of(pop))
    assert shortage.tolist() == [1, 0] and over.tolist() == [0, 0] and unmet.tolist() == [2]


def test_a_zero_over_capacity_share_admits_nobody_without_a_bed_even_at_a_zero_draw():
    """As the first case, with room above the beds (limit 0.5) but over_capacity_share 0: crisis 2, which finds
    no free bed, stays unmet although its over-capacity draw is 0."""
    p, pop, st, crises, d = respond_case()
    p = params(*[{**run, "hospital.over_capacity_share": 0.0, "hospital.over_capacity_limit": 0.5} for run in CRISIS])
    d.over_capacity[:] = 0.0
    response, shortage, over, early, unmet = cp.respond(pop, p, st, crises, d, inpatients_of(pop))
    assert response[2] == COMMUNITY and shortage.tolist() == [1, 0] and over.tolist() == [0, 0]
    assert unmet.tolist() == [2]


def test_reforms_change_the_response_of_the_people_they_reach():
    """One run, four crises, places and beds for all. Without reforms: community chance q = 0.8 x (1 - 0.5) =
    0.4, involuntary chance 0.2 + 0.5 x 0.4 = 0.4 (ODD 7.4). Community- and network-based care reaches persons 0
    and 2 (draws 0.1 below its share 0.5): the odds of admission times 0.19, q' = 1 - (1 - q) 0.19 / (q + (1 -
    q) 0.19) (ODD 7.1). Crisis advocacy reaches person 1: the involuntary chance times 0.77."""
    p = params({"crisis.community_preference": 0.8, "crisis.involuntary_share": 0.2,
                "crisis.advocacy_involuntary_effect": 0.5})
    pop = population(4, reach_community_network_care=[0.1, 0.9, 0.1, 0.9], reach_crisis_advocacy=[0.9, 0.1, 0.9, 0.9])
    st = state(1, roots={"psychosocial_gap": 0.5, "advocacy_gap": 0.4},
               levers={"community_support_capacity": 1000.0, "bed_capacity": 1000.0},
               reform_reach={"community_network_care": 0.5, "crisis_advocacy": 0.5},
               reform_ratio={"community_network_care": 0.19, "crisis_advocacy": 0.77})
    q = 0.4
    q_reached = 1 - (1 - q) * 0.19 / (q + (1 - q) * 0.19)  # 0.778
    invol, invol_reached = 0.4, 0.4 * 0.77  # 0.308
    # Response draws: 0 (reached, 0.6 < q') and 1 (not, 0.6 >= q); 2 (reached, 0.9 >= q') and 3 are admitted.
    # Admission draws 0.35: below 0.4 (2, 3: involuntary), not below 0.308 (1, reached: voluntary).
    assert q <= 0.6 < q_reached <= 0.9 and invol_reached <= 0.35 < invol
    d = draws(4, response=[0.6, 0.6, 0.9, 0.9], admission_type=[0.35] * 4)
    response, shortage, over, early, unmet = cp.respond(pop, p, st, np.arange(4), d, inpatients_of(pop))
    assert response.tolist() == [COMMUNITY, VOLUNTARY, INVOLUNTARY, INVOLUNTARY]
    assert shortage.tolist() == [0] and unmet.size == 0


def test_the_involuntary_chance_is_capped_at_1_before_advocacy_multiplies_it():
    """0.8 + 0.5 x 1 = 1.3 is capped at 1 (docs/mutation.md, caps not in ODD 7.4); advocacy's relative risk 0.77
    then gives 0.77 for the person it reaches."""
    p = params({"crisis.involuntary_share": 0.8, "crisis.advocacy_involuntary_effect": 0.5})
    got = cp.involuntary_probability(population(2), p, np.array([1.0]), np.arange(2), np.zeros(2, np.intp),
                                     np.array([0.77, 1.0]))
    assert got == pytest.approx([0.77, 1.0])


def test_mistrust_raises_the_odds_of_an_involuntary_admission():
    """p = 0.4 with no mistrust; at mistrust m the odds 0.4/0.6 multiply by exp(effect x m)."""
    p = params({"crisis.involuntary_share": 0.2, "crisis.advocacy_involuntary_effect": 0.5,
                "crisis.mistrust_involuntary_effect": 0.7})
    pop = population(3, service_mistrust=[0.0, 0.5, 1.0])
    got = cp.involuntary_probability(pop, p, np.array([0.4]), np.arange(3), np.zeros(3, np.intp))
    odds = [0.4 / 0.6 * np.exp(0.7 * m) for m in (0.0, 0.5, 1.0)]
    assert got == pytest.approx([o / (1 + o) for o in odds])
    off = params({"crisis.involuntary_share": 0.2, "crisis.advocacy_involuntary_effect": 0.5,
                  "loops.coercion_mistrust": False})
    assert cp.involuntary_probability(pop, off, np.array([0.4]), np.arange(3), np.zeros(3, np.intp)) == \
        pytest.approx([0.4] * 3)


def test_mistrust_raises_the_odds_by_each_runs_own_effect():
    """Two runs (p = 0.4 and 0.6 with no mistrust): odds p/(1 - p) times exp(effect of the person's run x m)."""
    p = params({"crisis.involuntary_share": 0.2, "crisis.advocacy_involuntary_effect": 0.5,
                "crisis.mistrust_involuntary_effect": 0.7},
               {"crisis.involuntary_share": 0.2, "crisis.advocacy_involuntary_effect": 0.5,
                "crisis.mistrust_involuntary_effect": 1.0})
    pop = population(2, runs=2, service_mistrust=[0.0, 0.5, 1.0, 0.5])
    people = np.array([1, 2, 3])
    got = cp.involuntary_probability(pop, p, np.array([0.4, 0.8]), people, np.array([0, 1, 1]))
    odds = [0.4 / 0.6 * math.exp(0.7 * 0.5), 0.6 / 0.4 * math.exp(1.0 * 1.0), 0.6 / 0.4 * math.exp(1.0 * 0.5)]
    assert got == pytest.approx([o / (1 + o) for o in odds])


def test_coercive_experiences_take_a_share_of_the_remaining_trust():
    p = params({"crisis.mistrust_increment": 0.5})
    pop = population(3, service_mistrust=[0.0, 0.5, 0.9])
    cp.add_mistrust(pop, p.crisis, np.array([0, 1, 2]))
    assert pop.service_mistrust == pytest.approx([0.5, 0.75, 0.95])


def test_more_inpatients_than_beds_turns_every_admission_away():
    p, pop, st, crises, d = respond_case()
    pop.in_hospital[:] = [0, 0, 0, 1, 1, 1, 1, 1, 1, 1]
    st = state(2, roots={"psychosocial_gap": [0.5, 0.2], "advocacy_gap": [0.4, 0.8]},
               levers={"community_support_capacity": [200.0, 0.0], "bed_capacity": [200.0, 400.0]})
    response, shortage, _, early, unmet = cp.respond(pop, p, st, crises, d, inpatients_of(pop))
    assert response.tolist() == [COMMUNITY] * 6
    assert shortage.tolist() == [3, 2]  # run 1: 2 beds, 5 in hospital: no free bed (not minus three)


def test_priority_order_within_runs_is_stable():
    run = np.array([0, 0, 0, 1, 1])
    priority = np.array([0.5, 0.5, 0.1, 0.3, 0.3])
    assert by_priority_in_run(run, priority, np.array([2, 1]), 2).tolist() == [2, 0, 3]
    assert sorted(by_priority_in_run(run, priority, np.array([2, 1]), 2, highest=True).tolist()) == [0, 1, 4]
    assert by_priority_in_run(run, priority, np.array([0, 2]), 2).tolist() == [3, 4]


def test_setbacks_send_involuntary_admissions_to_discontinuity_and_others_one_back():
    pop = population(5, stage=[3, 2, 0, 3, 3])
    c = params({"crisis.unmet_crisis_trauma": 0.5}).crisis
    cp.setbacks(pop, c, np.array([0, 1, 2, 3, 4]),
                np.array([INVOLUNTARY, VOLUNTARY, COMMUNITY, COMMUNITY, COMMUNITY]), np.array([4]), 8)
    assert pop.stage.tolist() == [0, 1, 0, 2, 0]  # the unmet crisis (person 4) falls to discontinuity
    assert pop.trauma_load.tolist() == [0, 0, 0, 0, 0.5]


def test_an_unmet_crisis_adds_its_trauma_to_the_load_already_there():
    pop = population(2, stage=[2, 1], trauma_load=[1.25, 0.0])
    c = params({"crisis.unmet_crisis_trauma": 0.5}).crisis
    cp.setbacks(pop, c, np.array([0, 1]), np.array([COMMUNITY, VOLUNTARY]), np.array([0]), 8)
    assert pop.trauma_load.tolist() == [1.75, 0.0] and pop.stage.tolist() == [0, 0]


def odd_coercion_risk(run, lever, ti, involuntary):
    p = lever * (1 - c("trauma_insensitivity_coercion_effect", run) * (1 - ti))
    return p if involuntary else p * c("voluntary_coercion_ratio", run)


def test_coercion_at_admission_follows_lever_trauma_insensitivity_and_voluntary_ratio():
    p = params(*CRISIS)
    st = state(2, roots={"trauma_insensitivity": [0.3, 0.9]}, levers={"coercion": [0.5, 0.8]})
    involuntary = np.array([True, False, True, False])
    run = np.array([0, 0, 1, 1])
    risk = cp.coercion_risk(p.crisis, st, involuntary, run)
    expected = [odd_coercion_risk(r, [0.5, 0.8][r], [0.3, 0.9][r], inv) for r, inv in zip(run, involuntary,
                                                                                         strict=True)]
    np.testing.assert_allclose(risk, expected, rtol=1e-12)
    u = np.array(expected) * np.array([0.999, 1.0, 1.001, 0.5])
    assert cp.coerce(p.crisis, st, involuntary, u, run).tolist() == [True, False, False, True]
    # Trauma-informed care's rate ratio 0.5 for person 0 halves the risk: the draw at 0.999 of it now misses.
    ratio = np.array([0.5, 1.0, 1.0, 1.0])
    assert cp.coerce(p.crisis, st, involuntary, u, run, ratio).tolist() == [False, False, False, True]


def test_inpatients_not_under_a_measure_are_coerced_at_the_in_stay_hazard():
    p = params(*CRISIS)
    st = state(2, week=WEEK, roots={"trauma_insensitivity": [0.3, 0.9]}, levers={"coercion": [0.5, 0.8]})
    pop = population(3, runs=2, involuntary=[1, 0, 1, 1, 0, 1],
                     coerced_until_week=[0.0, WEEK, WEEK + 0.01, 0.0, 12.0, WEEK - 0.5])
    staying = np.arange(6)
    prob = [1 - math.exp(-c("inpatient_coercion_rate", i // 3) / 52
                         * odd_coercion_risk(i // 3, [0.5, 0.8][i // 3], [0.3, 0.9][i // 3], pop.involuntary[i]))
            for i in range(6)]
    u = np.array(prob) * np.array([0.999, 0.999, 0.0, 1.001, 0.999, 1.001])
    # Person 2 is still under a measure (until after this week); 3 and 5 are just above their probability.
    assert cp.coerce_inpatients(pop, p.crisis, st, staying, u).tolist() == [0, 1, 4]
    none = params(*CRISIS, **{"crisis.inpatient_coercion_rate": 0.0})
    nobody = cp.coerce_inpatients(pop, none.crisis, st, staying, np.zeros(6))
    assert nobody.size == 0 and nobody.dtype.kind == "i"  # usable as indices
    # A rate below 1 per year still coerces; a run with rate 0 coerces nobody, even at a draw of 0.
    low = params({**CRISIS[0], "crisis.inpatient_coercion_rate": 0.5},
                 {**CRISIS[1], "crisis.inpatient_coercion_rate": 0.0})
    assert cp.coerce_inpatients(pop, low.crisis, st, staying, np.zeros(6)).tolist() == [0, 1]


@pytest.mark.parametrize("loop", [True, False])
def test_episodes_kind_length_and_retraumatisation(loop):
    p = params(*CRISIS, **{"loops.coercion_trauma": loop})
    pop = population(3, runs=2, stage=[3, 2, 1, 3, 2, 2], trauma_history=[1, 0, 1, 0, 1, 0],
                     trauma_load=[1.0, 0.0, 1.0, 0.0, 1.0, 0.0])
    coerced = np.array([0, 1, 3, 4, 5])
    u_kind = np.array([0.39, 0.4, 0.69, 0.71, 0.1])
    u_hours = np.array([0.5, 0.9, 0.1, 0.0, 1.0])
    run = coerced // 3
    p_re = [min(1.0, c("retraumatisation_probability", r) * (1 + c("trauma_history_retraumatisation_effect", r)
                                                              * pop.trauma_history[i]))
            for i, r in zip(coerced, run, strict=True)]
    u_re = np.array(p_re) * np.array([0.999, 1.0, 0.5, 0.0, 1.001])
    increment = cp.retraumatisation_increment(p)
    restraint, hours, hit = cp.episodes(pop, p.crisis, increment, WEEK, coerced, u_kind, u_hours, u_re)
    assert restraint.tolist() == [True, False, True, False, True]
    for k, (r, restrained) in enumerate(zip(run, restraint, strict=True)):
        median = c("restraint_median_hours" if restrained else "seclusion_median_hours", r)
        z = NormalDist().inv_cdf(min(max(u_hours[k], 1e-12), 1 - 1e-12))
        assert hours[k] == pytest.approx(median * math.exp(c("episode_hours_sigma", r) * z), rel=1e-9)
        assert pop.coerced_until_week[coerced[k]] == pytest.approx(WEEK + hours[k] / 168, rel=1e-6)
    assert hit.tolist() == [0, 3, 4]
    assert pop.stage.tolist() == [0, 2, 1, 0, 0, 2]
    expected = [c("trauma_load_increment", 0), c("trauma_load_increment", 1)] if loop else [0.0, 0.0]
    np.testing.assert_allclose(increment, expected, rtol=1e-6)
    increment = expected
    np.testing.assert_allclose(pop.trauma_load, [1 + increment[0], 0, 1, increment[1], 1 + increment[1], 0],
                               rtol=1e-6)


def run_week_case(**reforms):
    """The respond case a week later, with coercion at its lever (see the comments of the test)."""
    p, pop, st, crises, d = respond_case()
    pop.in_hospital[4] = False  # the run-0 inpatient is discharged this week: the beds are 3 for 3 admissions
    pop.stage[:] = 3
    st = state(2, week=WEEK, roots={"psychosocial_gap": [0.5, 0.2], "advocacy_gap": [0.4, 0.8],
                                    "trauma_insensitivity": [1.0, 1.0]},
               levers={"community_support_capacity": [200.0, 0.0], "bed_capacity": [600.0, 1000.0],
                       "coercion": [1.0, 1.0]}, **reforms)
    # Crises 0 (voluntary: risk 0.25) and 3 (involuntary: risk 1) are coerced at admission, 2 (voluntary, draw
    # 0.9) is admitted but not coerced, and run 1's two involuntary admissions (risk 1) are; inpatient 9 of run 1
    # is coerced later in the stay.
    d = draws(6, **{**{k: getattr(d, k) for k in CrisisDraws.stream_names()},
                    "admission_type": [0.4, 0.0, 0.9, 0.39, 0.99, 0.99],
                    "coercion": [0.2, 0.9, 0.9, 0.5, 0.99999, 0.99999], "coercion_kind": [0.0] * 6,
                    "retraumatisation": [0.99] * 6, "long_stay": [0.99] * 6})
    pop.in_hospital[9] = True
    stay = InpatientDraws(*(np.array([x]) for x in (0.5, 0.0, 0.9, 0.5, 0.0)))
    inpatients = Discharges(np.zeros(0, int), np.zeros(0, int), np.zeros(0, bool), np.array([9]), stay)
    return p, pop, st, crises, d, inpatients


def test_run_week_answers_admits_coerces_and_counts_in_stay_episodes():
    p, pop, st, crises, d, inpatients = run_week_case()
    out = cp.run_week(pop, p, st, crises, d, inpatients)
    assert out.response.tolist() == [VOLUNTARY, COMMUNITY, VOLUNTARY, INVOLUNTARY, INVOLUNTARY, INVOLUNTARY]
    assert out.bed_shortage.tolist() == [0, 0]
    assert out.admissions.people.tolist() == [0, 2, 3, 5, 6]
    assert out.admissions.involuntary.tolist() == [False, False, True, True, True]
    assert out.coerced.tolist() == [0, 3, 5, 6, 9] and out.coerced_in_stay.tolist() == [0, 1]
    assert out.restraint.tolist() == [True] * 4 + [False]  # kind draw 0.0 at admission, 0.9 in the stay (> 0.7)
    assert out.retraumatised.tolist() == [9]  # its draw 0.0; the admission draws 0.99 miss (0.3 and 0.8)
    assert pop.in_hospital[[0, 2, 3, 5, 6]].all() and not pop.in_hospital[1]
    # Involuntary admissions and the re-traumatised back to discontinuity, other crises one stage back.
    assert pop.stage.tolist() == [2, 2, 2, 0, 3, 0, 0, 3, 3, 0]
    assert out.discharged_early.leaving.size == 0


def test_run_week_discharges_early_ends_the_stay_and_spares_it_in_stay_coercion():
    """As above, but run 1 has one bed (200 per 1,000 of 5), taken by inpatient 9: neither of its two crises finds
    a free bed, and every crisis that finds none asks for room (early_discharge_share 1). Crisis 5 (bed priority
    0.1, before crisis 6 by position) gets the bed of inpatient 9, discharged early: 9's stay ends this week,
    before its in-stay coercion draw could count, and the stay is returned for the ledger. Nobody is left to
    move for crisis 6, and at over-capacity draw 0.5 (share 0.5) it is unmet."""
    p, pop, st, crises, d, inpatients = run_week_case()
    p = params(*[{**run, "hospital.early_discharge_share": 1.0} for run in CRISIS])
    st.levers.bed_capacity[:] = [600.0, 200.0]
    pop.admitted_week[9] = WEEK - 3
    out = cp.run_week(pop, p, st, crises, d, inpatients)
    assert out.bed_shortage.tolist() == [0, 2] and out.over_capacity.tolist() == [0, 0]
    assert out.discharged_early.leaving.tolist() == [9] and out.discharged_early.admitted_week.tolist() == [WEEK - 3]
    assert not pop.in_hospital[9] and pop.last_discharge_week[9] == WEEK
    assert out.unmet.tolist() == [6] and pop.in_hospital[5]
    assert 9 not in out.coerced.tolist() and out.coerced_in_stay.tolist() == [0, 0]


def test_trauma_informed_care_lowers_the_coercion_risk_at_admission_of_those_it_reaches():
    """As above, with trauma-informed care reaching person 0 (rate ratio 0.5): the voluntary risk 0.25 becomes
    0.125, so the coercion draw 0.2 now misses; nobody else is reached (reach draws 0.9): coerced as before."""
    p, pop, st, crises, d, inpatients = run_week_case(reform_reach={"trauma_informed_care": [0.5, 0.5]},
                                                      reform_ratio={"trauma_informed_care": [0.5, 0.5]})
    pop.reach_trauma_informed_care[:] = 0.9
    pop.reach_trauma_informed_care[0] = 0.1
    out = cp.run_week(pop, p, st, crises, d, inpatients)
    assert out.coerced.tolist() == [3, 5, 6, 9] and out.coerced_in_stay.tolist() == [0, 1]


def test_trauma_informed_care_lowers_the_in_stay_hazard_of_those_it_reaches():
    """Two involuntary inpatients at the same draw, between the in-stay chance with trauma-informed care's rate
    ratio 0.66 (person 0, reached: draw 0.1 below the share 0.5) and without it (person 1): only 1 is coerced."""
    p = params(CRISIS[0])
    st = state(1, week=WEEK, roots={"trauma_insensitivity": 0.3}, levers={"coercion": 0.5},
               reform_reach={"trauma_informed_care": 0.5}, reform_ratio={"trauma_informed_care": 0.66})
    pop = population(2, involuntary=[1, 1], reach_trauma_informed_care=[0.1, 0.9])
    risk = odd_coercion_risk(0, 0.5, 0.3, True)
    full = 1 - math.exp(-c("inpatient_coercion_rate", 0) / 52 * risk)
    reached = 1 - math.exp(-c("inpatient_coercion_rate", 0) / 52 * risk * 0.66)
    u = np.full(2, 0.9 * full)
    assert reached < u[0] < full
    assert cp.coerce_inpatients(pop, p.crisis, st, np.arange(2), u).tolist() == [1]


def test_crisis_probability_bound_outside_the_registry_ranges():
    """A stage factor above 1 makes reunion the riskiest stage; a tiny rate leaves only the margins."""
    from types import SimpleNamespace

    def section(rate, stage_factor):
        def one(x):
            return np.array([x])

        return SimpleNamespace(rate=one(rate), stage_factor=one(stage_factor), trauma_effect=one(0.5),
                               medication_effect=one(0.5), insecurity_effect=one(0.5), post_discharge_effect=one(1.0))

    pop = population(2, stage=[3, 0], life_security=[1.0, 1.0])
    worst = 0.6 / 52 * 1.5**3 * 2  # reunion, no trauma or medication, full security, just discharged
    bound = cp.crisis_probability_bound(pop, section(0.6, 1.5))[0]
    assert 1 - math.exp(-worst) <= bound <= (1 - math.exp(-worst)) * (1 + 2e-4) + 2e-6
    tiny = 1e-4 * 52 / 2  # a weekly probability of about 1e-4
    assert cp.crisis_probability_bound(pop, section(tiny, 0.5))[0] >= 1 - math.exp(-1e-4)
