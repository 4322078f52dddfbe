"""The spin-up of a large population: most of it on a pilot of fewer people, then copies of them at full size.

A run starts from the stationary state of its status quo, reached by ``run.spin_up_years`` of simulation before
week 0 (docs/ODD.md, "Initialisation"). That costs three of the slowest process's time constants (service
turnover, about 10 years), whatever the population size. Above ``run.spin_up_pilot_size`` people, the first
``spin_up_years - spin_up_full_years`` years run on a pilot of ``spin_up_pilot_size`` people of the same
scenario; the full population is then made of copies of the pilot's people (person ``i`` of a run copies pilot
person ``i mod pilot size``: every stage, stay, load, attribute and tie), and the last ``spin_up_full_years``
run at full size, with each copy's own random numbers from then on, so that copies of one person part ways.

What is copied is a draw from the pilot's stationary state, so the full run starts as stationary as the pilot
(``tests/test_spin_up.py`` checks the levels against a full-size spin-up); what is lost is diversity: the
full population holds at most ``spin_up_pilot_size`` distinct histories at the copy, diluted by the years at
full size and by turnover. With the default of 100,000 people per run this matters only for runs larger than
that, whose chance variation is small anyway. Each copy keeps its own reach draws of the person reforms
(``Population.reach_*``), so a reform of coverage c still reaches a share c of the copies of every person.

Ties are copied with fresh loss thresholds: a tie's threshold is Exp(1) and its accumulated hazard is
forgotten, which by the memorylessness of the exponential law gives a surviving tie the same remaining
lifetime law. A peer tie joins the copies of its two people that belong to the same copy (``i // pilot size``).
The professional tie belongs to the place, not the person (``RelationshipNetwork.renew``), and is drawn anew.

A run can also start from another run's status quo (``StatusQuo``, ``model.status_quo``): an exact copy of that
run's state one week before week 0, from which the run goes on under its own parameters. A sensitivity
analysis of changes made now (``start = "status_quo"``, docs/sensitivity.md) spins up once per seed that way.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from recoverysim.batch import STRUCTURAL
from recoverysim.parameters import WEEKS_PER_YEAR
from recoverysim.population import NEVER, REAL, Population
from recoverysim.random_streams import RandomStreams, derive_seed
from recoverysim.reform_evidence import PERSON_REFORMS
from recoverysim.relationship_network import (
    RelationshipNetwork,
    TieMatrix,
    exp1_from_uniform,
    hazard_key,
    professional_ties,
)

#: Path component that turns a run's seed into its pilot's seed.
PILOT_STREAM = 7_951
#: Population fields that hold a week (shifted from the pilot's clock to the full run's); NEVER stays NEVER.
WEEK_FIELDS = ("stage_since", "admitted_week", "last_discharge_week", "coerced_until_week")
#: Population fields that are the person's own and never copied.
OWN_FIELDS = ("run", *(f"reach_{name}" for name in PERSON_REFORMS))


def pilot_applies(params) -> bool:
    """Whether a batch with these parameters (``batch.RunParameters``) spins up on a pilot first."""
    run = params.run
    return params.population.size > run.spin_up_pilot_size and run.spin_up_years > run.spin_up_full_years


def full_size_years(params) -> int:
    """Years of the spin-up stepped at full size: all of it, or the last ``spin_up_full_years`` after a pilot."""
    run = params.run
    return int(run.spin_up_full_years if pilot_applies(params) else run.spin_up_years)


def pilot_runs(configs: Sequence, seeds: Sequence[int]) -> list[tuple]:
    """The pilot of each run: its scenario at the pilot size, spun up for the years before the full-size ones."""
    out = []
    for config, seed in zip(configs, seeds, strict=True):
        run = config.params.run
        pilot = config.with_overrides({"population.size": int(run.spin_up_pilot_size),
                                       "run.spin_up_years": int(run.spin_up_years - run.spin_up_full_years)},
                                      source="spin-up pilot")
        out.append((pilot, derive_seed(seed, PILOT_STREAM)))
    return out


def copied_from(n: int, pilot_size: int) -> np.ndarray:
    """The pilot person that each of ``n`` people copies: ``i mod pilot_size``."""
    return np.arange(n) % pilot_size


def copy_population(pilot: Population, run: int, n: int, shift: int, streams: RandomStreams) -> Population:
    """Run ``run`` of ``pilot`` copied to ``n`` people, its weeks moved by ``shift``; reach draws drawn anew."""
    source = run * pilot.run_size + copied_from(n, pilot.run_size)
    arrays = {}
    for name, value in vars(pilot).items():
        if not isinstance(value, np.ndarray) or name in OWN_FIELDS:
            continue
        copy = value[source]
        if name in WEEK_FIELDS:
            copy = np.where(copy == NEVER, copy, copy + copy.dtype.type(shift))
        arrays[name] = copy
    reach = streams["population"].random((len(PERSON_REFORMS), n))
    arrays.update({f"reach_{name}": row.astype(REAL) for name, row in zip(PERSON_REFORMS, reach, strict=True)})
    return Population(size=n, run=np.zeros(n, np.intp), run_size=n, **arrays)


def copy_network(pilot: RelationshipNetwork, run: int, pilot_size: int, population: Population, params,
                 streams: RandomStreams) -> RelationshipNetwork:
    """Run ``run``'s live ties of the pilot network, copied to the people of ``population`` (one run)."""
    n = population.size
    rng = streams["spin_up_copy"]
    ties = {}
    for tie_type in ("family", "community"):
        tm = pilot.ties[tie_type]
        live = tm.active.view(np.bool_) & (tm.row // pilot_size == run)
        degree = np.bincount(tm.row[live] - run * pilot_size, minlength=pilot_size)
        rows = np.repeat(np.arange(n, dtype=np.int32), degree[copied_from(n, pilot_size)])
        cols = np.arange(rows.size, dtype=np.int32)
        if tie_type == "family":  # family ties last as long as the person stays
            ties[tie_type] = TieMatrix(n, rows.size, rows, cols)
        else:
            ties[tie_type] = TieMatrix(n, rows.size, rows, cols, exp1_from_uniform(rng.random(rows.size)),
                                       flags=hazard_key(0, population.schizophrenia[rows]))
    peer = pilot.ties["peer"]
    live = peer.active.view(np.bool_) & (peer.row // pilot_size == run)
    a, b = peer.row[live] - run * pilot_size, peer.col[live] - run * pilot_size
    copies = -(-n // pilot_size)
    rows = (a[None, :] + pilot_size * np.arange(copies)[:, None]).reshape(-1)
    cols = (b[None, :] + pilot_size * np.arange(copies)[:, None]).reshape(-1)
    inside = (rows < n) & (cols < n)
    rows, cols = rows[inside].astype(np.int32), cols[inside].astype(np.int32)
    ties["peer"] = TieMatrix(n, n, rows, cols, exp1_from_uniform(rng.random(rows.size)), symmetric=True)
    ties["professional"] = professional_ties(params, n, rng)
    return RelationshipNetwork(n, {t: ties[t] for t in ("family", "professional", "peer", "community")})


def copies_of_pilot(pilot, configs: Sequence, families: Sequence[RandomStreams]) -> tuple[list[Population],
                                                                                   list[RelationshipNetwork]]:
    """Each run of a spun-up ``pilot`` (a model of ``pilot_runs``) copied to its full size: populations, networks."""
    shift = -int(configs[0].params.run.spin_up_full_years) * WEEKS_PER_YEAR
    parts, networks = [], []
    for r, (config, streams) in enumerate(zip(configs, families, strict=True)):
        population = copy_population(pilot.population, r, config.params.population.size, shift, streams)
        parts.append(population)
        networks.append(copy_network(pilot.network, r, pilot.run_size, population, config.params, streams))
    return parts, networks


# --- runs that start from another scenario's status quo -----------------------------------------------------

#: Parameters that a run and the status quo it starts from must share (what the state's layout depends on).
STATUS_QUO_STRUCTURAL = tuple(name for name in STRUCTURAL if name != "run.years")


@dataclass(frozen=True)
class StatusQuo:
    """One run's spun-up state one week before week 0, for runs that start from it instead of their own spin-up.

    A run started from it (``RecoveryModel(runs=..., start=...)``) copies the people, ties and random streams,
    steps the last week of the spin-up (week -1) under its own parameters, and goes on from week 0: a change
    of parameters at the end of the status quo, as a policy that starts now. A run whose parameters are the
    status quo's is then the status quo's own run, bit for bit (``tests/test_spin_up.py``). Parameters that act
    only when people are created (initial shares, ties at creation) act on the people who enter after it.
    """

    scenario: Any
    seed: int
    week: int  # the clock of the state: -2, or -1 when there is no spin-up
    spin_up_weeks: int  # weeks stepped at full size (keys the draws: ``RecoveryModel.draw_week``)
    population: Population
    network: RelationshipNetwork
    streams: RandomStreams

    @classmethod
    def of(cls, model) -> StatusQuo:
        """The state of a one-run ``model`` now (deep copies: the model goes on unchanged)."""
        if model.runs != 1:
            raise ValueError("a status quo is taken from a model of one run")
        return cls(model.config, model.seed, model.week, model.spin_up_weeks, copy.deepcopy(model.population),
                   copy.deepcopy(model.network), copy.deepcopy(model.streams.families[0]))


def from_status_quo(starts: Sequence[StatusQuo], configs: Sequence, seeds: Sequence[int]):
    """Populations, networks and stream families of runs that each start from their status quo (copies)."""
    if len(starts) != len(configs):
        raise ValueError(f"{len(configs)} runs but {len(starts)} status quos to start them from")
    for start, config, seed in zip(starts, configs, seeds, strict=True):
        if start.seed != seed:
            raise ValueError(f"a run with seed {seed} cannot start from a status quo of seed {start.seed}: the "
                             "random streams are the status quo's")
        differ = [name for name in STATUS_QUO_STRUCTURAL if config[name] != start.scenario[name]]
        if differ:
            raise ValueError(f"scenario {config.name!r} cannot start from the status quo of "
                             f"{start.scenario.name!r}: they differ in {', '.join(differ)}")
    parts = [copy.deepcopy(s.population) for s in starts]
    networks = [copy.deepcopy(s.network) for s in starts]
    families = [copy.deepcopy(s.streams) for s in starts]
    return parts, networks, families
