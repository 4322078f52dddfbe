"""Property-based tests: any valid parameter set keeps probabilities in [0, 1] and conserves people."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recoverysim.crisis_pathway import crisis_hazard, crisis_probability_bound
from recoverysim.model import RecoveryModel
from recoverysim.parameters import PARAMETERS, STAGES
from recoverysim.recovery_stages import move_probability_bound, transition_probabilities
from recoverysim.reform_evidence import PROXIMAL_EFFECTS
from recoverysim.scenario import Reform, default_scenario

FIXED = {"run.years", "run.replications", "run.seed", "run.spin_up_years", "population.size"} | {
    f"population.share_{s}" for s in STAGES} | {"population.share_schizophrenia", "population.share_mood"}
VARIED = [p for p in PARAMETERS.values() if p.name not in FIXED and p.kind in (int, float, bool)]


def value(p):
    if p.kind is bool:
        return st.booleans()
    if p.kind is int:
        return st.integers(int(p.low), int(p.high))
    return st.floats(p.low, p.high, allow_nan=False)


shares = st.lists(st.floats(0.01, 1.0), min_size=4, max_size=4).map(lambda v: np.array(v) / sum(v))
def reform(name: str):
    """A reform of ``name`` with any timing and coverage, and any effect within its evidence's interval."""
    e = PROXIMAL_EFFECTS[name]
    return st.builds(Reform, name=st.just(name), start_year=st.floats(0, 2), ramp_years=st.floats(0, 3),
                     coverage=st.floats(0, 1), effect=st.floats(e.low, e.high))


reforms = st.lists(st.sampled_from(["trauma_informed_care", "crisis_advocacy", "community_network_care",
                                    "open_community"]).flatmap(reform), max_size=3, unique_by=lambda r: r.name)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.fixed_dictionaries({p.name: value(p) for p in VARIED}), stage_shares=shares, chosen=reforms,
       diagnosis=st.tuples(st.floats(0, 0.5), st.floats(0, 0.5)))
def test_any_valid_parameter_set_keeps_probabilities_valid_and_people_conserved(values, stage_shares, chosen,
                                                                                  diagnosis):
    overrides = dict(values)
    overrides.update({f"population.share_{s}": float(v) for s, v in zip(STAGES, stage_shares, strict=True)})
    overrides["population.share_reunion"] = 1.0 - sum(overrides[f"population.share_{s}"] for s in STAGES[:3])
    overrides.update({"population.size": 150, "run.years": 1, "population.share_schizophrenia": diagnosis[0],
                      "population.share_mood": diagnosis[1]})
    scenario = default_scenario().with_overrides(overrides).with_reforms(tuple(chosen))
    model = RecoveryModel(scenario, rng=1, materialise_agents=False)
    n = model.population.size
    while model.running:
        model.step()
        pop = model.population
        assert pop.stage_counts().sum() == n
        assert np.all((pop.stage >= 0) & (pop.stage <= 3))
        assert np.all((model.barriers >= 0) & (model.barriers <= 1))
        h_up, h_down = model.stage_hazards()
        assert np.all(np.isfinite(h_up)) and np.all(h_up >= 0) and np.all(h_down >= 0)
        p_up, p_down = transition_probabilities(h_up, h_down)
        assert np.all((p_up >= 0) & (p_up <= 1) & (p_down >= 0) & (p_up + p_down <= 1 + 1e-12))
        # The engine examines only draws below these bounds, so they must hold for every parameter set.
        assert np.all(p_up + p_down <= move_probability_bound(model.params.recovery))
        hazard = crisis_hazard(pop, model.params.crisis, model.week)
        assert np.all(np.isfinite(hazard)) and np.all(hazard >= 0)
        assert np.all(-np.expm1(-hazard) <= crisis_probability_bound(pop, model.params.crisis))
        assert 0 <= model.levers["peer_availability"] <= 1
        assert all(0 <= v <= 1 for v in model.roots.values())
        assert np.all((pop.life_security >= 0) & (pop.life_security <= 1))
        assert np.all((pop.medication_burden >= 0) & (pop.medication_burden <= 1))
        assert np.all(pop.trauma_load >= 0)
        assert np.all((pop.service_mistrust >= 0) & (pop.service_mistrust <= 1))
        assert np.all(np.isfinite(pop.age)) and np.all(pop.age >= 0)
    ts = model.recorder.frame(model.week)
    assert (ts[list(STAGES)].sum(axis=1) == n).all()
    assert (ts["in_hospital"].diff().iloc[1:] == (ts["admissions_voluntary"] + ts["admissions_involuntary"]
                                                   - ts["discharges"] - ts["deaths_in_hospital"]).iloc[1:]).all()
