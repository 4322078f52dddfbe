"""Closed-form checks of the crisis pathway: the whole model, reduced to one mechanism, against exact answers.

Each test switches off every factor but the one under test (crises at a constant hazard, no post-discharge risk,
everyone wants a bed, stays by their mean alone), runs the model, and compares a headline outcome with an answer
derived here from the equations of docs/ODD.md 7.3-7.4 alone: a two-type mixture of geometric stays, a constant
readmission hazard, and the bed occupancy of a loss system (an exact Markov chain of the weekly step, solved with
scipy, and the Erlang loss formula it tends to when stays are long against a week). Tolerances are 4 standard
errors of the simulated estimate, so a test fails by chance about once in 15,000 runs.
"""

import math

import numpy as np
import pytest
from scipy import linalg, stats

from recoverysim.model import RecoveryModel
from recoverysim.scenario import default_scenario

#: Every factor of the crisis and discharge hazards but the constant rate and the mean stay switched off, no
#: service turnover (exits would end stays and follow-ups), and nobody in hospital at the start (the initial
#: stays are long ones that a short test spin-up would not clear).
ONE_MECHANISM = {
    "turnover.enabled": False, "population.initial_in_hospital": 0.0, "crisis.stage_factor": 1.0,
    "crisis.trauma_effect": 0.0,
    "crisis.medication_effect": 0.0, "crisis.insecurity_effect": 0.0, "crisis.post_discharge_effect": 0.0,
    "crisis.community_preference": 0.0, "hospital.psychosocial_discharge_effect": 0.0,
    "hospital.stage_discharge_effect": 0.0, "hospital.over_capacity_share": 0.0,
    "hospital.early_discharge_share": 0.0,
}


def batch(overrides: dict, seeds: range) -> RecoveryModel:
    sc = default_scenario().with_overrides({**ONE_MECHANISM, **overrides})
    return RecoveryModel(runs=[(sc, seed) for seed in seeds]).run()


def pooled(model: RecoveryModel, outcome: str) -> tuple[float, float]:
    """Mean of ``outcome`` over the batch's runs and its standard error (runs are independent)."""
    values = np.array([model.headline(r)[outcome] for r in range(model.runs)])
    return float(values.mean()), float(values.std(ddof=1) / math.sqrt(values.size))


def geometric_within(days: float, mean_days: float) -> float:
    """P(stay of whole weeks <= days): a weekly discharge chance 1 - exp(-7 / mean), first tried a week in."""
    weeks = math.floor(days / 7)
    return 1 - math.exp(-7 / mean_days * weeks)


def test_discharge_curve_is_the_two_type_mixture():
    short, long, share = 30.0, 900.0, 0.5
    model = batch({"population.size": 3000, "run.years": 6, "crisis.rate": 0.3, "levers.bed_capacity": 300.0,
                   "hospital.short_stay_mean_days": short, "hospital.long_stay_mean_days": long,
                   "hospital.long_stay_share": share}, range(6))
    gap = model.system.roots.psychosocial_gap
    assert np.ptp(gap) == 0  # the same in every run, so one mixture weight
    long_share = share * float(gap[0])  # ODD 7.4: a stay is long with chance long_stay_share x psychosocial gap
    for days in (90, 365):
        expected = (1 - long_share) * geometric_within(days, short) + long_share * geometric_within(days, long)
        mean, se = pooled(model, f"discharged_within_{days}_days")
        assert mean == pytest.approx(expected, abs=4 * se), days
        assert se < 0.02  # power: a long-stay weight 0.1 too high lowers the 90-day share by 0.085


def test_readmission_under_a_constant_hazard():
    rate = 0.8  # crises per person-year, the same before and after a discharge
    model = batch({"population.size": 2000, "run.years": 6, "crisis.rate": rate, "levers.bed_capacity": 300.0,
                   "hospital.short_stay_mean_days": 20.0, "hospital.long_stay_share": 0.0}, range(6))
    for days in (90, 365):
        # A leaver can have a crisis in the week of discharge itself (discharges come first in a step), so
        # within d days means in weeks 0 .. floor(d / 7) after it: floor(d / 7) + 1 weekly chances.
        chances = math.floor(days / 7) + 1
        expected = 1 - math.exp(-rate / 52 * chances)
        mean, se = pooled(model, f"readmitted_within_{days}_days")
        assert mean == pytest.approx(expected, abs=4 * se), days
        assert se < 0.02  # power: one weekly chance fewer lowers the 90-day share by 0.013, about 10 se


def weekly_loss_chain(people: int, beds: int, discharge: float, crisis: float):
    """Exact stationary bed occupancy and blocking of the weekly step, solved from the ODD's order of events.

    From k inpatients at the end of a week: each leaves with chance ``discharge``; the m who stay leave
    people - m in the community, each with a crisis with chance ``crisis``; min(crises, beds - m) are admitted
    and the rest find no bed. Returns (mean occupied share of beds at the end of a week, share of crises
    turned away, mean early discharges a week when every crisis that finds no bed asks for room: min(those
    crises, m), as each of the m stays can be ended once).
    """
    size = beds + 1
    move = np.zeros((size, size))
    blocked, crises, early = np.zeros(size), np.zeros(size), np.zeros(size)
    for k in range(size):
        for stay in range(k + 1):
            w = stats.binom.pmf(k - stay, k, discharge)
            arrivals = np.arange(people - stay + 1)
            pa = stats.binom.pmf(arrivals, people - stay, crisis)
            np.add.at(move[k], np.minimum(stay + arrivals, beds), w * pa)
            blocked[k] += w * pa @ np.maximum(arrivals - (beds - stay), 0)
            early[k] += w * pa @ np.minimum(np.maximum(arrivals - (beds - stay), 0), stay)
            crises[k] += w * (people - stay) * crisis
    pi = linalg.null_space(move.T - np.eye(size))[:, 0]
    pi /= pi.sum()
    return float(pi @ np.arange(size)) / beds, float(pi @ blocked / (pi @ crises)), float(pi @ early)


def erlang_b(servers: int, load: float) -> float:
    """Erlang's loss formula B(c, a), by its recurrence B(j) = a B(j-1) / (j + a B(j-1))."""
    b = 1.0
    for j in range(1, servers + 1):
        b = load * b / (j + load * b)
    return b


@pytest.mark.parametrize("early_discharge_share", [0.0, 1.0])
def test_bed_occupancy_is_that_of_the_weekly_loss_chain(early_discharge_share):
    """With early discharges too: a stay ended early frees a bed that the crisis takes at once, and with
    geometric stays the one who leaves and the one who comes in have the same future, so occupancy and
    blocking are those of the chain; the early discharges are the chain's min(crises without a bed, stays)."""
    people, per_1000, mean_days, rate = 4000, 10.0, 70.0, 0.052  # 40 beds, offered load 40 beds
    model = batch({"population.size": people, "run.years": 20, "crisis.rate": rate, "levers.bed_capacity": per_1000,
                   "hospital.short_stay_mean_days": mean_days, "hospital.long_stay_share": 0.0,
                   "hospital.early_discharge_share": early_discharge_share}, range(8))
    occupancy, turned_away, early = weekly_loss_chain(people, int(per_1000 * people / 1000),
                                                      1 - math.exp(-7 / mean_days), 1 - math.exp(-rate / 52))
    mean, se = pooled(model, "bed_occupancy")
    assert mean == pytest.approx(occupancy, abs=4 * se) and se < 0.01
    mean, se = pooled(model, "admissions_turned_away_share")
    assert mean == pytest.approx(turned_away, abs=4 * se) and se < 0.01
    mean, se = pooled(model, "early_discharges_per_1000_person_years")
    expected = early_discharge_share * early * 52 / people * 1000  # per week, per person-year of 52 weeks
    assert mean == pytest.approx(expected, abs=4 * se + 1e-12)
    assert early_discharge_share == 0 or se < 0.05 * expected


def test_the_weekly_loss_chain_tends_to_erlangs_loss_formula():
    # Stays of 200 weeks on a weekly step: the discrete chain is the M/M/c/c queue (Erlang) up to O(1/200),
    # and 20,000 sources make the finite-source (Engset) correction small.
    people, beds, mean_weeks = 20_000, 30, 200.0
    load = 30.0
    crisis = -math.expm1(-load / (people * mean_weeks))
    occupancy, turned_away, _ = weekly_loss_chain(people, beds, -math.expm1(-1 / mean_weeks), crisis)
    b = erlang_b(beds, load)
    assert turned_away == pytest.approx(b, rel=0.03)
    assert occupancy == pytest.approx(load * (1 - b) / beds, rel=0.01)
