"""reforms.py and where reforms act on the crisis pathway, against docs/ODD.md 7.1 and reform_evidence.py."""

import numpy as np
import pytest
from hand_made import params, population, state

from recoverysim import crisis_pathway
from recoverysim.parameters import REFORMS as DECLARED
from recoverysim.parameters import ROOTS
from recoverysim.reform_evidence import PERSON_REFORMS, PROXIMAL_EFFECTS
from recoverysim.reforms import effective_roots, ratio_of, reached, reform_effects
from recoverysim.scenario import Reform

# Written out from the paper's Theme 3 (model brief, "Reforms"): the root each social-cultural reform lowers,
# and the lever each optional capacity adds to.
ROOT_REFORMS = {"personalised_goals": "rules_over_values", "inclusive_design": "shame_pressure",
                "open_community": "thin_networks"}
CAPACITY_LEVER = {"crisis_advocacy": "peer_availability", "community_network_care": "community_support_capacity"}


def level(reform: Reform, week: int) -> float:
    """ODD 7.1: clip((t - start) / ramp, 0, 1) with t in years."""
    if reform.ramp_years == 0:
        return 1.0 if week / 52 >= reform.start_year else 0.0
    return min(1.0, max(0.0, (week / 52 - reform.start_year) / reform.ramp_years))


REFORMS = (
    Reform("trauma_informed_care", start_year=1.0, ramp_years=2.0, coverage=0.6, effect=0.5),
    Reform("crisis_advocacy", start_year=0.5, ramp_years=1.0, coverage=0.3, capacity=4.0),
    Reform("community_network_care", start_year=0.0, ramp_years=0.0, coverage=0.8, capacity=2.5),
    Reform("personalised_goals", start_year=0.0, ramp_years=1.0, coverage=0.5, effect=0.45),
    Reform("inclusive_design", start_year=5.0, ramp_years=1.0, coverage=0.9),
    Reform("open_community", start_year=1.0, ramp_years=1.0, coverage=0.7, effect=0.2),
)


def test_every_reform_has_one_proximal_effect_with_an_interval_and_a_source():
    assert set(PROXIMAL_EFFECTS) == set(DECLARED)
    for e in PROXIMAL_EFFECTS.values():
        assert e.low <= e.central <= e.high and 0 < e.low and e.high <= 1
        assert e.source and e.reached and e.kind in ("person", "root")
        assert e.kind == "root" or "et al." in e.source  # every person effect is measured, with its citation
    assert set(ROOT_REFORMS) == {n for n, e in PROXIMAL_EFFECTS.items() if e.kind == "root"}
    assert Reform("crisis_advocacy").effect == 0.77  # no effect given: the evidence's central value


@pytest.mark.parametrize("week", [0, 26, 52, 104, 156, 260, 400])
def test_effects_by_the_odd_formulas(week):
    effects = reform_effects(REFORMS, week)
    for root in ROOTS:
        # A root reform removes coverage x level x effect of its root; the person reforms remove nothing.
        expected = sum(r.coverage * level(r, week) * r.effect for r in REFORMS if ROOT_REFORMS.get(r.name) == root)
        assert effects.root_reduction[root] == pytest.approx(expected, abs=1e-12), root
    for r in REFORMS:
        if r.name in PERSON_REFORMS:
            assert effects.reach[r.name] == pytest.approx(r.coverage * level(r, week), abs=1e-12)
            assert effects.ratio[r.name] == (r.effect if level(r, week) > 0 else 1.0)
    capacity = {}
    for reform in REFORMS:
        lever = CAPACITY_LEVER.get(reform.name)
        if lever and level(reform, week) > 0:
            capacity[lever] = capacity.get(lever, 0.0) + reform.capacity * level(reform, week)
    assert effects.added_capacity == pytest.approx(capacity, abs=1e-12)
    roots = effective_roots(dict.fromkeys(ROOTS, 0.6), effects)
    assert roots["advocacy_gap"] == roots["trauma_insensitivity"] == roots["psychosocial_gap"] == 0.6


def test_before_any_reform_starts_nothing_changes():
    effects = reform_effects(REFORMS[4:5], 10)
    assert effects.root_reduction == dict.fromkeys(ROOTS, 0.0)
    assert effects.reach == dict.fromkeys(PERSON_REFORMS, 0.0) and effects.ratio == dict.fromkeys(PERSON_REFORMS, 1.0)
    assert effects.added_capacity == {}


def test_a_person_is_reached_when_their_draw_is_below_coverage_times_level():
    # Two runs of three people; run 0 reaches 40% with trauma-informed care, run 1 nobody.
    pop = population(3, runs=2, reach_trauma_informed_care=[0.1, 0.39, 0.41, 0.1, 0.2, 0.3])
    st = state(2, reform_reach={"trauma_informed_care": [0.4, 0.0]}, reform_ratio={"trauma_informed_care": [0.5, 0.5]})
    people = np.arange(6)
    assert reached(pop, st, "trauma_informed_care", people).tolist() == [True, True, False, False, False, False]
    assert ratio_of(pop, st, "trauma_informed_care", people).tolist() == [0.5, 0.5, 1, 1, 1, 1]
    assert ratio_of(pop, st, "crisis_advocacy", people).tolist() == [1.0] * 6


def test_trauma_informed_care_multiplies_the_coercion_risk_of_those_reached():
    p = params({"crisis.trauma_insensitivity_coercion_effect": 0.8, "crisis.voluntary_coercion_ratio": 0.25})
    st = state(roots={"trauma_insensitivity": 0.9}, levers={"coercion": 0.6})
    risk = 0.6 * (1 - 0.8 * (1 - 0.9))  # ODD 7.4, involuntary admission
    ratio = np.array([1.0, 0.66])
    got = crisis_pathway.coercion_risk(p.crisis, st, np.array([True, True]), np.zeros(2, int), ratio)
    np.testing.assert_allclose(got, [risk, 0.66 * risk])


def test_crisis_advocacy_multiplies_the_chance_of_an_involuntary_admission():
    p = params({"crisis.involuntary_share": 0.2, "crisis.advocacy_involuntary_effect": 0.5,
                "loops.coercion_mistrust": False})
    pop = population(2)
    got = crisis_pathway.involuntary_probability(pop, p, np.array([0.8]), np.arange(2), np.zeros(2, int),
                                                 np.array([1.0, 0.77]))
    np.testing.assert_allclose(got, [0.6, 0.77 * 0.6])


def test_community_care_multiplies_the_odds_of_admission():
    community = np.array([0.3, 0.3, 0.0])
    got = crisis_pathway.wants_community_probability(community, np.array([1.0, 0.19, 0.19]))
    # Odds of admission 0.7 / 0.3 times 0.19, back to a chance of wanting the community.
    odds = 0.7 / 0.3 * 0.19
    np.testing.assert_allclose(got, [0.3, 1 - odds / (1 + odds), 0.0])
    assert got[0] == community[0]  # unchanged exactly where nobody is reached


def test_an_effect_outside_the_evidence_interval_is_rejected(tmp_path):
    from recoverysim.errors import ScenarioError
    from recoverysim.scenario import load_scenario

    path = tmp_path / "s.toml"
    path.write_text("[[reforms]]\nname = 'crisis_advocacy'\neffect = 0.5\n")
    with pytest.raises(ScenarioError, match=r"reforms\[0\]\.effect.*\[0\.6, 0\.98\]"):
        load_scenario(path)


def test_each_run_reads_its_own_share_of_each_reform():
    """Two runs, three person reforms with different shares (coverage x level) in each: person i is reached by
    reform k when their own draw is below the share of their run and reform; a draw equal to the share is not
    below it (0.25 and 0.5 are exact in single precision)."""
    shares = {"trauma_informed_care": [0.1, 0.6], "crisis_advocacy": [0.5, 0.2], "community_network_care": [0.25, 0.9]}
    ratios = {"trauma_informed_care": [0.5, 0.6], "crisis_advocacy": [0.77, 0.8], "community_network_care": [0.19, 0.3]}
    draws = [0.05, 0.25, 0.5, 0.55, 0.15, 0.7]
    pop = population(3, runs=2, **{f"reach_{name}": draws for name in shares})
    st = state(2, reform_reach=shares, reform_ratio=ratios)
    people = np.arange(6)
    for name, share in shares.items():
        hit = [draws[i] < share[i // 3] for i in people]
        assert reached(pop, st, name, people).tolist() == hit, name
        assert ratio_of(pop, st, name, people).tolist() == pytest.approx(
            [ratios[name][i // 3] if hit[i] else 1.0 for i in people]), name
    assert reached(pop, st, "crisis_advocacy", people)[2] == np.False_  # draw 0.5 at share 0.5: not reached
    assert reached(pop, st, "community_network_care", np.array([1, 5])).tolist() == [False, True]
    # A subset of the people: each gets its own run's ratio (person 5, run 1, reached: 0.3).
    assert ratio_of(pop, st, "community_network_care", np.array([1, 5])).tolist() == pytest.approx([1.0, 0.3])


def test_nobody_is_reached_by_a_reform_with_no_share_anywhere():
    pop = population(2, runs=2, reach_crisis_advocacy=[0.0, 0.3, 0.0, 0.9])
    st = state(2, reform_reach={"trauma_informed_care": [0.5, 0.5]})
    got = reached(pop, st, "crisis_advocacy", np.arange(4))
    assert got.dtype == bool and not got.any()  # a mask of the people given, as when someone is reached


def test_a_reform_given_twice_is_rejected():
    with pytest.raises(ValueError, match="'open_community' given twice"):
        reform_effects([Reform("open_community"), Reform("personalised_goals"), Reform("open_community")], 52)


def test_a_capacity_reform_with_no_capacity_adds_none():
    effects = reform_effects([Reform("crisis_advocacy", coverage=0.3), Reform("community_network_care")], 104)
    assert effects.added_capacity == {}
    assert effects.reach["crisis_advocacy"] == pytest.approx(0.3)
