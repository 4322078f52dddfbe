"""RecoveryModel: the Mesa model, and the one place that lists the order of everything in a step."""

from __future__ import annotations

import hashlib

import mesa
import numpy as np

from recoverysim import crisis_pathway, peer_workforce, recovery_stages
from recoverysim.agents import Person
from recoverysim.barriers import (
    BARRIER_NAMES,
    barrier_means,
    person_barriers,
    progress_gate,
    system_barriers,
    two_valued_barriers,
    two_valued_modifiers,
)
from recoverysim.crisis_pathway import COMMUNITY, INVOLUNTARY, VOLUNTARY
from recoverysim.feedback_loops import effective_peer_availability, effective_shame_pressure
from recoverysim.metrics import Ledger, Recorder
from recoverysim.parameters import LEVERS, ROOTS, STAGES, WEEKS_PER_YEAR
from recoverysim.population import REAL, Population, of_people
from recoverysim.random_streams import RandomStreams
from recoverysim.recovery_stages import REUNION
from recoverysim.reforms import effective_roots, reform_effects
from recoverysim.relationship_network import RelationshipNetwork, update_ties
from recoverysim.scenario import Scenario, default_scenario

#: Populations up to this size get one Person agent each (for AgentSet queries and Mesa visualisation).
MATERIALISE_LIMIT = 20_000
_BARRIER_COLUMNS = tuple(f"barrier_{b}" for b in BARRIER_NAMES)


class RecoveryModel(mesa.Model):
    """Personal recovery on relationship networks, blocked by system-level barriers.

    State lives in ``self.population`` (struct of arrays) and ``self.network`` (sparse ties); every rule
    acts on whole arrays. ``rng`` is the integer run seed: all random streams derive from it.
    ``record_barrier_means=False`` leaves the weekly barrier_* columns empty (NaN): no headline outcome uses them, and
    runs that need only headline outcomes (sensitivity analysis, calibration) save the pass over everyone.
    """

    def __init__(self, scenario: Scenario | None = None, rng: int | None = None, *,
                 materialise_agents: bool | None = None, record_draws: bool = False,
                 record_barrier_means: bool = True):
        scenario = scenario or default_scenario()
        seed = int(scenario.params.run.seed if rng is None else rng)
        super().__init__(rng=seed)
        self.config = scenario  # Mesa 3.5 reserves ``self.scenario``
        self.params = scenario.params
        self.seed = seed
        self.streams = RandomStreams(seed, record=record_draws)
        self.population = Population.create(self.params, self.streams)
        self.network = RelationshipNetwork.create(self.params, self.streams, self.population.schizophrenia)
        self.ledger = Ledger()
        self.week = 0
        self.weeks = self.params.run.years * WEEKS_PER_YEAR
        self.recorder = Recorder(self.weeks)
        self.initial_stage = self.population.stage.copy()
        self.yearly_stage = [self.initial_stage.copy()]
        self.week_events: dict[str, np.ndarray] = {}
        self._reunion_share_start = self._community_reunion_share()
        self._two_valued_modifiers = two_valued_modifiers(self.params, self.params.levers.social_exclusion)
        self._declared_roots = {r: getattr(self.params.roots, r) for r in ROOTS}
        self._declared_levers = {name: getattr(self.params.levers, name) for name in LEVERS}
        self._reform_levels: tuple[float, ...] | None = None  # reform levels of the cached effects below
        self._update_system()
        self.record_barrier_means = record_barrier_means
        self.barrier_means = self._barrier_means()
        if materialise_agents is None:
            materialise_agents = self.population.size <= MATERIALISE_LIMIT
        if materialise_agents:
            for i in range(self.population.size):
                Person(self, i)
        self._record({})
        self.running = True

    def step(self) -> None:
        """Advance one week. This is the order of everything that happens (docs/ODD.md, "Process overview").

        1. System state: reforms lower roots and add capacity; loops R1 (peer availability) and R2 (shame
           pressure) update; system barrier levels follow from the roots.
        2. Hospital discharges (crisis_pathway.discharge).
        3. Crises in the community, their response (community / voluntary / involuntary, within capacity),
           coercive measures at admission and later in stays, re-traumatisation (crisis_pathway.run_week).
        4. Barriers felt by each person and positive interactions in their network; stage progress and
           setbacks (recovery_stages).
        5. Peer workforce: leaving (turnover, burnout B1) and recruitment from reunion (peer_workforce).
        6. Network dynamics: new peer ties, community ties made and dropped (relationship_network).
        7. Slow variables: trauma load and medication burden recover (crisis_pathway).
        8. Record the week.
        """
        self.week += 1
        pop, streams = self.population, self.streams
        self._update_system()
        inpatients = crisis_pathway.discharge(self)
        outcome = crisis_pathway.run_week(self, inpatients)
        self.barrier_means = self._barrier_means()
        # Only people whose draw is below everyone's bound can move, so only their hazards are needed; the
        # moves are exactly those of comparing every draw with every hazard.
        movers, u = streams.uniform_below("progress", pop.size, recovery_stages.move_probability_bound(self.params))
        p_up, p_down = recovery_stages.transition_probabilities(*self.stage_hazards(movers))
        recovery_stages.progress(pop, p_up, p_down, u, self.week, movers)
        peer_workforce.update(self)
        if self.params.network.enabled:
            update_ties(self, self._two_valued["social_exclusion"], self.levers["peer_availability"])
        crisis_pathway.recover_slow_variables(self)
        if self.week % WEEKS_PER_YEAR == 0:
            self.yearly_stage.append(pop.stage.copy())
        response = outcome.response
        self.week_events = {
            "discharged": inpatients.leaving, "crises": outcome.crises, "response": response,
            "coerced": outcome.coerced, "restraint": outcome.restraint, "episode_hours": outcome.episode_hours,
            "retraumatised": outcome.retraumatised,
        }
        self._record({
            "crises": outcome.crises.size,
            "community_support": int(np.count_nonzero(response == COMMUNITY)),
            "admissions_voluntary": int(np.count_nonzero(response == VOLUNTARY)),
            "admissions_involuntary": int(np.count_nonzero(response == INVOLUNTARY)),
            "bed_shortage": outcome.bed_shortage,
            "coercive_episodes": outcome.coerced.size,
            "coercive_episodes_in_stay": outcome.coerced_in_stay,
            "restraint_episodes": int(outcome.restraint.sum()),
            "retraumatisations": outcome.retraumatised.size,
            "discharges": inpatients.leaving.size,
            "restraint_hours": float(outcome.episode_hours[outcome.restraint].sum()),
            "seclusion_hours": float(outcome.episode_hours[~outcome.restraint].sum()),
        })
        if self.week >= self.weeks:
            self.running = False

    def run(self) -> RecoveryModel:
        """Step to the end of the horizon."""
        while self.running:
            self.step()
        return self

    # --- helpers ------------------------------------------------------------------------------------

    def _community_reunion_share(self) -> float:
        pop = self.population
        return float(np.count_nonzero((pop.stage == REUNION) & ~pop.in_hospital)) / pop.size

    def _update_system(self) -> None:
        """Roots after reforms and loops, levers with added capacity, system barrier levels."""
        p = self.params
        # Reforms act through their levels only, which are constant before they start and after their ramps.
        levels = tuple(reform.level(self.week) for reform in self.config.reforms)
        if levels != self._reform_levels:
            self._reform_levels = levels
            self._effects = reform_effects(self.config.reforms, self.week)
            self._reformed_roots = effective_roots(self._declared_roots, self._effects)
        effects = self._effects
        roots = dict(self._reformed_roots)
        roots["shame_pressure"] = effective_shame_pressure(
            roots["shame_pressure"], self._community_reunion_share(), self._reunion_share_start,
            p.stigma.visibility_effect, p.loops.stigma_visibility)
        levers = dict(self._declared_levers)
        levers["community_support_capacity"] += effects.added_capacity.get("community_support_capacity", 0.0)
        levers["peer_availability"] = effective_peer_availability(
            p.levers.peer_availability, int(np.count_nonzero(self.population.peer_worker)), p.peer.caseload,
            self.population.size, effects.added_capacity.get("peer_availability", 0.0), p.loops.peer_role_models)
        self.roots, self.levers, self.reform_cost = roots, levers, effects.cost_per_year
        self.system_barriers = system_barriers(roots)
        self._two_valued = two_valued_barriers(self.system_barriers, self._two_valued_modifiers)

    def barriers_of(self, who: np.ndarray | None = None) -> np.ndarray:
        """Barrier levels felt now by everyone (or ``who``), shape (8, n): rows in ``BARRIER_NAMES`` order."""
        return person_barriers(self.system_barriers, self._two_valued, self.population, self.params,
                               self.levers["peer_availability"], self.network.degree("peer"), who)

    @property
    def barriers(self) -> np.ndarray:
        """Barrier levels felt now by everyone, shape (8, n)."""
        return self.barriers_of()

    def _barrier_means(self) -> np.ndarray:
        if not self.record_barrier_means:
            return np.full(len(BARRIER_NAMES), np.nan)
        return barrier_means(self.system_barriers, self._two_valued, self.population, self.params,
                             self.levers["peer_availability"], self.network.ties["peer"].degree_counts())

    def stage_hazards(self, who: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Current weekly (up, down) hazards of everyone (or ``who``), from the barriers felt now."""
        pop = self.population
        barriers = self.barriers_of(who)
        if self.params.network.enabled:
            support = -np.expm1(-recovery_stages.positive_interactions(
                pop, self.network, self.params, barriers, self.roots["shame_pressure"], who))
        else:
            support = np.ones(pop.size if who is None else who.size, REAL)
        stage = of_people(pop.stage, who)
        gate = progress_gate(barriers, stage, self.params.recovery.barrier_strength)
        return recovery_stages.stage_hazards(pop, self.params, support, gate, who)

    def _record(self, flows: dict[str, float]) -> None:
        pop = self.population
        values = dict(zip(STAGES, pop.stage_counts().tolist(), strict=True))
        values.update(
            in_hospital=int(np.count_nonzero(pop.in_hospital)),
            peer_workers=int(np.count_nonzero(pop.peer_worker)),
            peer_ties=self.network.ties["peer"].n_active,
            community_ties=self.network.ties["community"].n_active,
            peer_availability=self.levers["peer_availability"],
            shame_pressure=self.roots["shame_pressure"],
            mean_trauma_load=float(np.add.reduce(pop.trauma_load) / pop.size),  # as .mean(), without its wrapper
            reform_cost_per_year=self.reform_cost,
        )
        values.update(zip(_BARRIER_COLUMNS, self.barrier_means.tolist(), strict=True))
        values.update(flows)
        self.recorder.record(self.week, values)

    def yearly_transitions(self) -> np.ndarray:
        """Counts of stage at year y (rows) to stage at year y+1 (columns), shape (years, 4, 4)."""
        k = len(STAGES)
        snaps = self.yearly_stage
        return np.array([np.bincount(a.astype(np.int64) * k + b, minlength=k * k).reshape(k, k)
                         for a, b in zip(snaps[:-1], snaps[1:], strict=True)])


def state_digest(model: RecoveryModel, *, skip_recorded: tuple[str, ...] = ()) -> str:
    """SHA-256 of a run's state: every population array, each tie type's degrees and the weekly record.

    For checks that a change left a run bit-identical. ``skip_recorded`` leaves out recorded columns whose
    names start with one of these prefixes (e.g. ``("barrier_",)`` against a run that skipped the barrier
    means). Only attributes every version of the model has are read.
    """
    h = hashlib.sha256()
    for name, value in sorted(vars(model.population).items()):
        if isinstance(value, np.ndarray):
            h.update(name.encode())
            h.update(np.ascontiguousarray(value).tobytes())
    for tie_type, ties in sorted(model.network.ties.items()):
        h.update(tie_type.encode())
        h.update(np.ascontiguousarray(ties.degree).tobytes())
    kept = [i for column, i in model.recorder.index.items() if not column.startswith(skip_recorded)]
    h.update(np.ascontiguousarray(model.recorder.table[:, kept]).tobytes())
    return h.hexdigest()
