"""Hand-made inputs for the per-module rule tests: a few people, chosen parameters, a chosen system state.

Nothing here computes an expected answer; the tests write their oracles out from docs/ODD.md themselves.
"""

from __future__ import annotations

import numpy as np

from recoverysim.batch import RunParameters
from recoverysim.parameters import BARRIERS, LEVERS, ROOTS, STAGES
from recoverysim.population import NEVER, Population
from recoverysim.reform_evidence import PERSON_REFORMS
from recoverysim.relationship_network import RelationshipNetwork, TieMatrix
from recoverysim.scenario import default_scenario
from recoverysim.system_state import Levers, Roots, SystemState

BARRIER_ROWS = tuple(BARRIERS)  # the row order of the (8, n) barrier matrices, as parameters.BARRIERS lists them


def params(*runs: dict, **common) -> RunParameters:
    """Parameters of one run per dict in ``runs`` (dotted overrides; ``common`` applies to every run)."""
    runs = runs or ({},)
    base = default_scenario()
    return RunParameters([base.with_overrides({**run, **common}) for run in runs])


def value(p: RunParameters, dotted: str, run: int = 0) -> float:
    """One run's value of a parameter in float64 (the oracle's precision)."""
    section, key = dotted.split(".", 1)
    return float(np.asarray(getattr(getattr(p, section), key))[run])


_DEFAULTS = {
    "stage": (np.int8, 0), "stage_since": (np.int32, 0), "female": (bool, False), "diagnosis": (np.int8, 2),
    "trauma_history": (bool, False), "life_security": (np.float32, 0.5), "medication_burden": (np.float32, 0.0),
    "medication_baseline": (np.float32, 0.0), "trauma_load": (np.float32, 0.0), "in_hospital": (bool, False),
    "admitted_week": (np.int32, 0), "involuntary": (bool, False), "long_stay": (bool, False),
    "prevalent_stay": (bool, False), "last_discharge_week": (np.int32, NEVER),
    "coerced_until_week": (np.float32, 0.0), "peer_worker": (bool, False), "age": (np.float32, 40.0),
    "generation": (np.int32, 0), "service_mistrust": (np.float32, 0.0),
    **{f"reach_{name}": (np.float32, 0.5) for name in PERSON_REFORMS},
}


def population(n: int, runs: int = 1, **arrays) -> Population:
    """``runs`` runs of ``n`` people each (run r: persons r*n .. (r+1)*n - 1) with the given attribute values.

    Unlisted attributes take plain values (discontinuity, no trauma, security 0.5, no medication, community,
    never discharged). ``schizophrenia`` may be given directly; otherwise it follows ``diagnosis`` (0).
    """
    size = n * runs
    values = {}
    for name, (dtype, default) in _DEFAULTS.items():
        values[name] = np.array(arrays.pop(name, np.full(size, default)), dtype=dtype)
        assert values[name].shape == (size,), name
    schizophrenia = np.array(arrays.pop("schizophrenia", values["diagnosis"] == 0), dtype=bool)
    if "schizophrenia" not in arrays and schizophrenia.any():
        values["diagnosis"] = np.where(schizophrenia, 0, values["diagnosis"]).astype(np.int8)
    reached = np.array(arrays.pop("reached_week", np.where(
        np.arange(len(STAGES))[None, :] <= values["stage"][:, None], 0, -1)), dtype=np.int32)
    assert not arrays, f"unknown attributes {sorted(arrays)}"
    return Population(size=size, reached_week=reached, schizophrenia=schizophrenia,
                      run=np.repeat(np.arange(runs, dtype=np.intp), n), run_size=n, **values)


def network(size: int, run_size: int | None = None, *, family=None, professional=None, community=None,
            community_flags=None, peer_pairs=()) -> RelationshipNetwork:
    """A network with the given ties per person (family, professional, community) and peer pairs (i, j).

    Family and community ties each get their own alter; professional ties share alter 0 of the person's run.
    Thresholds are infinite (no tie is lost unless a test adds ties with finite thresholds).
    """
    run_size = run_size or size

    def ties(counts, flags=None):
        counts = np.zeros(size, int) if counts is None else np.asarray(counts)
        rows = np.repeat(np.arange(size, dtype=np.int32), counts)
        keys = None if flags is None else np.repeat(np.asarray(flags, np.intp), counts)
        return TieMatrix(size, max(rows.size, 1), rows, np.arange(rows.size, dtype=np.int32), flags=keys,
                         run_size=run_size)

    pairs = np.array(peer_pairs, np.int32).reshape(-1, 2)
    peer = TieMatrix(size, size, pairs[:, 0], pairs[:, 1], symmetric=True, run_size=run_size)
    return RelationshipNetwork(size, {"family": ties(family), "professional": ties(professional), "peer": peer,
                                      "community": ties(community, community_flags)})


def state(runs: int = 1, week: int = 5, *, roots=None, levers=None, barriers=None, two_valued=None,
          reform_reach=None, reform_ratio=None) -> SystemState:
    """A system state of ``runs`` runs: roots and levers by name (one value, or one per run), barrier levels.

    Unlisted roots are 0.5, unlisted levers 0.1; barriers default to 0.3 everywhere and the two-valued
    (without, with) levels to (0.2, 0.4). ``reform_reach`` and ``reform_ratio`` give each person reform's share
    reached and effect by name (one value, or one per run); unlisted: nobody reached, no effect.
    """
    def per_run(x):
        return np.broadcast_to(np.asarray(x, float), (runs,)).copy()

    roots = {name: per_run((roots or {}).get(name, 0.5)) for name in ROOTS}
    levers = {name: per_run((levers or {}).get(name, 0.1)) for name in LEVERS}
    system = np.full((runs, len(BARRIER_ROWS)), 0.3) if barriers is None else np.asarray(barriers, float)
    if two_valued is None:
        two_valued = {name: np.tile(np.array([0.2, 0.4], np.float32), (runs, 1))
                      for name in ("choice_unavailable", "authority_slope", "devalued_life", "social_exclusion")}
    reach = np.array([per_run((reform_reach or {}).get(name, 0.0)) for name in PERSON_REFORMS]).T
    ratio = np.array([per_run((reform_ratio or {}).get(name, 1.0)) for name in PERSON_REFORMS]).T
    return SystemState(week, Roots(**roots), Levers(**levers), system, two_valued,
                       np.zeros(runs), reach, ratio)
