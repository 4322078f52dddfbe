"""RecoveryModel: the Mesa model, and the one place that lists the order of everything in a step."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import mesa
import numpy as np

from recoverysim import (
    crisis_pathway,
    hospital,
    peer_workforce,
    recording,
    recovery_stages,
    service_turnover,
    slow_variables,
    spin_up,
)
from recoverysim.agents import Person
from recoverysim.batch import RunParameters
from recoverysim.crisis_pathway import CrisisDraws
from recoverysim.hospital import InpatientDraws
from recoverysim.metrics import Cohort, Ledger, Recorder, headline
from recoverysim.parameters import STAGES, WEEKS_PER_YEAR
from recoverysim.peer_workforce import PeerDraws
from recoverysim.population import REAL, Population
from recoverysim.random_streams import BatchStreams, RandomStreams
from recoverysim.recording import WeekEvents
from recoverysim.relationship_network import (
    RelationshipNetwork,
    draw_ties,
    exp1_from_uniform,
    hazard_key,
    initial_tie_means,
    tie_keys,
    update_ties,
)
from recoverysim.scenario import Scenario, default_scenario
from recoverysim.service_turnover import EntryDraws, ExitDraws
from recoverysim.system_state import SystemState, SystemUpdate

#: Populations up to this size get one Person agent each (for AgentSet queries and Mesa visualisation).
MATERIALISE_LIMIT = 20_000


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

    ``start`` (one ``spin_up.StatusQuo`` per run) starts each run from another run's status quo instead of its
    own spin-up: its parameters take over for the last week of that spin-up. ``keep_status_quo`` keeps this
    model's own status quo as ``status_quo`` (one run only).
    """

    def __init__(self, scenario: Scenario | None = None, rng: int | None = None, *,
                 runs: Sequence[tuple[Scenario, int]] | None = None,
                 start: Sequence[spin_up.StatusQuo] | None = None, keep_status_quo: bool = False,
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
        if start is not None:  # copies of other runs' status quo, their streams included
            parts, networks, families = spin_up.from_status_quo(start, configs, seeds)
        elif spin_up.pilot_applies(self.params):  # a large population: most of the spin-up on a pilot
            pilot = RecoveryModel(runs=spin_up.pilot_runs(configs, seeds), materialise_agents=False,
                                  record_draws=record_draws, record_barrier_means=False)
            parts, networks = spin_up.copies_of_pilot(pilot, configs, families)
        else:
            parts = [Population.create(sc.params, f) for sc, f in zip(configs, families, strict=True)]
            networks = [RelationshipNetwork.create(sc.params, f, part.schizophrenia)
                        for sc, f, part in zip(configs, families, parts, strict=True)]
        self.population = Population.stack(parts)
        self.network = RelationshipNetwork.stack(networks)
        self.run_size = self.population.run_size
        self.streams = BatchStreams(families, self.run_size)
        self.weeks = self.params.run.years * WEEKS_PER_YEAR
        self.spin_up_weeks = spin_up.full_size_years(self.params) * WEEKS_PER_YEAR  # after any pilot
        # The spin-up steps weeks -S .. -1 and the clock then reads week 0 (a reform starting at year 0 acts from
        # week 1, as without a spin-up); the keyed draws count weeks from the start of the spin-up.
        self.week = -self.spin_up_weeks - 1 if start is None else start[0].week
        self.week_events: WeekEvents | None = None  # what the rules returned in the latest week
        self._update_system = SystemUpdate(configs, self.params, self.population)
        self.system: SystemState = self._update_system(self.week, self.population)
        self.record_barrier_means = record_barrier_means
        self.observing = False
        self.status_quo: spin_up.StatusQuo | None = None
        while self.week < -1:  # the spin-up: the scenario's status quo, not recorded
            if keep_status_quo and self.week == -2:
                self.status_quo = spin_up.StatusQuo.of(self)
            self._advance()
        if keep_status_quo and self.status_quo is None:  # no spin-up: the status quo is the initial state
            self.status_quo = spin_up.StatusQuo.of(self)
        self.week = 0
        self._start_observation()
        if materialise_agents is None:
            materialise_agents = self.runs == 1 and self.population.size <= MATERIALISE_LIMIT
        if materialise_agents:
            for i in range(self.population.size):
                Person(self, i)
        self.running = True

    def _start_observation(self) -> None:
        """Week 0: the people in services now are the cohort followed; stays begun before are prevalent."""
        pop = self.population
        self.observing = True
        self._update_system.observe_from(pop)
        pop.reached_week[:] = np.where(np.arange(len(STAGES))[None, :] <= pop.stage[:, None], 0, -1)
        pop.prevalent_stay[:] = pop.in_hospital
        pop.generation[:] = 0
        self.ledger = Ledger(self.run_size)
        self.cohort = Cohort(pop)
        self.recorder = Recorder(self.weeks, self.runs)
        self.initial_stage = pop.stage.copy()
        self.yearly_stage = [self.initial_stage.copy()]
        self.yearly_generation = [pop.generation.copy()]
        self.barrier_means = self._barrier_means()
        self._record(recording.zero_flows(self.runs))

    @property
    def draw_week(self) -> int:
        """The week that keys this week's draws: weeks since the start of the spin-up (0 in its first week)."""
        return self.week + self.spin_up_weeks

    def step(self) -> None:
        """Advance one week. This is the order of everything that happens (docs/ODD.md, "Process overview").

        1. System state: reforms lower roots and add capacity; loops R1 (peer availability) and R2 (shame
           pressure) update; system barrier levels follow from the roots (system_state).
        2. Hospital discharges (hospital.discharge).
        3. Crises in the community, their response (community / voluntary / involuntary, within capacity),
           admissions, coercive measures at admission and later in stays, re-traumatisation (crisis_pathway).
        4. Barriers felt by each person and positive interactions in their network; stage progress and
           setbacks (recovery_stages).
        5. Peer workforce: leaving (turnover, burnout B1) and recruitment from reunion (peer_workforce).
        6. Network dynamics: new peer ties, community ties made and dropped (relationship_network).
        7. Slow variables: trauma load, medication burden and service mistrust recover (slow_variables).
        8. Service turnover: people age, die and leave services; new service users take their places
           (service_turnover).
        9. Record the week (recording).

        The spin-up (``run.spin_up_years``, before week 0) runs steps 1-8 only.
        """
        self._advance()
        self._record_week(self.week_events)

    def _advance(self) -> None:
        self.week += 1
        self.system = self._update_system(self.week, self.population)
        discharges = self._discharge()
        crisis = self._crisis_pathway(discharges)
        if self.observing:
            self.barrier_means = self._barrier_means()
        moves = self._stage_progress()
        peers = self._peer_workforce()
        ties = self._network_dynamics() if self.params.network.enabled else None
        slow_variables.recover(self.population, self.params.crisis)
        turnover = self._service_turnover() if self.params.turnover.enabled else None
        self.week_events = WeekEvents(discharges, crisis, moves, peers, ties, turnover)

    # --- each step of the week: the draws a rule needs, the rule, its events --------------------------

    def _discharge(self) -> hospital.Discharges:
        inpatients = self.population.in_hospital.nonzero()[0]
        draws = InpatientDraws.draw(self.streams, self.draw_week, inpatients)
        return hospital.discharge(self.population, self.params.hospital, self.system.roots.psychosocial_gap,
                                  self.week, inpatients, draws)

    def _crisis_pathway(self, discharges: hospital.Discharges) -> crisis_pathway.CrisisOutcome:
        pop, params = self.population, self.params
        # Everyone draws one number a week (stream "crisis"); only those below their run's bound can have one.
        bound = crisis_pathway.crisis_probability_bound(pop, params.crisis) if params.crisis.enabled else 0.0
        candidates, u = self.streams.uniform_below("crisis", bound)
        crises = crisis_pathway.crises(pop, params.crisis, self.week, candidates, u)
        draws = CrisisDraws.draw(self.streams, self.draw_week, crises)
        return crisis_pathway.run_week(pop, params, self.system, crises, draws, discharges)

    def _stage_progress(self) -> recovery_stages.StageMoves:
        # Only people whose draw is below their run's bound can move, so only their hazards are needed.
        movers, u = self.streams.uniform_below("progress", recovery_stages.move_probability_bound(self.params.recovery))
        return recovery_stages.week(self.population, self.network, self.params, self.system, movers, u)

    def _peer_workforce(self) -> peer_workforce.PeerEvents:
        workers, candidates = peer_workforce.drawn_for(self.population)
        draws = PeerDraws(workers, candidates, *self.streams.keyed_uniform_groups(
            peer_workforce.STREAMS, self.draw_week, (workers, workers, candidates)))
        return peer_workforce.update(self.population, self.params.peer, self.params.loops.peer_burnout,
                                     self.system.levers.peer_availability, self.system.added_peer_posts, self.week,
                                     draws)

    def _network_dynamics(self):
        felt = self.system.two_valued["social_exclusion"]
        draws = draw_ties(self.population, self.params.network, felt, self.system.levers.peer_availability,
                          self.streams, self.draw_week)
        return update_ties(self.population, self.network, self.params.network, felt, draws)

    def _service_turnover(self) -> service_turnover.TurnoverEvents:
        pop, t = self.population, self.params.turnover
        pop.age += REAL(1 / WEEKS_PER_YEAR)
        candidates, u = self.streams.uniform_below("service_exit", service_turnover.exit_probability_bound(pop, t))
        kind = ExitDraws.draw(self.streams, self.draw_week, candidates)
        died, left = service_turnover.exits(pop, t, candidates, u, kind.exit_kind)
        events = service_turnover.departures(pop, died, left)
        places = events.entered
        if self.observing:
            self.cohort.leave(pop, places, self.week)
        draws = EntryDraws.draw(self.streams, self.draw_week, places)
        service_turnover.enter(pop, self.params.population, places, draws, self.week)
        if self.params.network.enabled:
            self._renew_ties(places, draws)
        return events

    def _renew_ties(self, places: np.ndarray, draws: EntryDraws) -> None:
        run = self.population.run_of(places)
        family, community = service_turnover.first_ties(
            initial_tie_means(self.params, self.system.roots.thin_networks), run, draws)
        rows = np.repeat(places, community)
        ordinal = np.arange(rows.size) - np.repeat(np.cumsum(community) - community, community)
        thresholds = exp1_from_uniform(self.streams.keyed_uniforms(
            ("community_tie_loss_at_entry",), self.draw_week, rows, tie_keys(self.streams.local(rows), ordinal))[0])
        self.network.renew(places, family, community, thresholds,
                           hazard_key(run.repeat(community), self.population.schizophrenia[rows]))

    def _record_week(self, events: WeekEvents) -> None:
        if self.week % WEEKS_PER_YEAR == 0:
            self.yearly_stage.append(self.population.stage.copy())
            self.yearly_generation.append(self.population.generation.copy())
        recording.record_ledger(self.ledger, self.population, self.week, events)
        self._record(recording.flows(self.population, events))
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
        reached, censored = self.cohort_reached(run)
        return headline(self.recorder.frame(self.week, run), self.ledger.admissions(run),
                        self.ledger.discharges(run), reached, self.initial_stage[self.people_of(run)],
                        self.run_size, censored, scenario=self.configs[run])

    def cohort_reached(self, run: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """The week-0 cohort of run ``run``: first week each stage was reached (-1 never), and when followed to."""
        return self.cohort.reached(self.population, self.people_of(run), self.week)

    @property
    def beds(self) -> np.ndarray:
        """Beds of each run this week."""
        return hospital.beds(self.system.levers.bed_capacity, self.run_size)

    # --- helpers ------------------------------------------------------------------------------------

    @property
    def roots(self) -> dict[str, np.ndarray]:
        """This week's roots after reforms and loops (one value per run each): ``system.roots`` by name."""
        return self.system.roots.as_dict()

    @property
    def levers(self) -> dict[str, np.ndarray]:
        """This week's levers with added capacity and loop R1: ``system.levers`` by name."""
        return self.system.levers.as_dict()

    @property
    def system_barriers(self) -> np.ndarray:
        """This week's system level of each barrier, shape (runs, 8)."""
        return self.system.barriers

    def barriers_of(self, who: np.ndarray | None = None) -> np.ndarray:
        """Barrier levels felt now by everyone (or ``who``), shape (8, n): rows in ``BARRIER_NAMES`` order."""
        return recovery_stages.felt_barriers(self.population, self.network, self.params, self.system, who)

    @property
    def barriers(self) -> np.ndarray:
        """Barrier levels felt now by everyone, shape (8, n)."""
        return self.barriers_of()

    def _barrier_means(self) -> np.ndarray:
        return recording.mean_barriers(self.population, self.network, self.params, self.system,
                                       self.record_barrier_means)

    def stage_hazards(self, who: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Current weekly (up, down) hazards of everyone (or ``who``), from the barriers felt now."""
        return recovery_stages.hazards(self.population, self.network, self.params, self.system, who)

    def _record(self, flows: dict[str, np.ndarray]) -> None:
        recording.record_week(self.recorder, self.week, self.population, self.network, self.system,
                              self.barrier_means, flows)

    def yearly_transitions(self, run: int = 0) -> np.ndarray:
        """Counts of stage at year y (rows) to stage at year y+1 (columns) in run ``run``, shape (years, 4, 4).

        Only people in services at both ends of the year count (a place taken by a new service user does not).
        """
        k = len(STAGES)
        mine = self.people_of(run)
        snaps = [a[mine] for a in self.yearly_stage]
        gens = [g[mine] for g in self.yearly_generation]
        return np.array([np.bincount((a.astype(np.int64) * k + b)[ga == gb], minlength=k * k).reshape(k, k)
                         for a, b, ga, gb in zip(snaps[:-1], snaps[1:], gens[:-1], gens[1:], strict=True)])


def status_quo(scenario: Scenario, seed: int) -> spin_up.StatusQuo:
    """The status quo of ``scenario`` with ``seed``: its own spin-up, taken one week before week 0."""
    return RecoveryModel(scenario, rng=seed, materialise_agents=False, record_barrier_means=False,
                         keep_status_quo=True).status_quo


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
