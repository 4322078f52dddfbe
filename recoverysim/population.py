"""The population as a struct of arrays: one numpy array per attribute, one element per person."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.special import betainc, betaincinv, betaln, ndtri

from recoverysim.codes import Diagnosis
from recoverysim.parameters import STAGES
from recoverysim.random_streams import RandomStreams
from recoverysim.reform_evidence import PERSON_REFORMS

NEVER = np.iinfo(np.int32).min // 2  # a week long before any run, for "never discharged"
#: Floating type of per-person quantities. Single precision keeps a million people's arrays in cache-sized
#: pieces and halves memory traffic; its 7 significant digits are ample for weekly probabilities >= 1e-6.
REAL = np.float32


def of_people(values: np.ndarray, who: np.ndarray | None) -> np.ndarray:
    """The values of the people ``who`` (indices), or of everyone when ``who`` is None."""
    return values if who is None else values[who]


def of_runs(values: np.ndarray, run: np.ndarray) -> np.ndarray:
    """A per-run quantity (one value per run) for each person of ``run`` (their runs), for elementwise use.

    With a single run the one-element array itself broadcasts to the same numbers, without the gather.
    """
    return values if type(values) is not np.ndarray or values.size == 1 else values.take(run)


def by_priority_in_run(run: np.ndarray, priority: np.ndarray, quota: np.ndarray, runs: int,
                       highest: bool = False) -> np.ndarray:
    """Positions of the ``quota[r]`` items of each run r first (or, with ``highest``, last) in priority order.

    The order is that of a stable ascending sort of each run's priorities, so ties go to earlier items.
    """
    order = np.lexsort((priority, run))
    in_order = run[order]
    position = np.arange(order.size)
    if highest:
        rank = np.searchsorted(in_order, np.arange(runs), side="right")[in_order] - 1 - position
    else:
        rank = position - np.searchsorted(in_order, np.arange(runs))[in_order]
    return order[rank < quota[in_order]]


#: Cells of the table of Beta quantiles that starts beta_quantile's Newton steps.
_QUANTILE_CELLS = 1024
_QUANTILE_GRID = np.linspace(0.0, 1.0, _QUANTILE_CELLS + 1)


@lru_cache(maxsize=256)
def _beta_quantile_table(a: float, b: float) -> np.ndarray:
    return betaincinv(a, b, _QUANTILE_GRID)


def beta_quantile(a: float, b: float, u: np.ndarray) -> np.ndarray:
    """Quantiles ``u`` of the Beta(a, b) law: scipy's ``betaincinv``, about 3x faster on many uniforms.

    scipy's inverse is iterative and cost a tenth of a week's step at 4 million people, in the attributes of new
    service users. Here a table of 1,025 of its quantiles gives a start, three Newton steps on ``betainc`` refine
    it, and any value whose last step is not below 1e-8 of it (the table's end cells, mostly) is scipy's own.
    Where the density is unbounded (a or b below 1) scipy answers throughout.
    """
    a, b = float(a), float(b)
    u = np.asarray(u, np.float64)
    if a < 1 or b < 1 or u.size < _QUANTILE_CELLS:
        return betaincinv(a, b, u)
    x = np.interp(u, _QUANTILE_GRID, _beta_quantile_table(a, b))
    log_beta = betaln(a, b)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for _ in range(3):
            density = np.exp((a - 1) * np.log(x) + (b - 1) * np.log1p(-x) - log_beta)
            step = (betainc(a, b, x) - u) / density
            x = np.clip(x - step, 0.0, 1.0)
    unsettled = ~(np.abs(step) <= 1e-8 * x)
    x[unsettled] = betaincinv(a, b, u[unsettled])
    return x


def _beta_quantiles(a: np.ndarray, b: np.ndarray, u: np.ndarray) -> np.ndarray:
    """``beta_quantile`` elementwise, for parameters that take few distinct values (one pair per run)."""
    if u.size < _QUANTILE_CELLS:
        return betaincinv(a, b, u)
    if (a == a.flat[0]).all() and (b == b.flat[0]).all():
        return beta_quantile(a.flat[0], b.flat[0], u)
    pairs, which = np.unique(np.stack([a.ravel(), b.ravel()], axis=1), axis=0, return_inverse=True)
    out = np.empty(u.shape)
    for i, (pa, pb) in enumerate(pairs):
        mine = which.ravel() == i
        out[mine] = beta_quantile(pa, pb, u[mine])
    return out


#: The uniforms behind a new person's attributes (rows of ``new_attributes``'s draws), in this order.
ATTRIBUTE_DRAWS = ("diagnosis", "female", "trauma_history", "life_security", "medication_burden", "age",
                   *(f"reach_{name}" for name in PERSON_REFORMS))


def new_attributes(pp, u: np.ndarray, run: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Attributes of new people from the ``[population]`` section ``pp`` and uniforms ``u`` (rows: ATTRIBUTE_DRAWS).

    Each attribute is the inverse distribution function of its own uniform, so the people who start a run and
    those who enter later follow one law, and a keyed uniform gives the same person in every scenario. ``run``
    gives each person's run when the section holds one value per run (a batch).
    """
    def of(value):
        value = np.asarray(value, np.float64)
        return value if run is None else np.broadcast_to(of_runs(value, run), run.shape)

    diag, female, trauma, security, medication, age = u[:6]
    schizophrenia, mood = of(pp.share_schizophrenia), of(pp.share_mood)
    total = np.maximum(schizophrenia + mood, 1.0)  # the rest, 1 - schizophrenia - mood, is "other" (never < 0)
    diagnosis = (diag >= schizophrenia / total).astype(np.int8) + (diag >= (schizophrenia + mood) / total)
    k = of(pp.heterogeneity)
    security_mean = of(pp.life_security_mean)
    med_mean = np.clip(of(pp.medication_burden_mean), 1e-3, 1 - 1e-3)
    z = ndtri(np.clip(age, 1e-9, 1 - 1e-9))
    return {
        "diagnosis": diagnosis.astype(np.int8),
        "female": female < of(pp.share_female),
        "trauma_history": trauma < of(pp.share_trauma_history),
        "life_security": _beta_quantiles(security_mean * k, (1 - security_mean) * k, security).astype(REAL),
        "medication_burden": _beta_quantiles(med_mean * k, (1 - med_mean) * k, medication).astype(REAL),
        "age": np.clip(of(pp.entry_age_mean) + of(pp.entry_age_sd) * z, of(pp.entry_age_min), 100.0).astype(REAL),
        # A person's reach draw for each person reform (reforms.reached): fixed for the person, so a reform of
        # higher coverage reaches the same people and more.
        **{f"reach_{name}": row.astype(REAL) for name, row in zip(PERSON_REFORMS, u[6:], strict=True)},
    }


@dataclass
class Population:
    """State of every person. Arrays are indexed by person index 0..size-1."""

    size: int
    # recovery
    stage: np.ndarray  # int8, index into STAGES
    stage_since: np.ndarray  # int32, week the current stage began
    reached_week: np.ndarray  # int32 (size, 4): first week each stage was reached, -1 if never
    # attributes (heterogeneity)
    female: np.ndarray  # bool
    diagnosis: np.ndarray  # int8, index into DIAGNOSES
    schizophrenia: np.ndarray  # bool, diagnosis is schizophrenia-spectrum (kept for the stigma modifier)
    trauma_history: np.ndarray  # bool
    life_security: np.ndarray  # REAL 0-1
    medication_burden: np.ndarray  # REAL 0-1
    medication_baseline: np.ndarray  # REAL 0-1, where the burden returns to in the community
    trauma_load: np.ndarray  # REAL >= 0
    # hospital
    in_hospital: np.ndarray  # bool
    admitted_week: np.ndarray  # int32
    involuntary: np.ndarray  # bool, current admission is involuntary
    long_stay: np.ndarray  # bool, current admission is in the long-stay tail
    prevalent_stay: np.ndarray  # bool, already in hospital at week 0 (excluded from stay statistics)
    last_discharge_week: np.ndarray  # int32, NEVER if not discharged in the run
    coerced_until_week: np.ndarray  # REAL, when the latest coercive episode ends (weeks; no overlap); NEVER: none
    # peer workforce
    peer_worker: np.ndarray  # bool
    # service turnover and the lasting consequences of coercion
    age: np.ndarray  # REAL, years
    generation: np.ndarray  # int32, occupants of this place before the present one since week 0 (0: week-0 cohort)
    service_mistrust: np.ndarray  # REAL >= 0, lost trust in services after coercive measures
    # reach draws of the person reforms (reform_evidence.PERSON_REFORMS), uniform in [0, 1)
    reach_trauma_informed_care: np.ndarray  # REAL
    reach_crisis_advocacy: np.ndarray  # REAL
    reach_community_network_care: np.ndarray  # REAL
    # batch layout: run r's people are r * run_size .. (r + 1) * run_size - 1
    run: np.ndarray  # intp, the run of each person
    run_size: int

    @classmethod
    def create(cls, params, streams: RandomStreams) -> Population:
        """Draw the initial population from the scenario's ``[population]`` section.

        Everyone's attributes come from ``new_attributes``, the same law as new service users; only the initial
        stage (from the ``share_*`` parameters) and the initial hospital stays are drawn here. The spin-up
        (``run.spin_up_years``) then carries this arbitrary start to the scenario's own stationary state.
        """
        pop = params.population
        n = pop.size
        rng = streams["population"]
        shares = np.array([getattr(pop, f"share_{s}") for s in STAGES])
        stage = rng.choice(len(STAGES), size=n, p=shares / shares.sum()).astype(np.int8)
        reached = np.full((n, len(STAGES)), -1, dtype=np.int32)
        reached[np.arange(len(STAGES))[None, :] <= stage[:, None]] = 0
        first = rng.random((len(ATTRIBUTE_DRAWS) - len(PERSON_REFORMS), n))
        in_hospital = rng.random(n) < pop.initial_in_hospital
        # The reach draws come last, so adding them left every earlier draw of a run as it was.
        a = new_attributes(pop, np.vstack([first, rng.random((len(PERSON_REFORMS), n))]))
        return cls(
            size=n,
            stage=stage,
            stage_since=np.zeros(n, np.int32),
            reached_week=reached,
            **a,  # every attribute of new_attributes, as for a new service user
            schizophrenia=a["diagnosis"] == Diagnosis.SCHIZOPHRENIA,
            medication_baseline=a["medication_burden"].copy(),
            trauma_load=a["trauma_history"].astype(REAL),
            in_hospital=in_hospital,
            admitted_week=np.zeros(n, np.int32),
            involuntary=np.zeros(n, bool),
            long_stay=in_hospital.copy(),
            prevalent_stay=in_hospital.copy(),
            last_discharge_week=np.full(n, NEVER, np.int32),
            coerced_until_week=np.full(n, NEVER, REAL),
            peer_worker=np.zeros(n, bool),
            generation=np.zeros(n, np.int32),
            service_mistrust=np.zeros(n, REAL),
            run=np.zeros(n, np.intp),
            run_size=n,
        )

    @classmethod
    def stack(cls, runs: list[Population]) -> Population:
        """The populations of several runs (each of the same size) as one, run by run."""
        if len(runs) == 1:
            return runs[0]
        n = runs[0].size
        arrays = {name: np.concatenate([getattr(p, name) for p in runs]) for name, value in vars(runs[0]).items()
                  if isinstance(value, np.ndarray) and name != "run"}
        return cls(size=n * len(runs), run=np.repeat(np.arange(len(runs), dtype=np.intp), n), run_size=n, **arrays)

    @property
    def runs(self) -> int:
        """Number of runs stepped together."""
        return self.size // self.run_size

    def run_of(self, who: np.ndarray | None) -> np.ndarray:
        """The run of each person of ``who`` (or of everyone)."""
        if who is None:
            return self.run
        # One run: every person's run is 0, and zeroed memory costs far less than a gather.
        return np.zeros(who.shape, np.intp) if self.runs == 1 else self.run.take(who)

    def by_run(self, values: np.ndarray) -> np.ndarray:
        """A per-person array as a (runs, run size) view: each run's people in a row."""
        return by_run(values, self.runs)

    def count_by_run(self, mask: np.ndarray) -> np.ndarray:
        """People of each run for whom ``mask`` (one flag per person) holds."""
        if self.runs == 1:
            return np.array([np.count_nonzero(mask)])
        # Row by row: count_nonzero of a whole row is several times faster than a reduction along an axis.
        return np.array([np.count_nonzero(row) for row in self.by_run(mask)])

    def move_to_stage(self, who: np.ndarray, new_stage: np.ndarray | int, week: int) -> None:
        """Set the stage of ``who`` (indices) and record first arrivals."""
        if who.size == 0:
            return
        new_stage = np.asarray(new_stage, dtype=np.int8)
        changed = self.stage[who] != new_stage
        who = who[changed]
        if new_stage.ndim:
            new_stage = new_stage[changed]
        self.stage[who] = new_stage
        self.stage_since[who] = week
        # Flat positions in reached_week: far cheaper than a 2-D fancy index with int8 stage codes.
        flat = who * len(STAGES) + new_stage
        reached = self.reached_week.reshape(-1, copy=False)  # a view: written through
        reached[flat[reached.take(flat) < 0]] = week

    def stage_counts(self) -> np.ndarray:
        """People in each stage (over every run)."""
        return self.stage_counts_by_run().sum(axis=0)

    def stage_counts_by_run(self) -> np.ndarray:
        """People of each run (rows) in each stage (columns)."""
        # One comparison per stage is several times faster than bincount of int8 codes.
        return np.array([self.count_by_run(self.stage == s) for s in range(len(STAGES))]).T


def by_run(values: np.ndarray, runs: int) -> np.ndarray:
    """A per-person array of ``runs`` equal runs as a view of shape (runs, run size); never a copy."""
    return values.reshape(runs, -1, copy=False)
