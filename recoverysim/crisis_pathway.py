"""The crisis pathway, where coercion lives.

crisis -> response (community support, voluntary or involuntary admission) -> coercive measures in hospital
-> re-traumatisation -> discharge -> possible readmission. Each function acts on whole arrays; event-level
random numbers are keyed by (stream, week, person) so scenarios share them (common random numbers).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri

from recoverysim import hospital, reforms
from recoverysim.batch import derived
from recoverysim.codes import COMMUNITY, DISCONTINUITY, INVOLUNTARY, RESPONSES, VOLUNTARY
from recoverysim.feedback_loops import retraumatisation_trauma_increment
from recoverysim.hospital import Admissions, Discharges, EarlyDischarges
from recoverysim.parameters import DAYS_PER_WEEK, WEEKS_PER_YEAR
from recoverysim.population import REAL, by_priority_in_run, of_people, of_runs
from recoverysim.random_streams import KeyedDraws

__all__ = ["RESPONSES", "CrisisDraws", "CrisisOutcome", "crisis_hazard", "crisis_probability_bound", "run_week"]


@dataclass(slots=True)
class CrisisOutcome:
    """What happened on the pathway in one week (indices are person indices)."""

    crises: np.ndarray
    response: np.ndarray  # Response code per crisis
    coerced: np.ndarray
    restraint: np.ndarray  # bool per coerced person: restraint (else seclusion)
    episode_hours: np.ndarray
    retraumatised: np.ndarray
    bed_shortage: np.ndarray  # per run: crises that needed a bed and found none free
    over_capacity: np.ndarray  # per run: how many of those were admitted anyway (over capacity or elsewhere)
    discharged_early: EarlyDischarges  # inpatients discharged early to make room for those crises
    unmet: np.ndarray  # people whose crisis needed a bed and was left to the community (at a cost to them)
    coerced_in_stay: np.ndarray  # per run: how many of ``coerced`` (the last ones) happened later in a stay
    admissions: Admissions


def crisis_hazard(pop, c, week: int, who: np.ndarray | None = None) -> np.ndarray:
    """Weekly crisis hazard of each person (or of ``who``) in the community (0 in hospital); ``c``: ``[crisis]``."""
    run = pop.run_of(who)
    stage = of_people(pop.stage, who)
    table = stage_crisis_hazards(c)
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


@derived
def stage_crisis_hazards(c) -> np.ndarray:
    """Weekly crisis hazard by run (rows) and stage (columns) before personal factors."""
    return (c.rate[:, None] / WEEKS_PER_YEAR * c.stage_factor[:, None] ** np.arange(4)).astype(REAL)


def crisis_probability_bound(pop, c) -> np.ndarray:
    """An upper bound of anyone's weekly crisis probability in each run, from the largest value of each factor.

    The small margin covers single-precision rounding, so anyone whose draw is above it has no crisis.
    """
    by_run = pop.by_run
    top = c.rate / WEEKS_PER_YEAR * np.maximum(1.0, c.stage_factor ** 3)
    top = top * (1 + c.trauma_effect * np.maximum(0.0, by_run(pop.trauma_load).max(axis=1, initial=0.0)))
    top = top * (1 + c.medication_effect * np.maximum(0.0, by_run(pop.medication_burden).max(axis=1, initial=0.0)))
    top = top * (1 + c.insecurity_effect * np.maximum(0.0, 1 - by_run(pop.life_security).min(axis=1, initial=1.0)))
    top = top * (1 + c.post_discharge_effect)
    return np.minimum(1.0, -np.expm1(-top) * (1 + 1e-4) + 1e-6)


@dataclass(slots=True)
class CrisisDraws(KeyedDraws):
    """Event-level draws of a crisis, drawn for every crisis of the week in one pass.

    Each number is keyed by (stream, week, person), so drawing it for people who turn out not to need it
    changes nothing else.
    """

    response: np.ndarray
    community_priority: np.ndarray
    bed_priority: np.ndarray
    early_discharge: np.ndarray
    over_capacity: np.ndarray
    admission_type: np.ndarray
    long_stay: np.ndarray
    coercion: np.ndarray
    coercion_kind: np.ndarray
    coercion_hours: np.ndarray
    retraumatisation: np.ndarray


def crises(pop, c, week: int, candidates: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Who has a crisis: the ``candidates`` whose weekly draw ``u`` is below their crisis probability.

    ``candidates`` are everyone whose draw of stream "crisis" is below ``crisis_probability_bound`` (the others
    cannot have one), so the crises are exactly those of comparing every draw with every hazard.
    """
    if not c.enabled:
        return np.zeros(0, np.int64)
    return candidates[u < -np.expm1(-crisis_hazard(pop, c, week, candidates))]


def respond(pop, params, state, crises: np.ndarray, draws: CrisisDraws, inpatients: np.ndarray):
    """Answer each crisis in the community or by admission, within each run's community and bed capacity.

    ``params`` are the batch's parameters, ``state`` the week's ``SystemState``, ``draws`` the crises' own,
    ``inpatients`` those in hospital after this week's discharges. A crisis that needs a bed and finds none
    gets one, with probability ``hospital.early_discharge_share``, by the early discharge of a short-stay
    inpatient of its run (``make_room``) while there is one; otherwise it is admitted anyway with probability
    ``hospital.over_capacity_share`` (over capacity, or to a bed elsewhere) while the run's inpatients stay
    within ``hospital.over_capacity_limit`` above its beds; otherwise it is left to the community with no place
    (``unmet``). Returns the response of each crisis, each run's crises that found no free bed and how many of
    those were admitted over capacity, the inpatients to discharge early, and the positions (in ``crises``) of
    the unmet ones.
    """
    c = params.crisis
    n = pop.run_size
    psg, adv = state.roots.psychosocial_gap, state.roots.advocacy_gap
    run = pop.run_of(crises)
    response = np.full(crises.size, VOLUNTARY, np.int8)
    # Reform community_network_care multiplies, for those it reaches, the odds that a crisis ends in admission.
    admit_odds_ratio = reforms.ratio_of(pop, state, "community_network_care", crises)
    wants_community = draws.response < wants_community_probability(
        np.broadcast_to(of_runs(c.community_preference * (1 - psg), run), crises.shape), admit_odds_ratio)
    # Community places go to those who want them, in random (keyed) order; the rest are admitted.
    places = (state.levers.community_support_capacity * n / 1000).astype(np.int64)
    candidates = wants_community.nonzero()[0]
    served = candidates[by_priority_in_run(run[candidates], draws.community_priority[candidates], places,
                                            pop.runs)]
    response[served] = COMMUNITY
    admit = (response != COMMUNITY).nonzero()[0]
    beds, occupied = hospital.beds(state.levers.bed_capacity, n), pop.count_by_run(pop.in_hospital)
    shortage = np.maximum(0, np.bincount(run[admit], minlength=pop.runs) - np.maximum(beds - occupied, 0))
    over_capacity = np.zeros(pop.runs, np.int64)
    unmet, early = np.zeros(0, np.int64), np.zeros(0, np.int64)
    if shortage.any():
        # Those last in (keyed) bed priority in each run, beyond its free beds, find no bed.
        no_bed = admit[by_priority_in_run(run[admit], draws.bed_priority[admit], shortage, pop.runs, highest=True)]
        early, got_room = make_room(pop, params.hospital, no_bed, run, draws, inpatients)
        if got_room.size:
            no_bed = no_bed[~np.isin(no_bed, got_room)]
        # Some are admitted anyway, while the run's beds are not over capacity by more than the limit.
        room = np.maximum(0, np.rint(beds * (1 + params.hospital.over_capacity_limit)).astype(np.int64)
                          - np.maximum(occupied, beds))
        willing = (draws.over_capacity[no_bed] < of_runs(params.hospital.over_capacity_share, run[no_bed])).nonzero()[0]
        anyway = willing[by_priority_in_run(run[no_bed[willing]], draws.bed_priority[no_bed[willing]], room, pop.runs)]
        over_capacity = np.bincount(run[no_bed[anyway]], minlength=pop.runs)
        unmet = np.sort(np.delete(no_bed, anyway))
        response[unmet] = COMMUNITY
        admit = (response != COMMUNITY).nonzero()[0]
    people = crises[admit]
    invol = draws.admission_type[admit] < involuntary_probability(
        pop, params, adv, people, run[admit], reforms.ratio_of(pop, state, "crisis_advocacy", people))
    response[admit[invol]] = INVOLUNTARY
    return response, shortage, over_capacity, early, unmet


def make_room(pop, h, no_bed: np.ndarray, run: np.ndarray, draws: CrisisDraws,
              inpatients: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bed pressure: early discharges that free a bed for some of the crises that found none.

    Each crisis of ``no_bed`` (positions in the week's crises, ``run`` their runs) asks for room with probability
    ``h.early_discharge_share``; in each run as many are given a bed as there are short-stay ``inpatients``, the
    first in keyed bed priority, and the inpatients who leave are the furthest on in recovery, the longest stay
    first among equals (long stays are kept: they stay for want of a place to go). Returns the inpatients to
    discharge and the positions of the crises given their beds.
    """
    asks = no_bed[draws.early_discharge[no_bed] < of_runs(h.early_discharge_share, run[no_bed])]
    if asks.size == 0:
        return np.zeros(0, np.int64), asks
    movable = inpatients[~pop.long_stay[inpatients]]
    movable_run = pop.run_of(movable)
    given = np.minimum(np.bincount(run[asks], minlength=pop.runs), np.bincount(movable_run, minlength=pop.runs))
    # Stage descending, then admission week ascending, in one integer key: |weeks| < 2^31, so stages 2^32
    # apart never mix.
    order_key = ((3 - pop.stage[movable].astype(np.int64)) << 32) + pop.admitted_week[movable]
    leaving = movable[by_priority_in_run(movable_run, order_key, given, pop.runs)]
    got_room = asks[by_priority_in_run(run[asks], draws.bed_priority[asks], given, pop.runs)]
    return np.sort(leaving), got_room


def odds_multiplied(p: np.ndarray, odds_ratio: np.ndarray) -> np.ndarray:
    """Chances ``p`` with their odds p / (1 - p) multiplied by ``odds_ratio`` (a certainty stays 1)."""
    return np.where(p < 1, p * odds_ratio / (1 - p + p * odds_ratio), 1.0)


def wants_community_probability(community: np.ndarray, admit_odds_ratio: np.ndarray) -> np.ndarray:
    """Chance of wanting a crisis answered in the community, with the odds of admission times the odds ratio.

    ``community`` is the chance without the reform; where the ratio is 1 it is returned unchanged (exactly).
    """
    return np.where(admit_odds_ratio == 1, community, 1 - odds_multiplied(1 - community, admit_odds_ratio))


def involuntary_probability(pop, params, advocacy_gap: np.ndarray, people: np.ndarray, run: np.ndarray,
                            relative_risk: np.ndarray | float = 1.0) -> np.ndarray:
    """Chance that the admission of each of ``people`` (of runs ``run``) is involuntary.

    The share with no advocacy gap plus the gap's effect; with loop R4 on, its odds multiply by
    exp(mistrust_involuntary_effect x service mistrust); then ``relative_risk`` (reform crisis_advocacy's, for
    those it reaches) multiplies the chance.
    """
    c = params.crisis
    p = np.broadcast_to(of_runs(np.minimum(1.0, c.involuntary_share + c.advocacy_involuntary_effect * advocacy_gap),
                                run), people.shape).astype(np.float64)
    wary = (pop.service_mistrust.take(people) > 0).nonzero()[0]
    wary = wary[np.broadcast_to(of_runs(params.loops.coercion_mistrust, run.take(wary)), wary.shape)]
    if wary.size:
        odds_ratio = np.exp(of_runs(c.mistrust_involuntary_effect, run.take(wary))
                            * pop.service_mistrust.take(people.take(wary)))
        p[wary] = odds_multiplied(p[wary], odds_ratio)
    return p * relative_risk


def setbacks(pop, c, crises: np.ndarray, response: np.ndarray, unmet: np.ndarray, week: int) -> None:
    """Involuntary admission throws back to discontinuity, other responses one stage.

    A crisis left to the community for want of a bed (``unmet``: positions in ``crises``) also throws back to
    discontinuity and adds ``crisis.unmet_crisis_trauma`` to the person's trauma load.
    """
    back = (response == INVOLUNTARY)
    back[unmet] = True
    pop.move_to_stage(crises, np.where(back, DISCONTINUITY, np.maximum(pop.stage[crises] - 1, 0)).astype(np.int8),
                      week)
    people = crises[unmet]
    pop.trauma_load[people] += of_runs(c.real.unmet_crisis_trauma, pop.run_of(people))


def coercion_risk(c, state, involuntary: np.ndarray, run: np.ndarray,
                  rate_ratio: np.ndarray | float = 1.0) -> np.ndarray:
    """The coercion lever scaled by trauma insensitivity, lower for voluntary patients (``run``: their runs).

    ``rate_ratio`` (reform trauma_informed_care's, for those it reaches) multiplies it.
    """
    ti = state.roots.trauma_insensitivity
    p = state.levers.coercion * (1 - c.trauma_insensitivity_coercion_effect * (1 - ti))
    return np.where(involuntary, of_runs(p, run), of_runs(p * c.voluntary_coercion_ratio, run)) * rate_ratio


def coerce(c, state, involuntary: np.ndarray, u_coercion: np.ndarray, run: np.ndarray,
           rate_ratio: np.ndarray | float = 1.0) -> np.ndarray:
    """Which admissions (flags per admitted person, of runs ``run``) start with a coercive measure."""
    return u_coercion < coercion_risk(c, state, involuntary, run, rate_ratio)


def coerce_inpatients(pop, c, state, staying: np.ndarray, u_coercion: np.ndarray) -> np.ndarray:
    """Positions (in ``staying``) of the inpatients coerced later in a stay, among those not under a measure.

    Those inpatients were all admitted in earlier weeks, since discharges come before this week's admissions.
    """
    if not (c.inpatient_coercion_rate > 0).any():
        return np.zeros(0, np.int64)
    free = (pop.coerced_until_week[staying] <= state.week).nonzero()[0]
    people = staying[free]
    run = pop.run_of(people)
    hazard = of_runs(c.inpatient_coercion_rate / WEEKS_PER_YEAR, run) * coercion_risk(
        c, state, pop.involuntary[people], run, reforms.ratio_of(pop, state, "trauma_informed_care", people))
    return free[u_coercion[free] < -np.expm1(-hazard)]


@derived
def retraumatisation_increment(params) -> np.ndarray:
    """Trauma load a re-traumatisation adds, by run (0 with loop R3 switched off)."""
    return retraumatisation_trauma_increment(params.crisis.trauma_load_increment,
                                             params.loops.coercion_trauma).astype(REAL)


def episodes(pop, c, increment: np.ndarray, week: int, coerced: np.ndarray, u_kind: np.ndarray,
             u_hours: np.ndarray, u_retraumatisation: np.ndarray):
    """Kind and length of each coercive episode, and who is re-traumatised by it (draws aligned with ``coerced``).

    ``c`` is the ``[crisis]`` section, ``increment`` the trauma load a re-traumatisation adds (by run).
    """
    run = pop.run_of(coerced)
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
    pop.trauma_load[retraumatised] += of_runs(increment, run[hit])
    return restraint, hours, retraumatised


def run_week(pop, params, state, crises: np.ndarray, draws: CrisisDraws, inpatients: Discharges) -> CrisisOutcome:
    """One week of the pathway after discharges: responses to ``crises``, admissions, coercion, re-traumatisation.

    ``params`` are the batch's parameters, ``state`` the week's ``SystemState``, ``draws`` the crises' keyed
    draws and ``inpatients`` what ``hospital.discharge`` returned this week.
    """
    week, c = state.week, params.crisis
    response, shortage, over_capacity, early, unmet = respond(pop, params, state, crises, draws, inpatients.staying)
    discharged_early = hospital.discharge_early(pop, week, early)
    admitted = (response != COMMUNITY).nonzero()[0]
    admissions = hospital.admit(pop, c, params.hospital, state.roots.psychosocial_gap, week, crises[admitted],
                                response[admitted] == INVOLUNTARY, draws.long_stay[admitted])
    setbacks(pop, c, crises, response, unmet, week)
    first = admitted[coerce(c, state, admissions.involuntary, draws.coercion[admitted],
                            pop.run_of(admissions.people),
                            reforms.ratio_of(pop, state, "trauma_informed_care", admissions.people))]
    staying, stay = inpatients.staying, inpatients.staying_draws
    if early.size:  # those discharged early are no longer in a stay this week
        kept = (~np.isin(staying, early)).nonzero()[0]
        staying, stay = staying[kept], stay.take(kept)
    later = coerce_inpatients(pop, c, state, staying, stay.inpatient_coercion)
    # Episodes at admission and later in stays, in one pass (the two groups are disjoint: admitted this week
    # or before); each keeps its own streams.
    coerced = np.concatenate([crises[first], staying[later]])
    restraint, hours, retraumatised = episodes(
        pop, c, retraumatisation_increment(params), week, coerced,
        np.concatenate([draws.coercion_kind[first], stay.inpatient_coercion_kind[later]]),
        np.concatenate([draws.coercion_hours[first], stay.inpatient_coercion_hours[later]]),
        np.concatenate([draws.retraumatisation[first], stay.inpatient_retraumatisation[later]]))
    # Every coercive experience (an involuntary admission, each seclusion or restraint) costs trust in services.
    add_mistrust(pop, c, admissions.people[admissions.involuntary])
    add_mistrust(pop, c, coerced)
    in_stay = np.bincount(pop.run_of(staying[later]), minlength=pop.runs)
    return CrisisOutcome(crises, response, coerced, restraint, hours, retraumatised, shortage, over_capacity,
                         discharged_early, crises[unmet], in_stay, admissions)


def add_mistrust(pop, c, people: np.ndarray) -> None:
    """Each of ``people`` (distinct indices) loses the share ``crisis.mistrust_increment`` of their remaining trust.

    Mistrust m stays in [0, 1]: m <- m + increment x (1 - m), so repeated coercion saturates rather than adds.
    """
    m = pop.service_mistrust[people]
    pop.service_mistrust[people] = m + of_runs(c.real.mistrust_increment, pop.run_of(people)) * (1 - m)
