"""The system state of one week: roots, levers and barrier levels after reforms and loops, one value per run.

``SystemUpdate`` computes it at the start of each week (step 1 of ``RecoveryModel.step``); every rule then reads
the same ``SystemState``, so no rule can confuse a declared root or lever with its effective value.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from recoverysim.barriers import system_barriers, two_valued_barriers, two_valued_modifiers
from recoverysim.codes import REUNION
from recoverysim.feedback_loops import effective_peer_availability, effective_shame_pressure
from recoverysim.parameters import LEVERS, ROOTS
from recoverysim.reform_evidence import PERSON_REFORMS
from recoverysim.reforms import effective_roots, reform_effects


class _ByName:
    """Named values of one kind, each one value per run."""

    __slots__ = ()

    def as_dict(self) -> dict[str, np.ndarray]:
        """Name to its values, in declaration order (checked below to be the registry's order)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(slots=True)
class Roots(_ByName):
    """The six roots of barriers (paper, Theme 2), each one value per run."""

    trauma_insensitivity: np.ndarray
    advocacy_gap: np.ndarray
    psychosocial_gap: np.ndarray
    rules_over_values: np.ndarray
    shame_pressure: np.ndarray
    thin_networks: np.ndarray


@dataclass(slots=True)
class Levers(_ByName):
    """The operational levers, each one value per run."""

    coercion: np.ndarray
    peer_availability: np.ndarray
    social_exclusion: np.ndarray
    bed_capacity: np.ndarray
    community_support_capacity: np.ndarray
    professionals_per_1000: np.ndarray


if tuple(f.name for f in fields(Roots)) != tuple(ROOTS) or tuple(f.name for f in fields(Levers)) != LEVERS:
    raise ImportError("system_state.Roots and Levers must list parameters.ROOTS and LEVERS in order")


@dataclass(slots=True)
class SystemState:
    """What every rule reads about the system in one week (all values after reforms and loops)."""

    week: int
    roots: Roots
    levers: Levers
    barriers: np.ndarray  # system level of each barrier, shape (runs, 8), rows of barriers.BARRIER_NAMES
    two_valued: dict[str, np.ndarray]  # barriers raised by a hospital stay or a diagnosis: (runs, [without, with])
    added_peer_posts: np.ndarray  # peer-worker posts per 1,000 users that reforms add, by run
    reform_reach: np.ndarray  # (runs, person reforms): share reached this week (reforms.reached)
    reform_ratio: np.ndarray  # (runs, person reforms): effect on those reached (1: none)


class SystemUpdate:
    """Computes each week's ``SystemState`` of a batch of runs, keeping what only the parameters fix."""

    def __init__(self, configs, params, population):
        self.configs, self.params = configs, params
        self._declared_roots = {r: getattr(params.roots, r) for r in ROOTS}
        self._declared_levers = {name: getattr(params.levers, name) for name in LEVERS}
        self._modifiers = two_valued_modifiers(params.barriers, params.levers.social_exclusion)
        # Loop R2 compares the reunion share with its value at week 0, the status quo reached by the spin-up;
        # during the spin-up the reference follows the share (the loop is neutral), so the stationary state does
        # not depend on the arbitrary initial shares. RecoveryModel fixes it at week 0 (observe_from).
        self.observe_from(population)
        self._reform_levels: tuple[float, ...] | None = None  # reform levels of the cached effects

    def __call__(self, week: int, population) -> SystemState:
        """Roots after reforms and loop R2, levers with added capacity and loop R1, system barrier levels."""
        p = self.params
        # Reforms act through their levels only, which are constant before they start and after their ramps.
        levels = tuple(reform.level(week) for config in self.configs for reform in config.reforms)
        if levels != self._reform_levels:
            self._reform_levels = levels
            (self._reformed_roots, self._added_capacity, self._reform_reach,
             self._reform_ratio) = _reform_state(self.configs, self._declared_roots, week)
        roots = dict(self._reformed_roots)
        reunion_share = community_reunion_share(population)
        if week < 0:
            self._reunion_share_start = reunion_share
        roots["shame_pressure"] = effective_shame_pressure(
            roots["shame_pressure"], reunion_share, self._reunion_share_start,
            p.stigma.visibility_effect, p.loops.stigma_visibility)
        levers = dict(self._declared_levers)
        levers["community_support_capacity"] = (levers["community_support_capacity"]
                                                + self._added_capacity["community_support_capacity"])
        levers["peer_availability"] = effective_peer_availability(
            p.levers.peer_availability, population.count_by_run(population.peer_worker), p.peer.caseload,
            population.run_size, self._added_capacity["peer_availability"], p.loops.peer_role_models)
        barriers = system_barriers(roots)
        return SystemState(week, Roots(**roots), Levers(**levers), barriers,
                           two_valued_barriers(barriers, self._modifiers),
                           self._added_capacity["peer_availability"], self._reform_reach, self._reform_ratio)

    def observe_from(self, population) -> None:
        """Week 0: loop R2's reference becomes the reunion share in the community now."""
        self._reunion_share_start = community_reunion_share(population)


def community_reunion_share(pop) -> np.ndarray:
    """Share of each run's people in reunion and in the community (the visibility of loop R2)."""
    return pop.count_by_run((pop.stage == REUNION) & ~pop.in_hospital) / pop.run_size


def _reform_state(configs, declared_roots: dict[str, np.ndarray], week: int):
    """Each run's roots after reforms, added capacity, and person reforms' reach and effect."""
    effects = [reform_effects(config.reforms, week) for config in configs]
    reformed = [effective_roots({name: float(declared_roots[name][r]) for name in ROOTS}, e)
                for r, e in enumerate(effects)]
    roots = {name: np.array([run[name] for run in reformed]) for name in ROOTS}
    added = {target: np.array([e.added_capacity.get(target, 0.0) for e in effects])
             for target in ("community_support_capacity", "peer_availability")}
    reach = np.array([[e.reach[name] for name in PERSON_REFORMS] for e in effects])
    ratio = np.array([[e.ratio[name] for name in PERSON_REFORMS] for e in effects])
    return roots, added, reach, ratio
