"""Service turnover: exit hazards, exits, entry into a freed place, conservation and a stationary status quo."""

import math

import numpy as np
import pytest
from conftest import SHIPPED_SPIN_UP_YEARS
from hand_made import params, population, value

from recoverysim import service_turnover as st
from recoverysim.model import RecoveryModel
from recoverysim.parameters import WEEKS_PER_YEAR
from recoverysim.scenario import default_scenario, load_scenario


def test_exit_hazards_follow_the_odd_formula():
    p = params({"turnover.excess_mortality": 2.0, "turnover.mortality_gompertz_a": 1e-5,
                "turnover.mortality_gompertz_b": 0.1, "turnover.mortality_makeham_c": 3e-4,
                "turnover.leaving_rate": 0.08, "turnover.recovered_leaving_rate": 0.3})
    pop = population(3, stage=[0, 3, 3], age=[30.0, 60.0, 80.0], in_hospital=[False, False, True])
    death, leaving = st.exit_hazards(pop, p.turnover, np.arange(3))
    for i, age in enumerate((30.0, 60.0, 80.0)):
        assert death[i] == pytest.approx(2.0 * (3e-4 + 1e-5 * math.exp(0.1 * age)) / 52, rel=1e-5)
    # discontinuity in the community: leaving_rate; reunion: recovered_leaving_rate; inpatients never leave
    assert leaving == pytest.approx([0.08 / 52, 0.3 / 52, 0.0])


def test_exits_split_deaths_and_leavers_by_their_hazard_shares():
    rate = 0.05  # yearly leaving hazard; the age below gives the same yearly death hazard
    age = 10 * math.log((rate / 1.5 - 1e-4) / 5e-5)
    p = params({"turnover.excess_mortality": 1.5, "turnover.mortality_gompertz_a": 5e-5,
                "turnover.mortality_gompertz_b": 0.1, "turnover.mortality_makeham_c": 1e-4,
                "turnover.leaving_rate": rate})
    pop = population(4, age=np.full(4, age))
    p_exit = -math.expm1(-2 * rate / 52)
    u = np.array([p_exit * 0.5, p_exit * 0.5, p_exit * 1.01, 0.9])
    kind = np.array([0.499, 0.501, 0.0, 0.0])  # death share is one half (to single precision in the age)
    died, left = st.exits(pop, p.turnover, np.arange(4), u, kind)
    assert died.tolist() == [0] and left.tolist() == [1]


def test_a_new_service_user_takes_the_place_with_nothing_of_the_old_one():
    p = params({"population.entry_age_mean": 40.0, "population.entry_age_sd": 10.0, "population.share_female": 0.5})
    pop = population(2, stage=[3, 2], in_hospital=[True, False], peer_worker=[False, True],
                     service_mistrust=[0.9, 0.4], trauma_load=[3.0, 2.0], age=[70.0, 50.0])
    names = st.EntryDraws.stream_names()
    u = {name: np.full(1, 0.5) for name in names}
    u["entry_female"] = np.array([0.2])
    st.enter(pop, p.population, np.array([0]), st.EntryDraws(**u), week=7)
    assert pop.stage[0] == 0 and pop.stage_since[0] == 7 and pop.generation[0] == 1
    assert not pop.in_hospital[0] and pop.service_mistrust[0] == 0 and pop.female[0]
    assert pop.age[0] == pytest.approx(40.0)  # the median of the entry age distribution
    assert pop.trauma_load[0] == float(pop.trauma_history[0])
    assert pop.reached_week[0].tolist() == [7, -1, -1, -1]
    # the other place is untouched
    assert pop.stage[1] == 2 and pop.peer_worker[1] and pop.generation[1] == 0
    assert st.identity(pop, np.array([0, 1])).tolist() == [2, 1]


def test_turnover_conserves_the_population_and_balances_entry_with_exit():
    sc = default_scenario().with_overrides({"population.size": 400, "run.years": 3, "run.spin_up_years": 0,
                                            "turnover.leaving_rate": 0.3, "turnover.recovered_leaving_rate": 0.5})
    model = RecoveryModel(sc, rng=5)
    model.run()
    frame = model.recorder.frame(model.week)
    exits = int(frame["deaths"].sum() + frame["left_services"].sum())
    assert exits > 50
    assert model.population.generation.sum() == exits  # every exit was followed by exactly one entry
    assert (frame[["discontinuity", "safety", "control", "reunion"]].sum(axis=1) == 400).all()
    # deaths in hospital end stays: each is a discharge record of its own, with died set
    assert model.ledger.discharges()["died"].sum() == frame["deaths_in_hospital"].sum()


def test_higher_excess_mortality_means_more_deaths():
    deaths = []
    for rr in (1.5, 3.5):
        sc = default_scenario().with_overrides({"population.size": 600, "run.years": 4, "run.spin_up_years": 0,
                                                "turnover.excess_mortality": rr})
        model = RecoveryModel(sc, rng=11)
        model.run()
        deaths.append(model.recorder.frame(model.week)["deaths"].sum())
    assert deaths[1] > 1.8 * deaths[0]


def test_the_status_quo_is_stationary_after_the_spin_up():
    """With no reform, stage shares and the peer workforce stay level over 30 years after the shipped spin-up."""
    sc = load_scenario("scenarios/japan_baseline.toml", {"population.size": 800, "run.years": 30,
                                                         "run.spin_up_years": SHIPPED_SPIN_UP_YEARS})
    model = RecoveryModel(runs=[(sc, 1), (sc, 2)])
    model.run()
    for run in range(2):
        frame = model.recorder.frame(model.week, run)
        year = frame["week"] // WEEKS_PER_YEAR
        early, late = frame[(year >= 1) & (year < 6)], frame[year >= 25]
        for stage in ("discontinuity", "safety", "control", "reunion"):
            assert abs(late[stage].mean() - early[stage].mean()) / 800 < 0.05, stage
        assert abs(late["peer_workers"].mean() - early["peer_workers"].mean()) * 1000 / 800 < 4.0


def test_the_slow_variables_reached_by_the_spin_up_stay_level_after_week_0():
    """Trauma load and service mistrust at week 0 are the levels the status quo keeps (no jump when observed).

    Before this test, no one was "free" for coercion later in a stay until their first episode while the clock
    was negative (the spin-up), so in-stay coercion began only at week 0 and mistrust then rose by a third.
    """
    sc = load_scenario("scenarios/japan_baseline.toml", {"population.size": 3000, "run.years": 5,
                                                         "run.spin_up_years": SHIPPED_SPIN_UP_YEARS})
    model = RecoveryModel(runs=[(sc, 1), (sc, 2)], materialise_agents=False)
    start = model.population.trauma_load.mean(), model.population.service_mistrust.mean()
    model.run()
    end = model.population.trauma_load.mean(), model.population.service_mistrust.mean()
    for name, a, b in zip(("trauma_load", "service_mistrust"), start, end, strict=True):
        assert abs(b - a) / a < 0.06, (name, a, b)


def test_model_entry_rate_matches_the_stationary_stock():
    """Flows against the stock: with a constant exit hazard mu the yearly entry flow is N (1 - exp(-mu))^52."""
    mu = 0.2
    sc = default_scenario().with_overrides({
        "population.size": 2000, "run.years": 5, "run.spin_up_years": 0, "turnover.mortality_gompertz_a": 2e-6,
        "turnover.mortality_gompertz_b": 0.07, "turnover.mortality_makeham_c": 0.0, "turnover.excess_mortality": 1.5,
        "turnover.leaving_rate": mu, "turnover.recovered_leaving_rate": mu, "crisis.enabled": False,
        "population.initial_in_hospital": 0.0})
    model = RecoveryModel(sc, rng=3)
    model.run()
    frame = model.recorder.frame(model.week)
    p = value(model.params, "turnover.leaving_rate") / WEEKS_PER_YEAR
    expected = 2000 * model.weeks * -math.expm1(-p)  # deaths are ~1e-4 per week at these ages and rates
    left = frame["left_services"].sum()
    assert abs(left - expected) < 4 * math.sqrt(expected) + 0.02 * expected


def test_the_poisson_quantile_of_new_ties_matches_scipy():
    # Oracle: scipy's inverse distribution function, over means from none to beyond the sequential search.
    from scipy.stats import poisson

    from recoverysim.service_turnover import _poisson_quantile

    rng = np.random.default_rng(5)
    for mean in (0.0, 0.4, 3.0, 12.0, 80.0):
        u = np.concatenate([rng.random(5000), [0.0, 1e-13, 1 - 1e-12]])
        expected = poisson.ppf(np.maximum(u, 1e-12), mean).astype(np.int64)
        np.testing.assert_array_equal(_poisson_quantile(np.full(u.size, mean), u), expected)
