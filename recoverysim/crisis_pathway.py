"""The crisis pathway, where coercion lives.

crisis -> response (community support, voluntary or involuntary admission) -> coercive measures in hospital
-> re-traumatisation -> discharge -> possible readmission. Each function acts on whole arrays; event-level
random numbers are keyed by (stream, week, person) so scenarios share them (common random numbers).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from scipy.special import ndtri

from recoverysim.feedback_loops import retraumatisation_trauma_increment
from recoverysim.parameters import DAYS_PER_WEEK, WEEKS_PER_YEAR
from recoverysim.population import REAL, of_people, of_runs

DISCONTINUITY = 0
COMMUNITY, VOLUNTARY, INVOLUNTARY = 0, 1, 2
RESPONSES = ("community", "voluntary", "involuntary")


@dataclass
class CrisisOutcome:
    """What happened on the pathway in one week (indices are person indices)."""

    crises: np.ndarray
    response: np.ndarray  # RESPONSES code per crisis
    coerced: np.ndarray
    restraint: np.ndarray  # bool per coerced person: restraint (else seclusion)
    episode_hours: np.ndarray
    retraumatised: np.ndarray
    bed_shortage: np.ndarray  # per run: admissions turned to the community for want of a bed
    coerced_in_stay: np.ndarray  # per run: how many of ``coerced`` (the last ones) happened later in a stay


def crisis_hazard(pop, params, week: int, who: np.ndarray | None = None) -> np.ndarray:
    """Weekly crisis hazard of each person (or of ``who``) in the community (0 in hospital)."""
    c = params.crisis
    run = pop.run_of(who)
    stage = of_people(pop.stage, who)
    table = params.memo("crisis_by_stage", lambda: _stage_crisis_hazards(params))
    h = table[0].take(stage) if pop.runs == 1 else table[run, stage]
    # Multiplied in place, factor by factor (large temporaries cost as much as the arithmetic).
    factor = np.multiply(of_people(pop.trauma_load, who), of_runs(c.real.trauma_effect, run))
    factor += 1
    h *= factor
    np.multiply(of_people(pop.medication_burden, who), of_runs(c.real.medication_effect, run), out=factor)
    factor += 1
    h *= factor
    np.subtract(1, of_people(pop.life_security, who), out=factor)
    factor *= of_runs(c.real.insecurity_effect, run)
    factor += 1
    h *= factor
    # The post-discharge risk is negligible after 30 decay times; only recent leavers need it.
    last_discharge = of_people(pop.last_discharge_week, who)
    recent = (last_discharge > week - 30 * of_runs(c.post_discharge_weeks, run)).nonzero()[0]
    since = week - last_discharge[recent]
    of_recent = run.take(recent)
    h[recent] *= 1 + of_runs(c.post_discharge_effect, of_recent) * np.exp(
        -since / of_runs(c.post_discharge_weeks, of_recent))
    h[of_people(pop.in_hospital, who)] = 0.0
    return h


def _stage_crisis_hazards(params) -> np.ndarray:
    """Weekly crisis hazard by run (rows) and stage (columns) before personal factors."""
    c = params.crisis
    return (c.rate[:, None] / WEEKS_PER_YEAR * c.stage_factor[:, None] ** np.arange(4)).astype(REAL)


def crisis_probability_bound(pop, params) -> np.ndarray:
    """An upper bound of anyone's weekly crisis probability in each run, from the largest value of each factor.

    The small margin covers single-precision rounding, so anyone whose draw is above it has no crisis.
    """
    c = params.crisis
    by_run = (pop.runs, pop.run_size)
    top = c.rate / WEEKS_PER_YEAR * np.maximum(1.0, c.stage_factor ** 3)
    top = top * (1 + c.trauma_effect * np.maximum(0.0, pop.trauma_load.reshape(by_run).max(axis=1, initial=0.0)))
    top = top * (1 + c.medication_effect * np.maximum(0.0, pop.medication_burden.reshape(by_run).max(axis=1,
                                                                                                    initial=0.0)))
    top = top * (1 + c.insecurity_effect * np.maximum(0.0, 1 - pop.life_security.reshape(by_run).min(axis=1,
                                                                                                   initial=1.0)))
    top = top * (1 + c.post_discharge_effect)
    return np.minimum(1.0, -np.expm1(-top) * (1 + 1e-4) + 1e-6)


#: Keyed streams of each inpatient's week: discharge, then coercion later in the stay and that episode's kind,
#: length and re-traumatisation. All are drawn for every inpatient in one pass; the episode draws of the few
#: who are coerced are picked out later, and being keyed they are the numbers a separate draw would give.
INPATIENT_STREAMS = ("discharge", "inpatient_coercion", "inpatient_coercion_kind", "inpatient_coercion_hours",
                     "inpatient_retraumatisation")


class Inpatients(NamedTuple):
    """This week's discharges, and the inpatients who stay with their keyed draws.

    ``draws`` has one column per staying inpatient and one row per stream of ``INPATIENT_STREAMS[1:]``.
    """

    leaving: np.ndarray
    staying: np.ndarray
    draws: np.ndarray


def discharge(model) -> Inpatients:
    """Discharge inpatients by their weekly hazard."""
    pop, week, h = model.population, model.week, model.params.hospital
    inpatients = pop.in_hospital.nonzero()[0]
    if inpatients.size == 0:
        return Inpatients(inpatients, inpatients, np.zeros((len(INPATIENT_STREAMS) - 1, 0)))
    run = pop.run.take(inpatients)
    mean_days = np.where(pop.long_stay[inpatients], of_runs(h.long_stay_mean_days, run),
                         of_runs(h.short_stay_mean_days, run))
    psychosocial = np.exp(-h.psychosocial_discharge_effect * model.roots["psychosocial_gap"])
    hazard = (DAYS_PER_WEEK / mean_days
              * of_runs(psychosocial, run)
              * (1 + of_runs(h.stage_discharge_effect, run) * pop.stage[inpatients]))
    draws = model.streams.keyed_uniforms(INPATIENT_STREAMS, week, inpatients)
    left = draws[0] < -np.expm1(-hazard)
    leaving = inpatients[left]
    pop.in_hospital[leaving] = False
    pop.last_discharge_week[leaving] = week
    model.ledger.discharge(leaving, pop.admitted_week[leaving], week, pop.prevalent_stay[leaving])
    pop.prevalent_stay[leaving] = False
    stay = (~left).nonzero()[0]
    return Inpatients(leaving, inpatients.take(stay), draws[1:].take(stay, axis=1))


#: Event-level streams of a crisis, drawn for every crisis of the week in one pass. Each number is keyed by
#: (stream, week, person), so drawing it for people who turn out not to need it changes nothing else.
CRISIS_STREAMS = ("response", "community_priority", "bed_priority", "admission_type", "long_stay", "coercion",
                  "coercion_kind", "coercion_hours", "retraumatisation")


def respond(model, crises: np.ndarray, draws: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Answer each crisis in the community or by admission, within each run's community and bed capacity.

    ``draws`` holds each of ``CRISIS_STREAMS`` for the people in ``crises``. Returns the response of each
    crisis and each run's bed shortage.
    """
    pop, week, n = model.population, model.week, model.population.run_size
    c = model.params.crisis
    psg, adv = model.roots["psychosocial_gap"], model.roots["advocacy_gap"]
    run = pop.run.take(crises)
    response = np.full(crises.size, VOLUNTARY, np.int8)
    wants_community = draws["response"] < of_runs(c.community_preference * (1 - psg), run)
    # Community places go to those who want them, in random (keyed) order; the rest are admitted.
    places = (model.levers["community_support_capacity"] * n / 1000).astype(np.int64)
    candidates = wants_community.nonzero()[0]
    served = candidates[_by_priority_in_run(run[candidates], draws["community_priority"][candidates], places,
                                            pop.runs)]
    response[served] = COMMUNITY
    admit = (response != COMMUNITY).nonzero()[0]
    free_beds = (model.levers["bed_capacity"] * n / 1000).astype(np.int64) - pop.count_by_run(pop.in_hospital)
    shortage = np.maximum(0, np.bincount(run[admit], minlength=pop.runs) - np.maximum(free_beds, 0))
    if shortage.any():
        # Those last in (keyed) bed priority in each run, beyond its free beds, are supported in the community.
        turned = _by_priority_in_run(run[admit], draws["bed_priority"][admit], shortage, pop.runs, highest=True)
        response[admit[turned]] = COMMUNITY
        admit = (response != COMMUNITY).nonzero()[0]
    p_invol = np.minimum(1.0, c.involuntary_share + c.advocacy_involuntary_effect * adv)
    invol = draws["admission_type"][admit] < of_runs(p_invol, run[admit])
    response[admit[invol]] = INVOLUNTARY
    _admit(model, crises[admit], invol, draws["long_stay"][admit])
    # Setbacks: involuntary admission throws back to discontinuity, other responses one stage.
    pop.move_to_stage(crises, np.where(response == INVOLUNTARY, DISCONTINUITY,
                                       np.maximum(pop.stage[crises] - 1, 0)).astype(np.int8), week)
    return response, shortage


def _by_priority_in_run(run: np.ndarray, priority: np.ndarray, quota: np.ndarray, runs: int,
                        highest: bool = False) -> np.ndarray:
    """Positions of the ``quota[r]`` items of each run r first (or, with ``highest``, last) in priority order.

    The order is that of a stable ascending sort of each run's priorities, so ties go to earlier items.
    """
    order = np.lexsort((priority, run))
    in_order = run[order]
    position = np.arange(order.size)
    if highest:
        rank = np.searchsorted(in_order, np.arange(runs), side="right")[in_order] - 1 - position
    else:
        rank = position - np.searchsorted(in_order, np.arange(runs))[in_order]
    return order[rank < quota[in_order]]


def _admit(model, people: np.ndarray, involuntary: np.ndarray, u_long_stay: np.ndarray) -> None:
    pop, week, c, h = model.population, model.week, model.params.crisis, model.params.hospital
    psg = model.roots["psychosocial_gap"]
    run = pop.run.take(people)
    pop.in_hospital[people] = True
    pop.admitted_week[people] = week
    pop.involuntary[people] = involuntary
    pop.long_stay[people] = u_long_stay < of_runs(h.long_stay_share * psg, run)
    pop.medication_burden[people] = np.minimum(
        1.0, pop.medication_burden[people] + of_runs((c.medication_increase * (1 + psg)).astype(REAL), run))
    pop.life_security[people] *= of_runs((1 - c.admission_security_loss).astype(REAL), run)
    pop.peer_worker[people] = False
    model.ledger.admit(people, week, involuntary)


def coercion_risk(model, involuntary: np.ndarray, run: np.ndarray) -> np.ndarray:
    """The coercion lever scaled by trauma insensitivity, lower for voluntary patients (``run``: their runs)."""
    c = model.params.crisis
    ti = model.roots["trauma_insensitivity"]
    p = model.levers["coercion"] * (1 - c.trauma_insensitivity_coercion_effect * (1 - ti))
    return np.where(involuntary, of_runs(p, run), of_runs(p * c.voluntary_coercion_ratio, run))


def coerce(model, involuntary: np.ndarray, u_coercion: np.ndarray, run: np.ndarray) -> np.ndarray:
    """Which admissions (flags per admitted person, of runs ``run``) start with a coercive measure."""
    return u_coercion < coercion_risk(model, involuntary, run)


def coerce_inpatients(model, inpatients: Inpatients) -> np.ndarray:
    """Positions (in ``inpatients.staying``) of those coerced later in a stay, among those not under a measure.

    Those inpatients were all admitted in earlier weeks, since discharges come before this week's admissions.
    """
    pop, week, c = model.population, model.week, model.params.crisis
    if not (c.inpatient_coercion_rate > 0).any():
        return np.zeros(0, np.int64)
    free = (pop.coerced_until_week[inpatients.staying] <= week).nonzero()[0]
    people = inpatients.staying[free]
    run = pop.run.take(people)
    hazard = of_runs(c.inpatient_coercion_rate / WEEKS_PER_YEAR, run) * coercion_risk(model, pop.involuntary[people],
                                                                                        run)
    return free[inpatients.draws[0, free] < -np.expm1(-hazard)]


def _episodes(model, coerced: np.ndarray, u_kind: np.ndarray, u_hours: np.ndarray, u_retraumatisation: np.ndarray):
    """Kind and length of each coercive episode, and who is re-traumatised by it (draws aligned with ``coerced``)."""
    pop, week, params = model.population, model.week, model.params
    c = params.crisis
    run = pop.run.take(coerced)
    restraint = u_kind < of_runs(c.restraint_share, run)
    median = np.where(restraint, of_runs(c.restraint_median_hours, run), of_runs(c.seclusion_median_hours, run))
    z = ndtri(np.minimum(np.maximum(u_hours, 1e-12), 1 - 1e-12))  # as np.clip, without its wrapper's cost
    hours = median * np.exp(of_runs(c.episode_hours_sigma, run) * z)
    pop.coerced_until_week[coerced] = week + hours / (24 * DAYS_PER_WEEK)
    p_re = np.minimum(1.0, of_runs(c.retraumatisation_probability, run)
                      * (1 + of_runs(c.trauma_history_retraumatisation_effect, run) * pop.trauma_history[coerced]))
    hit = u_retraumatisation < p_re
    retraumatised = coerced[hit]
    pop.move_to_stage(retraumatised, DISCONTINUITY, week)
    increment = params.memo("retraumatisation_increment", lambda: retraumatisation_trauma_increment(
        c.trauma_load_increment, params.loops.coercion_trauma).astype(REAL))
    pop.trauma_load[retraumatised] += of_runs(increment, run[hit])
    return restraint, hours, retraumatised


def run_week(model, inpatients: Inpatients) -> CrisisOutcome:
    """One week of the pathway after discharges (``inpatients``: what ``discharge`` returned this week).

    Crises, responses, coercion, re-traumatisation.
    """
    pop, week = model.population, model.week
    enabled = model.params.crisis.enabled
    # Everyone draws one number a week (stream "crisis"). Only people whose draw is below their run's bound can
    # have a crisis, so only their hazards are needed; the crises are exactly those of comparing every draw
    # with every hazard.
    who, u = model.streams.uniform_below("crisis", crisis_probability_bound(pop, model.params) if enabled else 0.0)
    if enabled:
        crises = who[u < -np.expm1(-crisis_hazard(pop, model.params, week, who))]
    else:
        crises = np.zeros(0, np.int64)
    draws = dict(zip(CRISIS_STREAMS, model.streams.keyed_uniforms(CRISIS_STREAMS, week, crises), strict=True))
    response, shortage = respond(model, crises, draws)
    admitted = (response != COMMUNITY).nonzero()[0]
    first = admitted[coerce(model, response[admitted] == INVOLUNTARY, draws["coercion"][admitted],
                            pop.run.take(crises[admitted]))]
    later = coerce_inpatients(model, inpatients)
    # Episodes at admission and later in stays, in one pass (the two groups are disjoint: admitted this week
    # or before); each keeps its own streams.
    coerced = np.concatenate([crises[first], inpatients.staying[later]])
    episode_draws = (np.concatenate([draws[name][first], row]) for name, row in
                     zip(("coercion_kind", "coercion_hours", "retraumatisation"), inpatients.draws[1:, later],
                         strict=True))
    restraint, hours, retraumatised = _episodes(model, coerced, *episode_draws)
    in_stay = np.bincount(pop.run.take(inpatients.staying[later]), minlength=pop.runs)
    return CrisisOutcome(crises, response, coerced, restraint, hours, retraumatised, shortage, in_stay)


def recover_slow_variables(model) -> None:
    """Trauma load and medication burden drift back towards each person's baseline."""
    pop, params = model.population, model.params
    c = params.crisis
    decay_t, decay_m = params.memo("slow_variable_decay", lambda: (
        np.exp(-c.trauma_load_recovery_rate / WEEKS_PER_YEAR).astype(REAL),
        np.exp(-c.medication_recovery_rate / WEEKS_PER_YEAR).astype(REAL)))
    # Only people above their baseline move; most people sit at it, so work on that subset.
    up = (pop.trauma_load > pop.trauma_history).nonzero()[0]
    base_t = pop.trauma_history[up].astype(REAL)
    pop.trauma_load[up] = base_t + (pop.trauma_load[up] - base_t) * of_runs(decay_t, pop.run.take(up))
    up = ((pop.medication_burden > pop.medication_baseline) & ~pop.in_hospital).nonzero()[0]
    base_m = pop.medication_baseline[up]
    pop.medication_burden[up] = base_m + (pop.medication_burden[up] - base_m) * of_runs(decay_m, pop.run.take(up))
