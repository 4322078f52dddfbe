"""Bayesian calibration by ABC-SMC (pyabc): a weighted posterior ensemble of parameter sets, not one optimum.

Fitted: the ``--free`` parameters, with uniform priors on their bounds, to the role = "calibration" targets only.
``Targets.for_calibration`` drops the validation targets and input checks before the model wrapper is built, so no
simulated statistic, distance or database row ever holds them.

Distance: the project's calibration loss, ``sum_i weight_i * ((sim_i - obs_i) / d_i)^2`` over the calibration
targets (:meth:`Target.residual`, the ``loss`` column of :func:`validate.compare`), with ``sim_i`` the mean of
the particle's R replicates. pyabc accepts a particle when its distance is at most epsilon (uniform acceptor);
epsilon is the ``quantile`` (default the median) of the previous generation's distances (``QuantileEpsilon``;
the first generation takes every prior draw). Proposals: pyabc's multivariate normal kernel around a particle of
the last population, with covariance ``kernel_scale`` (default 2, Beaumont et al. 2009) times that population's
weighted covariance; constant population size. pyabc's SQLite database (``abc.db``) keeps every generation.

Model noise: each proposal is simulated with its own seeds, derived from ``run.seed``, the generation and its
position in the generation (not common random numbers: ABC accepts a parameter set together with one
realisation of the model's noise, so the posterior includes that noise).

Sampler: :class:`BatchSampler` evaluates proposals in batches on the project's batched engine (runs stepped
together, cut over the worker processes). It draws a batch of proposals through pyabc's own ``simulate_one``
with a recording model, rewinds numpy's global generator (pyabc draws from it), simulates the batch, and then
replays ``simulate_one`` with the results in proposal order, stopping at the n-th acceptance. The accepted
particles are therefore those that one-at-a-time sampling (pyabc's ``SingleCoreSampler``) takes with the same
model, and a run is reproducible from ``run.seed`` whatever the number of workers. Not reproducible: wall times,
pyabc's analysis id and the timestamps in the database.

Continuing: every run leaves, beside its database, the state of numpy's and Python's generators at the start of
the generation it would run next (``abc_state.pickle``, with what the run was: scenario, targets, free
parameters and settings). ``run_abc(..., resume=FOLDER)`` copies that folder's database, loads it in pyabc
(``ABCSMC.load``), restores the generators and runs on, so a run stopped by ``max_simulations`` or
``max_minutes`` and then continued takes the particles that one uninterrupted run takes.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import pickle
import random
import shutil
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from recoverysim.calibration.calibrate import FreeParameter, calibration_targets, check_free
from recoverysim.calibration.posterior import Posterior
from recoverysim.calibration.targets import Targets
from recoverysim.calibration.validate import job_statistics
from recoverysim.errors import RecoverysimError
from recoverysim.executor import WorkerPool, run_tasks
from recoverysim.parameters import PARAMETERS, command_default
from recoverysim.random_streams import derive_seed
from recoverysim.scenario import Scenario
from recoverysim.seeds import replicate_seed
from recoverysim.simulation import batches as simulation_batches
from recoverysim.simulation import runs_per_batch

METHOD = "abc-smc"
DISTANCE = ("calibration loss: sum over role=calibration targets of weight * ((simulated - observed) / d)^2, "
            "d = distance from the observed value to the band edge on the side of the simulated value; simulated "
            "= mean of the particle's replicates")
DATABASE = "abc.db"
#: Beside the database: where the next generation starts (generators' state) and what must match to continue.
STATE = "abc_state.pickle"
#: Settings a continued run must share with the run it continues (the budget and the workers may differ).
SAME_SETTINGS = ("particles", "quantile", "kernel_scale", "replications", "min_epsilon")


@dataclass(frozen=True)
class AbcSettings:
    """How much ABC-SMC to run.

    Attributes:
        particles: accepted particles per generation (the posterior's size).
        generations: most generations (pyabc populations), the prior one included.
        min_epsilon: stop once a generation's epsilon is at most this.
        max_simulations: hard cap on particles simulated (a generation that would pass it is abandoned, and the
            last complete generation is the posterior); ``None``: no cap.
        replications: replicates per particle; the distance reads their mean.
        quantile: epsilon of the next generation is this quantile of the last generation's distances.
        workers: worker processes for the batches.
        kernel_scale: the proposal kernel's covariance is this multiple of the last generation's weighted
            covariance.
        max_minutes: wall-time limit: no batch starts after it (the generation under way is abandoned, as with
            ``max_simulations``); ``None``: no limit. Where a run stops then depends on the machine's speed.
        scheduler: Dask scheduler address to run the batches on instead of local workers (same results).
    """

    particles: int = field(default_factory=lambda: command_default("calibrate.abc_particles"))
    generations: int = field(default_factory=lambda: command_default("calibrate.abc_generations"))
    min_epsilon: float = 0.0
    max_simulations: int | None = None
    replications: int = 1
    quantile: float = field(default_factory=lambda: command_default("calibrate.abc_quantile"))
    kernel_scale: float = field(default_factory=lambda: command_default("calibrate.abc_kernel_scale"))
    workers: int = 1
    max_minutes: float | None = None
    scheduler: str | None = None  # a Dask scheduler address: the batches run there, with the same results

    def check(self) -> None:
        """Raise :class:`RecoverysimError` naming the option on an impossible setting."""
        if self.particles < 2:
            raise RecoverysimError(f"--particles must be at least 2, got {self.particles}")
        if self.generations < 1:
            raise RecoverysimError(f"--generations must be at least 1, got {self.generations}")
        if not (math.isfinite(self.min_epsilon) and self.min_epsilon >= 0):
            raise RecoverysimError(f"--min-epsilon must be a number >= 0, got {self.min_epsilon}")
        if self.max_simulations is not None and self.max_simulations < self.particles:
            raise RecoverysimError(f"--max-simulations must be at least --particles ({self.particles}), got "
                                   f"{self.max_simulations}")
        if self.replications < 1:
            raise RecoverysimError(f"--replications must be at least 1, got {self.replications}")
        if self.max_minutes is not None and not (math.isfinite(self.max_minutes) and self.max_minutes > 0):
            raise RecoverysimError(f"--max-minutes must be a number > 0, got {self.max_minutes}")
        if not 0 < self.quantile < 1:
            raise RecoverysimError(f"--quantile must lie in (0, 1), got {self.quantile}")
        if not (math.isfinite(self.kernel_scale) and self.kernel_scale > 0):
            raise RecoverysimError(f"--kernel-scale must be a number > 0, got {self.kernel_scale}")


class LossDistance:
    """The calibration loss between simulated statistics ``x`` and the observed ones (pyabc distance)."""

    def __init__(self, targets: Targets):
        self.targets = targets.targets

    def __call__(self, x: dict[str, float], x_0: dict[str, float]) -> float:
        """Loss of ``x``; ``x_0`` must be the observed values of exactly the calibration targets."""
        if set(x_0) != {t.key for t in self.targets}:
            raise RuntimeError(f"observed statistics {sorted(x_0)} are not the calibration targets")
        return float(sum(t.weight * t.residual(float(x[t.key])) ** 2 for t in self.targets))


@dataclass
class CalibrationModel:
    """Parameter sets -> the calibration targets' simulated statistics, in batches on the batched engine."""

    scenario: Scenario
    targets: Targets
    free: list[FreeParameter]
    replications: int = 1
    workers: int = 1
    pool: WorkerPool | None = None
    seed: int = 1
    simulations: int = 0
    runs: int = 0
    scheduler: str | None = None

    def __post_init__(self):
        if any(t.role != "calibration" for t in self.targets.targets):
            raise ValueError("CalibrationModel takes calibration targets only (Targets.for_calibration())")

    def observed(self) -> dict[str, float]:
        """The observed value of each calibration target (pyabc's x_0)."""
        return {t.key: t.value for t in self.targets.targets}

    def values(self, proposal: dict[str, float]) -> dict[str, float]:
        """Scenario values of a proposal (integer parameters rounded)."""
        return {p.name: round(proposal[p.name]) if PARAMETERS[p.name].kind is int else float(proposal[p.name])
                for p in self.free}

    def particle_seed(self, generation: int, index: int) -> int:
        """Root seed of proposal ``index`` of ``generation`` (its replicates take replicate_seed of it)."""
        return derive_seed(self.seed, 13, generation + 1, index)

    def evaluate(self, proposals: Sequence[dict[str, float]], generation: int, start: int) -> list[dict[str, float]]:
        """Statistics of each proposal (proposal ``k`` is number ``start + k`` of its generation)."""
        jobs = []
        for k, proposal in enumerate(proposals):
            scenario = self.scenario.with_overrides(self.values(proposal), source="calibrate --method abc")
            root = self.particle_seed(generation, start + k)
            jobs += [(scenario, replicate_seed(root, r), r) for r in range(self.replications)]
        groups = simulation_batches([job[0] for job in jobs], parts=max(1, self.workers))
        args = [([jobs[i] for i in group], self.targets.burn_in_years) for group in groups]
        done = run_tasks(job_statistics, args, self.workers, pool=None if self.scheduler else self.pool,
                         scheduler=self.scheduler)
        metrics: list[dict[str, float]] = [{}] * len(jobs)
        for group, out in zip(groups, done, strict=True):
            for i, m in zip(group, out, strict=True):
                metrics[i] = m
        self.simulations += len(proposals)
        self.runs += len(jobs)
        out = []
        for k in range(len(proposals)):
            mine = metrics[k * self.replications:(k + 1) * self.replications]
            stats = {}
            for t in self.targets.targets:
                v = np.array([m[t.metric] for m in mine], float) * self.targets.factor(t)
                v = v[np.isfinite(v)]
                stats[t.key] = float(v.mean()) if v.size else math.nan
            out.append(stats)
        return out


def _pyabc():
    import pyabc

    logging.getLogger("ABC").setLevel(logging.WARNING)  # our own one line per generation instead
    return pyabc


def _recording_model(pyabc, names: Sequence[str], keys: Sequence[str]):
    class RecordingModel(pyabc.Model):
        """A pyabc model that records proposals (first pass) or hands back their simulated statistics (replay)."""

        def __init__(self):
            super().__init__("recoverysim")
            self.recording = True
            self.recorded: list[dict[str, float]] = []
            self.queue: deque = deque()

        def sample(self, pars):
            values = {n: float(pars[n]) for n in names}
            if self.recording:
                self.recorded.append(values)
                return dict.fromkeys(keys, math.nan)  # rejected on the first pass; never stored
            expected, stats = self.queue.popleft()
            if expected != values:
                raise RuntimeError("pyabc proposed other parameters on replay than on the recording pass; "
                                   "something besides the proposal draws from numpy's global generator")
            return stats

    return RecordingModel()


def make_sampler(pyabc, model, evaluate: Callable, max_batch: int, max_simulations: int | None = None,
                 deadline: float | None = None, log: Callable[[str], None] | None = None):
    """A pyabc ``Sampler`` that evaluates proposals in batches (see the module docstring)."""

    class BatchSampler(pyabc.sampler.Sampler):
        """Record a batch of proposals, simulate them together, replay in order until n are accepted."""

        def __init__(self):
            super().__init__()
            self.rate = 1.0  # acceptance rate of the last generation: sizes the first batch of the next
            self.total = 0  # proposals simulated, wasted ones included (the cap counts these)
            self.stopped = False
            self.entry: tuple | None = None  # (generation, numpy state, Python state) where the last one began

        def sample_until_n_accepted(self, n, simulate_one, t, *, max_eval=np.inf, all_accepted=False,
                                    ana_vars=None):
            self.entry = (t, np.random.get_state(), random.getstate())
            sample = self._create_empty_sample()
            used = 0
            while sample.n_accepted < n and used < max_eval:
                need = n - sample.n_accepted
                size = min(max_batch, max(1, math.ceil(need / max(self.rate, 1e-3))))
                if max_simulations is not None:
                    size = min(size, max_simulations - self.total)
                if size <= 0 or (deadline is not None and time.perf_counter() > deadline):
                    self.stopped = True
                    break
                state = np.random.get_state()
                model.recording, model.recorded = True, []
                for _ in range(size):
                    simulate_one()
                proposals = model.recorded
                np.random.set_state(state)
                stats = evaluate(proposals, t, used)
                self.total += len(proposals)
                model.recording = False
                model.queue = deque(zip(proposals, stats, strict=True))
                for _ in range(size):
                    sample.append(simulate_one())
                    used += 1
                    if sample.n_accepted >= n:
                        break
                self.rate = sample.n_accepted / used
            model.queue.clear()
            self.nr_evaluations_ = used
            if sample.n_accepted < n:
                sample.ok = False
            elif log is not None:
                eps = ana_vars.eps(t) if ana_vars is not None else math.nan
                log(f"generation {t}: epsilon {eps:.4g}, accepted {n}/{used} ({n / used:.1%}), "
                    f"{self.total} simulated so far")
            return sample

    return BatchSampler()


@dataclass
class AbcResult:
    """What an ABC-SMC calibration produced."""

    posterior: Posterior
    generations: pd.DataFrame  # t, epsilon, samples, accepted, acceptance_rate, ess, wall_time
    simulations: int  # particles simulated, wasted ones included
    runs: int  # model runs (simulations x replications)
    seconds: float
    stopped_by_cap: bool
    database: Path
    provenance: dict[str, Any] = field(default_factory=dict)


def sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def run_abc(scenario: Scenario, targets: Targets, free: list[FreeParameter], settings: AbcSettings, database: Path,
            *, seed: int | None = None, command: list[str] | None = None, pool: WorkerPool | None = None,
            target_keys: list[str] | None = None, log: Callable[[str], None] | None = None,
            resume: Path | None = None) -> AbcResult:
    """Run ABC-SMC of ``free`` against the calibration targets of ``targets``; pyabc's database at ``database``.

    ``seed`` defaults to the scenario's ``run.seed``; it seeds numpy's and Python's global generators (pyabc's
    proposals) and the simulations' seeds. ``target_keys`` narrows the fit to some calibration targets.
    ``resume``: the folder of an earlier run of the same fit, continued up to ``settings.generations`` in all;
    ``max_simulations`` and ``max_minutes`` are then this continuation's budget.
    """
    settings.check()
    check_free(free)
    fit = calibration_targets(targets, target_keys)
    seed = scenario.params.run.seed if seed is None else int(seed)
    what = _what_is_fitted(scenario, targets, fit, free, settings, seed)
    earlier = None if resume is None else _earlier_run(Path(resume), what, settings)
    pyabc = _pyabc()
    start_time = time.perf_counter()
    deadline = None if settings.max_minutes is None else start_time + 60 * settings.max_minutes
    with contextlib.ExitStack() as stack:
        if pool is None and settings.scheduler is None:
            pool = stack.enter_context(WorkerPool(settings.workers))
        model = CalibrationModel(scenario, fit, free, settings.replications, settings.workers, pool, seed,
                                 scheduler=settings.scheduler)
        names = [p.name for p in free]
        recorder = _recording_model(pyabc, names, [t.key for t in fit.targets])
        per_batch = max(1, runs_per_batch(scenario.params.population.size) // settings.replications)
        sampler = make_sampler(pyabc, recorder, model.evaluate, per_batch * max(1, settings.workers),
                               settings.max_simulations, deadline, log)
        prior = pyabc.Distribution(**{p.name: pyabc.RV("uniform", p.low, p.high - p.low) for p in free})
        # A continued run's first epsilon is the quantile of the loaded generation's distances ("from_sample"),
        # as it is after that generation in one run; a numeric initial epsilon would be taken instead.
        abc = pyabc.ABCSMC(recorder, prior, LossDistance(fit), population_size=settings.particles,
                           eps=pyabc.QuantileEpsilon(initial_epsilon=np.inf if earlier is None else "from_sample",
                                                     alpha=settings.quantile),
                           transitions=proposal_kernel(pyabc, settings.kernel_scale),
                           sampler=sampler)
        url = f"sqlite:///{Path(database).resolve()}"
        generations, budget = settings.generations, settings.max_simulations or np.inf
        if earlier is None:
            np.random.seed(seed % 2 ** 32)
            random.seed(seed)
            abc.new(url, model.observed(), meta_info={"scenario": scenario.source, "targets": targets.path,
                                                      "seed": seed})
        else:
            shutil.copyfile(Path(resume) / DATABASE, database)
            before = abc.load(url, 1)
            generations -= earlier["next_generation"]
            budget += before.total_nr_simulations
            np.random.set_state(earlier["numpy"])
            random.setstate(earlier["python"])
        with np.errstate(invalid="ignore"):  # pyabc compares epsilon inf - inf after the prior generation
            history = abc.run(minimum_epsilon=settings.min_epsilon, max_nr_populations=generations,
                              max_total_nr_simulations=budget)
        next_start = _next_start(history, sampler)
    seconds = time.perf_counter() - start_time
    if history.max_t < 0:
        raise RecoverysimError(f"--max-simulations {settings.max_simulations}: not even the first generation of "
                               f"{settings.particles} particles was completed")
    frame, weights = history.get_distribution(m=0, t=history.max_t)
    values = frame[names].to_numpy(float).copy()
    for j, p in enumerate(free):  # proposals lie inside the prior; clip rounding at the bounds only
        values[:, j] = np.clip(values[:, j], p.low, p.high)
    gens = _generations(pyabc, history)
    priors = {p.name: (p.low, p.high) for p in free}
    posterior = Posterior(tuple(names), values, np.asarray(weights, float) / np.sum(weights), priors)
    provenance = {
        "method": METHOD, "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "scenario": scenario.source, "scenario_sha256": sha256(scenario.source),
        "targets": targets.path, "targets_sha256": what["targets_sha256"], "seed": seed,
        "fitted_targets": [t.key for t in fit.targets],
        "library": "pyabc", "library_version": pyabc.__version__,
        "population": scenario.params.population.size, "years": scenario.params.run.years,
        "spin_up_years": scenario.params.run.spin_up_years, "burn_in_years": targets.burn_in_years,
        "replications": settings.replications, "particles": settings.particles,
        "generations": int(history.n_populations), "max_generations": settings.generations,
        "quantile": settings.quantile, "kernel_scale": settings.kernel_scale,
        "kernel": "multivariate normal around each particle, covariance kernel_scale x the last generation's "
                  "weighted covariance",
        "min_epsilon": settings.min_epsilon,
        "max_simulations": settings.max_simulations, "max_minutes": settings.max_minutes,
        "stopped_by_cap": bool(sampler.stopped),
        # null for the prior generation's infinite epsilon: strict JSON has no Infinity
        "epsilons": [float(e) if math.isfinite(e) else None for e in gens["epsilon"]],
        "acceptance_rates": [float(a) for a in gens["acceptance_rate"]],
        "simulations": int(sampler.total), "simulations_in_generations": int(history.total_nr_simulations),
        "model_runs": int(model.runs),
        # accepted over simulated, all generations (the prior's at 100% included); per generation above
        "acceptance_rate": float(settings.particles * len(gens) / max(1, history.total_nr_simulations)),
        "ess": posterior.effective_sample_size(), "wall_seconds": round(seconds, 1), "workers": settings.workers,
        "distance": DISTANCE, "database": Path(database).name, "command": command,
        "reproducible": "the draws, weights and epsilons are a function of the seed (any number of workers); "
                        "wall times and the database's analysis id and timestamps are not",
    }
    if earlier is not None:  # the totals count every part of the fit; this part's own figures beside them
        provenance.update(continued_from=earlier["provenance"], continuation_simulations=int(sampler.total),
                          continuation_wall_seconds=round(seconds, 1),
                          simulations=int(sampler.total) + earlier["provenance"]["simulations"],
                          model_runs=int(model.runs) + earlier["provenance"]["model_runs"],
                          wall_seconds=round(seconds + earlier["provenance"]["wall_seconds"], 1))
    with (Path(database).parent / STATE).open("wb") as f:
        pickle.dump({"what": what, **next_start, "provenance": provenance}, f)
    posterior = Posterior(posterior.names, posterior.values, posterior.weights, priors, provenance)
    return AbcResult(posterior, gens, int(sampler.total), int(model.runs), seconds, bool(sampler.stopped),
                     Path(database), provenance)


def check_continuation(folder: Path, scenario: Scenario, targets: Targets, free: list[FreeParameter],
                       settings: AbcSettings, *, seed: int | None = None, target_keys: list[str] | None = None) -> None:
    """Raise :class:`RecoverysimError` (naming the option) unless ``run_abc(..., resume=folder)`` can go on."""
    seed = scenario.params.run.seed if seed is None else int(seed)
    fit = calibration_targets(targets, target_keys)
    _earlier_run(Path(folder), _what_is_fitted(scenario, targets, fit, free, settings, seed), settings)


def _what_is_fitted(scenario: Scenario, targets: Targets, fit: Targets, free: list[FreeParameter],
                    settings: AbcSettings, seed: int) -> dict[str, Any]:
    """What a run fits, as plain data: a continued run must match it in every entry."""
    return {"scenario": scenario.content_hash, "targets_sha256": sha256(targets.path), "seed": seed,
            "fitted_targets": [t.key for t in fit.targets], "free": [[p.name, p.low, p.high] for p in free],
            **{name: getattr(settings, name) for name in SAME_SETTINGS}}


def _next_start(history, sampler) -> dict[str, Any]:
    """Where the next generation starts: an abandoned generation's start, or where the last complete one ended.

    (pyabc draws nothing between generations.)
    """
    t = history.max_t + 1
    if sampler.entry is not None and sampler.entry[0] == t:
        numpy_state, python_state = sampler.entry[1:]
    else:
        numpy_state, python_state = np.random.get_state(), random.getstate()
    return {"next_generation": t, "numpy": numpy_state, "python": python_state}


def _earlier_run(folder: Path, what: dict[str, Any], settings: AbcSettings) -> dict[str, Any]:
    """The state an earlier run in ``folder`` left, checked against this run (errors name the option)."""
    for name in (DATABASE, STATE):
        if not (folder / name).is_file():
            raise RecoverysimError(f"--resume {folder}: no {name} there (the folder of a finished "
                                   "calibrate --method abc run is needed)")
    with (folder / STATE).open("rb") as f:
        state = pickle.load(f)
    flags = {"scenario": "the scenario (file, --population, --years or --seed)", "seed": "--seed",
             "targets_sha256": "--targets (the file's contents)", "fitted_targets": "--target",
             "free": "--free (names or bounds)", **{n: f"--{n.replace('_', '-')}" for n in SAME_SETTINGS}}
    for key, flag in flags.items():
        if state["what"].get(key) != what[key]:
            raise RecoverysimError(f"--resume {folder}: {flag} differs from the run being continued "
                                   f"({state['what'].get(key)!r} there, {what[key]!r} here)")
    if settings.generations <= state["next_generation"]:
        raise RecoverysimError(f"--generations {settings.generations}: the run in {folder} already has "
                               f"{state['next_generation']}; give the total wanted, more than that")
    return state


def proposal_kernel(pyabc, scale: float):
    """The multivariate normal kernel of pyabc, covariance ``scale`` x the last generation's weighted covariance."""
    return pyabc.MultivariateNormalTransition(scaling=scale, bandwidth_selector=whole_covariance)


def whole_covariance(effective_sample_size: float, dimension: int) -> float:
    """Bandwidth factor 1: the kernel's covariance is ``kernel_scale`` times the weighted one, at any ESS.

    pyabc's default (Silverman's rule on the ESS) narrows the kernel as the ESS falls; with flat directions in
    the posterior that feeds back into a few heavy importance weights.
    """
    return 1.0


def _generations(pyabc, history) -> pd.DataFrame:
    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0].reset_index(drop=True)
    rows = []
    for r in pops.itertuples():
        _, w = history.get_distribution(m=0, t=int(r.t))
        rows.append({"generation": int(r.t), "epsilon": float(r.epsilon), "simulations": int(r.samples),
                     "accepted": len(w), "acceptance_rate": len(w) / int(r.samples),
                     "ess": float(pyabc.weighted_statistics.effective_sample_size(w)),
                     "wall_seconds": float(getattr(r, "wall_time", math.nan))})
    return pd.DataFrame(rows)
