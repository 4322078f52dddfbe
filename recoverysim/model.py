"""RecoveryModel: the Mesa model, and the one place that lists the order of everything in a step."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

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
from recoverysim.batch import RunParameters
from recoverysim.crisis_pathway import COMMUNITY, INVOLUNTARY, VOLUNTARY
from recoverysim.feedback_loops import effective_peer_availability, effective_shame_pressure
from recoverysim.metrics import Ledger, Recorder, headline
from recoverysim.parameters import LEVERS, ROOTS, STAGES, WEEKS_PER_YEAR
from recoverysim.population import REAL, Population, of_people, of_runs
from recoverysim.random_streams import BatchStreams, RandomStreams
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

    ``runs`` steps several runs together instead, each a (scenario, seed) pair; they must agree on
    ``batch.STRUCTURAL`` (population size, years, which rules are on). Run r's people are persons r*n .. (r+1)*n-1,
    per-run quantities (``roots``, ``levers``, ``system_barriers``, ``params``) hold one value per run, and each
    run is bit-identical to the same run stepped alone. One run is a batch of one.
    """

    def __init__(self, scenario: Scenario | None = None, rng: int | None = None, *,
                 runs: Sequence[tuple[Scenario, int]] | None = None,
                 materialise_agents: bool | None = None, record_draws: bool = False,
                 record_barrier_means: bool = True):
        if runs is None:
            scenario = scenario or default_scenario()
            runs = [(scenario, int(scenario.params.run.seed if rng is None else rng))]
        elif scenario is not None or rng is not None:
            raise ValueError("give either scenario and rng, or runs")
        configs, seeds = [sc for sc, _ in runs], [int(seed) for _, seed in runs]
        super().__init__(rng=seeds[0])
        self.config = configs[0]  # Mesa 3.5 reserves ``self.scenario``
        self.configs, self.seeds, self.seed = configs, seeds, seeds[0]
        self.params = RunParameters(configs)
        self.runs = len(configs)
        families = [RandomStreams(seed, record=record_draws) for seed in seeds]
        parts = [Population.create(sc.params, f) for sc, f in zip(configs, families, strict=True)]
        networks = [RelationshipNetwork.create(sc.params, f, part.schizophrenia)
                    for sc, f, part in zip(configs, families, parts, strict=True)]
        self.population = Population.stack(parts)
        self.network = RelationshipNetwork.stack(networks)
        self.run_size = self.population.run_size
        self.streams = BatchStreams(families, self.run_size)
        self.ledger = Ledger(self.run_size)
        self.week = 0
        self.weeks = self.params.run.years * WEEKS_PER_YEAR
        self.recorder = Recorder(self.weeks, self.runs)
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
            materialise_agents = self.runs == 1 and self.population.size <= MATERIALISE_LIMIT
        if materialise_agents:
            for i in range(self.population.size):
                Person(self, i)
        self._record({flow: np.zeros(self.runs) for flow in _ZERO_FLOWS})
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
        # Only people whose draw is below their run's bound can move, so only their hazards are needed; the
        # moves are exactly those of comparing every draw with every hazard.
        movers, u = streams.uniform_below("progress", recovery_stages.move_probability_bound(self.params))
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
        runs = self.runs
        crisis_run = pop.run.take(outcome.crises)
        coerced_run = pop.run.take(outcome.coerced)
        restraint_run = coerced_run[outcome.restraint]
        self._record({
            "crises": np.bincount(crisis_run, minlength=runs),
            "community_support": np.bincount(crisis_run[response == COMMUNITY], minlength=runs),
            "admissions_voluntary": np.bincount(crisis_run[response == VOLUNTARY], minlength=runs),
            "admissions_involuntary": np.bincount(crisis_run[response == INVOLUNTARY], minlength=runs),
            "bed_shortage": outcome.bed_shortage,
            "coercive_episodes": np.bincount(coerced_run, minlength=runs),
            "coercive_episodes_in_stay": outcome.coerced_in_stay,
            "restraint_episodes": np.bincount(restraint_run, minlength=runs),
            "retraumatisations": np.bincount(pop.run.take(outcome.retraumatised), minlength=runs),
            "discharges": np.bincount(pop.run.take(inpatients.leaving), minlength=runs),
            "restraint_hours": _sum_by_run(outcome.episode_hours[outcome.restraint], restraint_run, runs),
            "seclusion_hours": _sum_by_run(outcome.episode_hours[~outcome.restraint],
                                           coerced_run[~outcome.restraint], runs),
        })
        if self.week >= self.weeks:
            self.running = False

    def run(self) -> RecoveryModel:
        """Step to the end of the horizon."""
        while self.running:
            self.step()
        return self

    # --- one run's results -----------------------------------------------------------------------------

    def people_of(self, run: int) -> slice:
        """The positions of run ``run``'s people in the population arrays."""
        return slice(run * self.run_size, (run + 1) * self.run_size)

    def headline(self, run: int = 0) -> dict[str, float]:
        """The headline outcomes (``recoverysim.outcomes``) of run ``run`` so far."""
        mine = self.people_of(run)
        return headline(self.recorder.frame(self.week, run), self.ledger.admissions(run),
                        self.ledger.discharges(run), self.population.reached_week[mine], self.initial_stage[mine],
                        self.run_size)

    # --- helpers ------------------------------------------------------------------------------------

    def _community_reunion_share(self) -> np.ndarray:
        pop = self.population
        return pop.count_by_run((pop.stage == REUNION) & ~pop.in_hospital) / pop.run_size

    def _update_system(self) -> None:
        """Roots after reforms and loops, levers with added capacity, system barrier levels (one value per run)."""
        p = self.params
        # Reforms act through their levels only, which are constant before they start and after their ramps.
        levels = tuple(reform.level(self.week) for config in self.configs for reform in config.reforms)
        if levels != self._reform_levels:
            self._reform_levels = levels
            self._reformed_roots, self._added_capacity, self._reform_cost = _reform_state(
                self.configs, self._declared_roots, self.week)
        roots = dict(self._reformed_roots)
        roots["shame_pressure"] = effective_shame_pressure(
            roots["shame_pressure"], self._community_reunion_share(), self._reunion_share_start,
            p.stigma.visibility_effect, p.loops.stigma_visibility)
        levers = dict(self._declared_levers)
        levers["community_support_capacity"] = (levers["community_support_capacity"]
                                                + self._added_capacity["community_support_capacity"])
        levers["peer_availability"] = effective_peer_availability(
            p.levers.peer_availability, self.population.count_by_run(self.population.peer_worker), p.peer.caseload,
            self.run_size, self._added_capacity["peer_availability"], p.loops.peer_role_models)
        self.roots, self.levers, self.reform_cost = roots, levers, self._reform_cost
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
            return np.full((self.runs, len(BARRIER_NAMES)), np.nan)
        return barrier_means(self.system_barriers, self._two_valued, self.population, self.params,
                             self.levers["peer_availability"], self.network.degree("peer"))

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
        strength = of_runs(self.params.recovery.real.barrier_strength, pop.run_of(who))
        gate = progress_gate(barriers, stage, strength)
        return recovery_stages.stage_hazards(pop, self.params, support, gate, who)

    def _record(self, flows: dict[str, np.ndarray]) -> None:
        pop = self.population
        counts = pop.stage_counts_by_run()
        values = {stage: counts[:, s] for s, stage in enumerate(STAGES)}
        by_run = (self.runs, self.run_size)
        values.update(
            in_hospital=pop.count_by_run(pop.in_hospital),
            peer_workers=pop.count_by_run(pop.peer_worker),
            peer_ties=self.network.ties["peer"].active_by_run,
            community_ties=self.network.ties["community"].active_by_run,
            peer_availability=self.levers["peer_availability"],
            shame_pressure=self.roots["shame_pressure"],
            # as .mean(), without its wrapper
            mean_trauma_load=np.add.reduce(pop.trauma_load.reshape(by_run), axis=1) / self.run_size,
            reform_cost_per_year=self.reform_cost,
        )
        values.update(zip(_BARRIER_COLUMNS, self.barrier_means.T, strict=True))
        values.update(flows)
        self.recorder.record(self.week, values)

    def yearly_transitions(self, run: int = 0) -> np.ndarray:
        """Counts of stage at year y (rows) to stage at year y+1 (columns) in run ``run``, shape (years, 4, 4)."""
        k = len(STAGES)
        mine = self.people_of(run)
        snaps = [a[mine] for a in self.yearly_stage]
        return np.array([np.bincount(a.astype(np.int64) * k + b, minlength=k * k).reshape(k, k)
                         for a, b in zip(snaps[:-1], snaps[1:], strict=True)])


#: Flows recorded each week (zero in the initial row).
_ZERO_FLOWS = ("crises", "community_support", "admissions_voluntary", "admissions_involuntary", "bed_shortage",
               "coercive_episodes", "coercive_episodes_in_stay", "restraint_episodes", "retraumatisations",
               "discharges", "restraint_hours", "seclusion_hours")


def _sum_by_run(values: np.ndarray, run: np.ndarray, runs: int) -> np.ndarray:
    """Sum of ``values`` within each run (each run's values summed as numpy sums them alone)."""
    if runs == 1:
        return np.array([np.add.reduce(values)])
    return np.array([np.add.reduce(values[run == r]) for r in range(runs)])


def _reform_state(configs, declared_roots: dict[str, np.ndarray], week: int):
    """Each run's roots after its reforms, the capacity they add and their cost per year, as arrays over runs."""
    effects = [reform_effects(config.reforms, week) for config in configs]
    reformed = [effective_roots({name: float(declared_roots[name][r]) for name in ROOTS}, e)
                for r, e in enumerate(effects)]
    roots = {name: np.array([run[name] for run in reformed]) for name in ROOTS}
    added = {target: np.array([e.added_capacity.get(target, 0.0) for e in effects])
             for target in ("community_support_capacity", "peer_availability")}
    return roots, added, np.array([e.cost_per_year for e in effects])


def state_digest(model: RecoveryModel, *, skip_recorded: tuple[str, ...] = ()) -> str:
    """SHA-256 of a run's state: every population array, each tie type's degrees and the weekly record.

    For checks that a change left a run bit-identical. ``skip_recorded`` leaves out recorded columns whose
    names start with one of these prefixes (e.g. ``("barrier_",)`` against a run that skipped the barrier
    means). Only attributes every version of the model has are read.
    """
    h = hashlib.sha256()
    for name, value in sorted(vars(model.population).items()):
        if isinstance(value, np.ndarray) and name != "run":  # the batch layout, not state
            h.update(name.encode())
            h.update(np.ascontiguousarray(value).tobytes())
    for tie_type, ties in sorted(model.network.ties.items()):
        h.update(tie_type.encode())
        h.update(np.ascontiguousarray(ties.degree).tobytes())
    kept = [i for column, i in model.recorder.index.items() if not column.startswith(skip_recorded)]
    table = model.recorder.table
    h.update(np.ascontiguousarray(table[0] if table.ndim == 3 and table.shape[0] == 1 else table)[..., kept].tobytes())
    return h.hexdigest()
