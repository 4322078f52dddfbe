"""The hospital: admission (what a stay does to a person) and discharge (hazard lowered by the psychosocial gap).

Part of the crisis pathway (crisis_pathway.py decides who is admitted); the model records the events these
rules return in the ledger of stays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recoverysim.parameters import DAYS_PER_WEEK
from recoverysim.population import REAL, of_runs
from recoverysim.random_streams import KeyedDraws


@dataclass(slots=True)
class InpatientDraws(KeyedDraws):
    """Keyed draws of each inpatient's week: discharge, then coercion later in the stay and that episode's draws.

    All are drawn for every inpatient in one pass; the episode draws of the few who are coerced are picked out
    later, and being keyed they are the numbers a separate draw would give.
    """

    discharge: np.ndarray
    inpatient_coercion: np.ndarray
    inpatient_coercion_kind: np.ndarray
    inpatient_coercion_hours: np.ndarray
    inpatient_retraumatisation: np.ndarray


@dataclass(slots=True)
class EndedStays:
    """Stays that ended this week: who left, and the admission week and prevalent-stay flag of each stay."""

    leaving: np.ndarray
    admitted_week: np.ndarray
    prevalent: np.ndarray  # the stay began before the run


@dataclass(slots=True)
class Discharges(EndedStays):
    """This week's discharges by the discharge hazard, and the inpatients who stay, with their draws."""

    staying: np.ndarray
    staying_draws: InpatientDraws


@dataclass(slots=True)
class EarlyDischarges(EndedStays):
    """Inpatients discharged early this week to make room for a crisis that found every bed taken."""


@dataclass(slots=True)
class Admissions:
    """This week's admissions and whether each is involuntary."""

    people: np.ndarray
    involuntary: np.ndarray


def discharge(pop, h, psychosocial_gap: np.ndarray, week: int, inpatients: np.ndarray,
              draws: InpatientDraws) -> Discharges:
    """Discharge ``inpatients`` (everyone in hospital) by their weekly hazard; ``h``: the ``[hospital]`` section.

    ``psychosocial_gap`` is the effective root (one value per run); ``draws`` are the inpatients' own.
    """
    run = pop.run_of(inpatients)
    mean_days = np.where(pop.long_stay[inpatients], of_runs(h.long_stay_mean_days, run),
                         of_runs(h.short_stay_mean_days, run))
    psychosocial = np.exp(-h.psychosocial_discharge_effect * psychosocial_gap)
    hazard = (DAYS_PER_WEEK / mean_days
              * of_runs(psychosocial, run)
              * (1 + of_runs(h.stage_discharge_effect, run) * pop.stage[inpatients]))
    left = draws.discharge < -np.expm1(-hazard)
    leaving = inpatients[left]
    return Discharges(leaving, *end_stays(pop, leaving, week), inpatients[~left], draws.take((~left).nonzero()[0]))


def discharge_early(pop, week: int, leaving: np.ndarray) -> EarlyDischarges:
    """Discharge ``leaving`` now to free their beds (bed pressure; crisis_pathway.respond chooses them)."""
    return EarlyDischarges(leaving, *end_stays(pop, leaving, week))


def end_stays(pop, leaving: np.ndarray, week: int) -> tuple[np.ndarray, np.ndarray]:
    """End the stays of ``leaving`` in ``week``; their admission weeks and prevalent-stay flags, as they were."""
    pop.in_hospital[leaving] = False
    pop.last_discharge_week[leaving] = week
    admitted, prevalent = pop.admitted_week[leaving], pop.prevalent_stay[leaving]
    pop.prevalent_stay[leaving] = False
    return admitted, prevalent


def beds(bed_capacity: np.ndarray, run_size: int) -> np.ndarray:
    """Beds of each run: ``levers.bed_capacity`` per 1,000 service users, rounded to whole beds."""
    return np.rint(np.asarray(bed_capacity) * run_size / 1000).astype(np.int64)


def admit(pop, c, h, psychosocial_gap: np.ndarray, week: int, people: np.ndarray, involuntary: np.ndarray,
          u_long_stay: np.ndarray) -> Admissions:
    """Admit ``people``: a stay begins, with more medication and less life security; peer work ends.

    The long-stay tail is likelier with the psychosocial gap. ``c``, ``h``: the ``[crisis]`` and ``[hospital]``
    sections.
    """
    psg = psychosocial_gap
    run = pop.run_of(people)
    pop.in_hospital[people] = True
    pop.admitted_week[people] = week
    pop.involuntary[people] = involuntary
    pop.long_stay[people] = u_long_stay < of_runs(h.long_stay_share * psg, run)
    added = (c.medication_increase * (1 + c.psychosocial_medication_effect * psg)).astype(REAL)
    pop.medication_burden[people] = np.minimum(1.0, pop.medication_burden[people] + of_runs(added, run))
    pop.life_security[people] *= of_runs((1 - c.admission_security_loss).astype(REAL), run)
    pop.peer_worker[people] = False
    return Admissions(people, involuntary)
