"""reforms.py: levels, combination on one root, added capacity and cost, against docs/ODD.md 7.1."""

import pytest

from recoverysim.parameters import ROOTS
from recoverysim.reforms import effective_roots, reform_effects
from recoverysim.scenario import Reform

# Written out from the paper's Theme 3 (model brief, "Reforms"): the root each reform reduces and the lever
# its optional capacity adds to.
REFORM_ROOT = {"trauma_informed_care": "trauma_insensitivity", "crisis_advocacy": "advocacy_gap",
               "community_network_care": "psychosocial_gap", "personalised_goals": "rules_over_values",
               "inclusive_design": "shame_pressure", "open_community": "thin_networks"}
CAPACITY_LEVER = {"crisis_advocacy": "peer_availability", "community_network_care": "community_support_capacity"}


def level(reform: Reform, week: int) -> float:
    """ODD 7.1: clip((t - start) / ramp, 0, 1) with t in years."""
    if reform.ramp_years == 0:
        return 1.0 if week / 52 >= reform.start_year else 0.0
    return min(1.0, max(0.0, (week / 52 - reform.start_year) / reform.ramp_years))


REFORMS = (
    Reform("trauma_informed_care", start_year=1.0, ramp_years=2.0, intensity=0.6, cost_per_year=100.0),
    Reform("trauma_informed_care", start_year=0.0, ramp_years=4.0, intensity=0.5, cost_per_year=30.0),
    Reform("crisis_advocacy", start_year=0.5, ramp_years=1.0, intensity=0.3, capacity=4.0, cost_per_year=7.0),
    Reform("community_network_care", start_year=0.0, ramp_years=0.0, intensity=0.8, capacity=2.5),
    Reform("community_network_care", start_year=0.0, ramp_years=1.0, intensity=0.1, capacity=1.5),
    Reform("inclusive_design", start_year=5.0, ramp_years=1.0, intensity=0.9, cost_per_year=1e6),
    Reform("open_community", start_year=1.0, ramp_years=1.0, intensity=0.7, capacity=9.0),
)


def remaining(root: str, week: int) -> float:
    """Share of a root left by its reforms: prod(1 - intensity x level)."""
    share = 1.0
    for reform in REFORMS:
        if REFORM_ROOT[reform.name] == root:
            share *= 1 - reform.intensity * level(reform, week)
    return share


@pytest.mark.parametrize("week", [0, 26, 52, 104, 156, 260])
def test_effects_combine_levels_multiplicatively_per_root(week):
    effects = reform_effects(REFORMS, week)
    for root in ROOTS:
        assert effects.root_reduction[root] == pytest.approx(1 - remaining(root, week), abs=1e-12), root
    capacity = {}
    for reform in REFORMS:
        lever = CAPACITY_LEVER.get(reform.name)
        if lever and level(reform, week) > 0:
            capacity[lever] = capacity.get(lever, 0.0) + reform.capacity * level(reform, week)
    assert effects.added_capacity == pytest.approx(capacity, abs=1e-12)
    assert effects.cost_per_year == pytest.approx(sum(r.cost_per_year * level(r, week) for r in REFORMS), abs=1e-9)


def test_before_any_reform_starts_nothing_changes():
    effects = reform_effects(REFORMS[5:6], 10)
    assert effects.root_reduction == dict.fromkeys(ROOTS, 0.0)
    assert effects.added_capacity == {} and effects.cost_per_year == 0.0


def test_effective_roots_scale_each_declared_root_by_what_remains():
    declared = {root: 0.1 * (k + 2) for k, root in enumerate(ROOTS)}
    roots = effective_roots(declared, reform_effects(REFORMS, 104))
    for root in ROOTS:
        assert roots[root] == pytest.approx(declared[root] * remaining(root, 104), abs=1e-12)
    assert roots["rules_over_values"] == declared["rules_over_values"]
    assert roots["psychosocial_gap"] == pytest.approx(declared["psychosocial_gap"] * (1 - 0.8) * (1 - 0.1))
