"""Where reforms act: each reaches a share of people (coverage x ramp) and changes one proximal quantity.

Three reforms act on the people they reach, on the crisis pathway (reform_evidence.PERSON_REFORMS):
trauma-informed care multiplies the chance of seclusion or restraint, crisis advocacy the chance that an
admission is involuntary, community- and network-based care the odds that a crisis ends in admission. A person
is reached when their own reach draw (``Population.reach_<reform>``, fixed for the person) is below the
reform's coverage x ramp level, so the same people are reached in every scenario. The social-cultural reforms
act on the system: they remove a share of their root of barriers (paper, Theme 3). Each reform's effect size
and its evidence are in reform_evidence.py; recovery, bed-days and readmissions follow from the mechanisms.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from recoverysim.parameters import REFORMS, ROOTS
from recoverysim.population import of_runs
from recoverysim.reform_evidence import PERSON_REFORMS, PROXIMAL_EFFECTS
from recoverysim.scenario import Reform

if set(PROXIMAL_EFFECTS) != set(REFORMS):
    raise ImportError("reform_evidence.PROXIMAL_EFFECTS must describe exactly the reforms of parameters.REFORMS")


@dataclass(frozen=True)
class ReformEffects:
    """Combined effect of a run's reforms in one week."""

    root_reduction: dict[str, float]  # share of each root removed (0-1)
    reach: dict[str, float]  # person reforms: share of people reached this week (coverage x level)
    ratio: dict[str, float]  # person reforms: the effect on those reached (1: none)
    added_capacity: dict[str, float]  # extra lever capacity by lever name


def reform_effects(reforms: Iterable[Reform], week: int) -> ReformEffects:
    """Effects at ``week``; two root reforms on one root combine multiplicatively (1 - prod(1 - r_i))."""
    remaining = dict.fromkeys(ROOTS, 1.0)
    reach, ratio = dict.fromkeys(PERSON_REFORMS, 0.0), dict.fromkeys(PERSON_REFORMS, 1.0)
    capacity: dict[str, float] = {}
    seen: set[str] = set()
    for reform in reforms:
        if reform.name in seen:
            raise ValueError(f"reform {reform.name!r} given twice; give each reform once")
        seen.add(reform.name)
        level = reform.level(week)
        if level <= 0:
            continue
        if PROXIMAL_EFFECTS[reform.name].kind == "root":
            remaining[reform.root] *= 1 - reform.coverage * level * reform.effect
        else:
            reach[reform.name], ratio[reform.name] = reform.coverage * level, reform.effect
        target = REFORMS[reform.name].capacity_target
        if target and reform.capacity:
            capacity[target] = capacity.get(target, 0.0) + reform.capacity * level
    return ReformEffects({r: 1 - v for r, v in remaining.items()}, reach, ratio, capacity)


def effective_roots(declared: dict[str, float], effects: ReformEffects) -> dict[str, float]:
    """Root levels after reforms."""
    return {r: declared[r] * (1 - effects.root_reduction[r]) for r in ROOTS}


def reached(pop, state, reform: str, people: np.ndarray) -> np.ndarray:
    """Which of ``people`` the person reform ``reform`` reaches this week (``state``: the week's SystemState)."""
    k = PERSON_REFORMS.index(reform)
    share = state.reform_reach[:, k]
    if not (share > 0).any():
        return np.zeros(people.shape, bool)
    return getattr(pop, f"reach_{reform}").take(people) < of_runs(share, pop.run_of(people))


def ratio_of(pop, state, reform: str, people: np.ndarray) -> np.ndarray:
    """The person reform's ratio for each of ``people``: its effect if reached, else 1."""
    hit = reached(pop, state, reform, people)
    if not hit.any():
        return np.ones(people.shape)
    effect = of_runs(state.reform_ratio[:, PERSON_REFORMS.index(reform)], pop.run_of(people))
    return np.where(hit, effect, 1.0)
