"""Run the model: one replicate, many replicates, and the tables they produce (the Python API)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from recoverysim.batch import batch_key
from recoverysim.codes import DIAGNOSES
from recoverysim.intervals import CONFIDENCE, mean_interval
from recoverysim.metrics import survival_curve, time_to_stage
from recoverysim.model import RecoveryModel
from recoverysim.outcomes import OUTCOMES
from recoverysim.parameters import STAGES, WEEKS_PER_YEAR
from recoverysim.scenario import Scenario
from recoverysim.seeds import replicate_seed
from recoverysim.spin_up import StatusQuo


@dataclass
class RunResult:
    """Everything one replicate produces."""

    replicate: int
    seed: int
    timeseries: pd.DataFrame
    headline: dict[str, float]
    admissions: pd.DataFrame
    discharges: pd.DataFrame
    survival: pd.DataFrame
    yearly_transitions: np.ndarray
    subgroups: pd.DataFrame
    model: RecoveryModel | None = field(default=None, repr=False)
    #: Coercive episodes (person, week, hours, restraint), when asked for with ``episodes=True``.
    episodes: pd.DataFrame | None = None


def simulate(scenario: Scenario, seed: int | None = None, replicate: int = 0, *, keep_model: bool = False,
             on_step: Callable[[RecoveryModel], None] | None = None) -> RunResult:
    """Run one replicate; ``seed`` defaults to the replicate seed derived from ``run.seed``."""
    if seed is None:
        seed = replicate_seed(scenario.params.run.seed, replicate)
    model = RecoveryModel(scenario, rng=seed)
    _step_to_end(model, on_step)
    return _result(model, 0, replicate, keep_model)


def simulate_replicates(scenario: Scenario, replicates: Sequence[int], seed: int | None = None, *,
                        on_step: Callable[[RecoveryModel], None] | None = None,
                        episodes: bool = False) -> list[RunResult]:
    """Run these replicates of ``scenario`` stepped together (one batch); each result equals ``simulate``'s."""
    root = scenario.params.run.seed if seed is None else seed
    return simulate_together([(scenario, replicate_seed(root, r), r) for r in replicates], on_step=on_step,
                             episodes=episodes)


def simulate_together(jobs: Sequence[tuple[Scenario, int, int]], *,
                      on_step: Callable[[RecoveryModel], None] | None = None,
                      episodes: bool = False) -> list[RunResult]:
    """Run (scenario, seed, replicate) jobs stepped together in one batch; each result equals ``simulate``'s.

    The scenarios must agree on ``batch.STRUCTURAL``. With ``episodes`` each result carries its coercive
    episodes (``RunResult.episodes``).
    """
    model = RecoveryModel(runs=[(scenario, seed) for scenario, seed, _ in jobs])
    log = EpisodeLog() if episodes else None
    _step_to_end(model, on_step, log)
    results = [_result(model, run, replicate) for run, (_, _, replicate) in enumerate(jobs)]
    if log is not None:
        for run, result in enumerate(results):
            result.episodes = log.frame(run, model.run_size)
    return results


class EpisodeLog:
    """Coercive episodes of every week of a batch: person (in the batch), week, hours, restraint."""

    def __init__(self):
        self._chunks: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []

    def add(self, model: RecoveryModel) -> None:
        """Take this week's episodes from the model (the only reader of the model's week record here)."""
        ev = model.week_events
        if len(ev["episode_hours"]):
            people = np.asarray(ev["coerced"], np.int64)
            self._chunks.append((people, np.full(people.size, model.week, np.int32),
                                 np.asarray(ev["episode_hours"], float), np.asarray(ev["restraint"], bool)))

    def frame(self, run: int, run_size: int) -> pd.DataFrame:
        """Run ``run``'s episodes in week order, its people numbered within the run."""
        cols = [np.concatenate(c) for c in zip(*self._chunks, strict=True)] if self._chunks else [
            np.zeros(0, np.int64), np.zeros(0, np.int32), np.zeros(0), np.zeros(0, bool)]
        mine = cols[0] // run_size == run
        return pd.DataFrame({"person": cols[0][mine] - run * run_size, "week": cols[1][mine],
                             "hours": cols[2][mine], "restraint": cols[3][mine]})


def _step_to_end(model: RecoveryModel, on_step: Callable[[RecoveryModel], None] | None,
                 log: EpisodeLog | None = None) -> None:
    while model.running:
        model.step()
        if log is not None:
            log.add(model)
        if on_step is not None:
            on_step(model)


def _result(model: RecoveryModel, run: int, replicate: int, keep_model: bool = False) -> RunResult:
    """What run ``run`` of ``model`` produced, as replicate ``replicate``."""
    ts = model.recorder.frame(model.week, run)
    ts.insert(0, "replicate", replicate)
    return RunResult(
        replicate=replicate,
        seed=model.seeds[run],
        timeseries=ts,
        headline=model.headline(run),
        admissions=model.ledger.admissions(run),
        discharges=model.ledger.discharges(run),
        survival=_survival(model, run, replicate),
        yearly_transitions=model.yearly_transitions(run),
        subgroups=_subgroups(model, run, replicate),
        model=model if keep_model else None,
    )


def simulate_headline(scenario: Scenario, seed: int) -> dict[str, float]:
    """Headline outcomes of one replicate run with ``seed`` (for sensitivity analysis and calibration).

    The same numbers as ``simulate(scenario, seed).headline``, without Mesa agents or the other tables.
    """
    return simulate_headlines([(scenario, seed)])[0]


#: People per batch of runs stepped together by ``simulate_headlines``: enough to share most of a step's fixed
#: cost among runs of a few thousand people (48 runs of 5,000; benchmarks/README.md), few enough to keep a batch
#: within a few hundred MB. Runs of 240,000 people or more are stepped one at a time.
BATCH_PEOPLE = 240_000


def runs_per_batch(population_size: int) -> int:
    """How many runs of ``population_size`` people ``simulate_headlines`` steps together."""
    return max(1, BATCH_PEOPLE // max(population_size, 1))


def simulate_headlines(runs: Sequence[tuple[Scenario, int]], batch_size: int | None = None,
                       starts: Sequence[StatusQuo] | None = None) -> list[dict[str, float]]:
    """Headline outcomes of many (scenario, seed) runs, in order, stepped together in batches.

    Runs that agree on ``batch.STRUCTURAL`` share a batch of up to ``batch_size`` runs (default
    ``runs_per_batch`` of their population size); each run's outcomes are exactly those of
    ``simulate_headline(scenario, seed)`` alone. ``starts`` (one per run) starts each run from that status quo
    instead of its own spin-up (``spin_up.StatusQuo``).
    """
    out: list[dict[str, float] | None] = [None] * len(runs)
    for chunk in batches([scenario for scenario, _ in runs], batch_size):
        model = RecoveryModel(runs=[runs[i] for i in chunk], materialise_agents=False, record_barrier_means=False,
                              start=None if starts is None else [starts[i] for i in chunk]).run()
        for r, i in enumerate(chunk):
            out[i] = model.headline(r)
    return out


def batches(scenarios: Sequence[Scenario], batch_size: int | None = None, parts: int = 1) -> list[list[int]]:
    """Positions of ``scenarios`` grouped into batches that can be stepped together, in order within each.

    Runs that agree on ``batch.STRUCTURAL`` share batches of up to ``batch_size`` runs (default
    ``runs_per_batch`` of their population size). With ``parts`` > 1 each group is cut into a multiple of
    ``parts`` batches of near-equal size, so that as many workers stay busy.
    """
    groups: dict[tuple, list[int]] = {}
    for i, scenario in enumerate(scenarios):
        groups.setdefault(batch_key(scenario), []).append(i)
    out = []
    for members in groups.values():
        size = batch_size or runs_per_batch(scenarios[members[0]].params.population.size)
        if parts > 1:
            count = parts * math.ceil(len(members) / (parts * size))
            size = math.ceil(len(members) / count)
        out += [members[k:k + size] for k in range(0, len(members), size)]
    return out


def _survival(model: RecoveryModel, run: int, replicate: int) -> pd.DataFrame:
    weeks = model.week
    reached, followed = model.cohort_reached(run)
    initial = model.initial_stage[model.people_of(run)]
    frames = []
    for k, stage in enumerate(STAGES[1:], start=1):
        t, event = time_to_stage(reached, initial, k, weeks, followed)
        frames.append(pd.DataFrame({"replicate": replicate, "stage": stage, "week": np.arange(weeks + 1),
                                    "not_reached": survival_curve(t, event, weeks), "at_risk": t.size}))
    return pd.concat(frames, ignore_index=True)


def _subgroups(model: RecoveryModel, run: int, replicate: int) -> pd.DataFrame:
    pop, mine = model.population, model.people_of(run)
    stage = pop.stage[mine]
    groups = {
        "diagnosis": (pop.diagnosis[mine], DIAGNOSES),
        "gender": (pop.female[mine].astype(np.int8), ("male", "female")),
        "trauma_history": (pop.trauma_history[mine].astype(np.int8), ("no", "yes")),
    }
    rows = []
    for name, (codes, labels) in groups.items():
        for code, label in enumerate(labels):
            who = codes == code
            n = int(who.sum())
            counts = np.bincount(stage[who], minlength=len(STAGES))
            for s, stage_name in enumerate(STAGES):
                rows.append((replicate, name, label, n, stage_name, counts[s] / n if n else np.nan))
    return pd.DataFrame(rows, columns=["replicate", "subgroup", "level", "people", "stage", "share_end"])


@dataclass
class Results:
    """Replicates of one scenario, with the summary over replicates."""

    scenario: Scenario
    runs: list[RunResult]

    @property
    def timeseries(self) -> pd.DataFrame:
        """One row per replicate and week."""
        return pd.concat([r.timeseries for r in self.runs], ignore_index=True)

    @property
    def headlines(self) -> pd.DataFrame:
        """One row per replicate, one column per headline outcome."""
        return pd.DataFrame([{"replicate": r.replicate, "seed": r.seed, **r.headline} for r in self.runs])

    @property
    def survival(self) -> pd.DataFrame:
        """Share not yet reaching each stage, by replicate and week."""
        return pd.concat([r.survival for r in self.runs], ignore_index=True)

    @property
    def subgroups(self) -> pd.DataFrame:
        """End-of-run stage shares by subgroup and replicate."""
        return pd.concat([r.subgroups for r in self.runs], ignore_index=True)

    @property
    def yearly_transitions(self) -> np.ndarray:
        """Row-normalised stage-to-stage matrix pooled over years and replicates."""
        counts = sum(r.yearly_transitions.sum(axis=0) for r in self.runs)
        with np.errstate(invalid="ignore"):
            return counts / counts.sum(axis=1, keepdims=True)

    def summary(self, confidence: float = CONFIDENCE) -> pd.DataFrame:
        """``metric, mean, ci_low, ci_high`` (t interval over replicates) for every headline outcome."""
        return summarise(self.headlines, confidence)


def summarise(headlines: pd.DataFrame, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """Mean and t-based confidence interval of each outcome column over replicates."""
    rows = []
    for metric in OUTCOMES:
        values = headlines[metric].to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        rows.append((metric, *mean_interval(values, confidence), values.size))
    return pd.DataFrame(rows, columns=["metric", "mean", "ci_low", "ci_high", "replicates"])


def run_replications(scenario: Scenario, replications: int | None = None, seed: int | None = None,
                     progress: bool = False) -> Results:
    """Run replicates 0..R-1 (seeds derived from ``seed``, default ``run.seed``), stepped together in batches.

    Each replicate's results are exactly those of ``simulate`` alone (``runs_per_batch`` replicates a batch).
    """
    replications = replications or scenario.params.run.replications
    seed = scenario.params.run.seed if seed is None else seed
    per_batch = runs_per_batch(scenario.params.population.size)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=replications * scenario.params.run.years * WEEKS_PER_YEAR, unit="week",
                   desc=scenario.name, leave=False, mininterval=0.5)
    runs: list[RunResult] = []
    for start in range(0, replications, per_batch):
        batch = range(start, min(start + per_batch, replications))
        runs.extend(simulate_replicates(scenario, batch, seed,
                                        on_step=(lambda m: bar.update(m.runs)) if bar is not None else None))
    if bar is not None:
        bar.close()
    return Results(scenario, runs)
