"""Service turnover: people age, die and leave services; new service users take the places they free.

The population of a run is a fixed number of places (the service users of the system modelled). Each week
everyone ages a week; a person dies with hazard ``excess_mortality x (c + a exp(b age))`` (Gompertz-Makeham
mortality of the general population, raised for people with mental disorders), and a person in the community leaves
services with ``leaving_rate`` (``recovered_leaving_rate`` in reunion). Inpatients do not leave services,
but they can die, which ends their stay. Every place freed is taken in the same week by a new service user in
discontinuity with attributes drawn from the ``[population]`` section (``population.new_attributes``), so the
number of service users is constant and the yearly inflow equals the outflow (a stationary population: the
entry flow is an output, checked against the observed incidence, not an input).

Places are recycled rather than arrays grown and shrunk: a batch keeps each run's people contiguous, and a
place's ``generation`` counts its occupants since week 0, which makes every person's identity unique
(``identity``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import poisson

from recoverysim.codes import DISCONTINUITY, REUNION, Diagnosis
from recoverysim.parameters import WEEKS_PER_YEAR
from recoverysim.population import ATTRIBUTE_DRAWS, NEVER, REAL, new_attributes, of_runs
from recoverysim.random_streams import KeyedDraws

#: Oldest age at which the exit bound is computed; mortality there is far above any weekly bound anyway.
_OLDEST = 110.0


@dataclass(slots=True)
class ExitDraws(KeyedDraws):
    """Keyed draw of each candidate for exit: below the death share of their exit chance means death."""

    exit_kind: np.ndarray


@dataclass(slots=True)
class EntryDraws(KeyedDraws):
    """Keyed draws of a new service user's attributes (``population.ATTRIBUTE_DRAWS``) and first ties."""

    entry_diagnosis: np.ndarray
    entry_female: np.ndarray
    entry_trauma_history: np.ndarray
    entry_life_security: np.ndarray
    entry_medication_burden: np.ndarray
    entry_age: np.ndarray
    entry_reach_trauma_informed_care: np.ndarray
    entry_reach_crisis_advocacy: np.ndarray
    entry_reach_community_network_care: np.ndarray
    entry_family_ties: np.ndarray
    entry_community_ties: np.ndarray

    def attributes(self) -> np.ndarray:
        """The uniforms of ``population.new_attributes``, rows in ``ATTRIBUTE_DRAWS`` order."""
        return np.array([getattr(self, f"entry_{name}") for name in ATTRIBUTE_DRAWS])


@dataclass(slots=True)
class TurnoverEvents:
    """Who died and who left services this week, and who of the dead were inpatients (their stays end there).

    ``died`` and ``left`` are places (person indices); the new service users took exactly these places.
    ``identity``, ``admitted_week`` and ``prevalent`` describe the inpatients who died, before their places
    were taken.
    """

    died: np.ndarray
    left: np.ndarray
    died_in_hospital: np.ndarray
    identity: np.ndarray
    admitted_week: np.ndarray
    prevalent: np.ndarray

    @property
    def entered(self) -> np.ndarray:
        """The places taken by new service users."""
        return np.concatenate([self.died, self.left])


def identity(pop, who: np.ndarray) -> np.ndarray:
    """Identity of the present occupant of each place ``who`` within its run: generation x run size + place."""
    return pop.generation.take(who).astype(np.int64) * pop.run_size + who % pop.run_size


def exit_hazards(pop, t, who: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weekly hazards (death, leaving services) of ``who``; ``t`` is the ``[turnover]`` section."""
    run = pop.run_of(who)
    death = of_runs(t.excess_mortality / WEEKS_PER_YEAR, run) * (
        of_runs(t.mortality_makeham_c, run)
        + of_runs(t.mortality_gompertz_a, run) * np.exp(of_runs(t.mortality_gompertz_b, run) * pop.age.take(who)))
    reunion = pop.stage.take(who) == REUNION
    leaving = np.where(reunion, of_runs(t.recovered_leaving_rate, run), of_runs(t.leaving_rate, run)) / WEEKS_PER_YEAR
    leaving = np.where(pop.in_hospital.take(who), 0.0, leaving)
    return death, leaving


def exit_probability_bound(pop, t) -> np.ndarray:
    """An upper bound of anyone's weekly exit probability in each run, from the oldest person of the run."""
    oldest = np.minimum(pop.by_run(pop.age).max(axis=1), _OLDEST)
    mortality = t.mortality_makeham_c + t.mortality_gompertz_a * np.exp(t.mortality_gompertz_b * oldest)
    top = (t.excess_mortality * mortality + np.maximum(t.leaving_rate, t.recovered_leaving_rate)) / WEEKS_PER_YEAR
    return np.minimum(1.0, -np.expm1(-top) * (1 + 1e-4) + 1e-6)


def exits(pop, t, candidates: np.ndarray, u: np.ndarray, u_kind: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Who of ``candidates`` (draws ``u`` below the exit bound) dies and who leaves services this week.

    Death and leaving compete: the chance of either is 1 - exp(-(h_death + h_leaving)), and the exit is a death
    with share h_death / (h_death + h_leaving), decided by the keyed draw ``u_kind``.
    """
    death, leaving = exit_hazards(pop, t, candidates)
    total = death + leaving
    out = u < -np.expm1(-total)
    died = out & (u_kind < death / np.where(total > 0, total, 1.0))
    return candidates[died], candidates[out & ~died]


def departures(pop, died: np.ndarray, left: np.ndarray) -> TurnoverEvents:
    """The week's exits as events, with the stays that deaths in hospital end (read before places are taken)."""
    in_hospital = died[pop.in_hospital.take(died)]
    return TurnoverEvents(died, left, in_hospital, identity(pop, in_hospital), pop.admitted_week.take(in_hospital),
                          pop.prevalent_stay.take(in_hospital))


def enter(pop, pp, places: np.ndarray, draws: EntryDraws, week: int) -> None:
    """New service users take ``places``: discontinuity, in the community, attributes of ``pp`` (``[population]``).

    Nothing of the previous occupant carries over; the place's generation goes up by one.
    """
    a = new_attributes(pp, draws.attributes(), pop.run_of(places))
    pop.stage[places] = DISCONTINUITY
    pop.stage_since[places] = week
    pop.reached_week[places] = -1
    pop.reached_week[places, DISCONTINUITY] = week
    for name, values in a.items():
        getattr(pop, name)[places] = values
    pop.schizophrenia[places] = a["diagnosis"] == Diagnosis.SCHIZOPHRENIA
    pop.medication_baseline[places] = a["medication_burden"]
    pop.trauma_load[places] = a["trauma_history"].astype(REAL)
    pop.in_hospital[places] = False
    pop.involuntary[places] = False
    pop.long_stay[places] = False
    pop.prevalent_stay[places] = False
    pop.last_discharge_week[places] = NEVER
    pop.coerced_until_week[places] = NEVER
    pop.peer_worker[places] = False
    pop.service_mistrust[places] = 0.0
    pop.generation[places] += 1


#: Terms of the sequential Poisson search before the scipy fallback (means of ties are a few).
_POISSON_STEPS = 60


def first_ties(means: tuple[np.ndarray, np.ndarray], run: np.ndarray, draws: EntryDraws) -> tuple[np.ndarray,
                                                                                                  np.ndarray]:
    """Family and community ties of new service users: Poisson with each run's means, by inverse distribution."""
    family, community = (_poisson_quantile(of_runs(m, run), u)
                         for m, u in zip(means, (draws.entry_family_ties, draws.entry_community_ties), strict=True))
    return family, community


def _poisson_quantile(mean: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Smallest k with P(K <= k) >= u for K ~ Poisson(mean) (the inverse distribution function).

    Sequential search on the cumulative probabilities (a few people enter each week, so scipy's per-call
    overhead dominated); the rare u beyond the search's reach falls back to scipy.
    """
    u = np.maximum(u, 1e-12)
    mean = np.broadcast_to(np.asarray(mean, float), u.shape)
    k = np.zeros(u.shape, np.int64)
    pmf = np.exp(-mean)
    cdf = pmf.copy()
    for step in range(1, _POISSON_STEPS + 1):
        below = cdf < u
        if not below.any():
            return k
        k += below
        pmf = pmf * mean / step
        cdf = cdf + pmf
    far = cdf < u
    k[far] = poisson.ppf(u[far], mean[far]).astype(np.int64)
    return k
