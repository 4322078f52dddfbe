"""Simulated statistics comparable with observed targets, and the simulated-vs-observed comparison.

Each replicate is turned into the statistics of :data:`recoverysim.outcomes.TARGET_METRICS` (after the targets
file's burn-in) plus the curves the report plots. Replicates run in batches through the simulation's entry
point with seeds ``replicate_seed(seed, r)``: the same seeds for every parameter set, so calibration compares
parameter sets on common random numbers.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from recoverysim.calibration.targets import Targets
from recoverysim.executor import WorkerPool, run_tasks
from recoverysim.intervals import mean_interval
from recoverysim.metrics import readmission_days, stay_of_admissions, within
from recoverysim.outcomes import DISCHARGE_CURVE_DAYS, READMISSION_CURVE_DAYS
from recoverysim.parameters import DAYS_PER_WEEK, PARAMETERS, WEEKS_PER_YEAR
from recoverysim.random_streams import derive_seed
from recoverysim.scenario import Scenario
from recoverysim.simulation import RunResult, simulate_replicates, simulate_together
from recoverysim.simulation import batches as simulation_batches

if TYPE_CHECKING:
    from recoverysim.calibration.posterior import Posterior


def replicate_statistics(scenario: Scenario, replicates: Sequence[int], burn_in_years: int = 0,
                         curves: bool = True) -> list[dict[str, Any]]:
    """Run these replicates stepped together (one batch); each gives ``{"metrics": {...}, "curves": {...}}``.

    The metrics are the outcomes of :data:`recoverysim.outcomes.TARGET_METRICS`; each replicate's numbers are
    those of the replicate run alone (``simulation.simulate_replicates``).
    """
    burn = min(burn_in_years * WEEKS_PER_YEAR, (scenario.params.run.years - 1) * WEEKS_PER_YEAR)
    runs = simulate_replicates(scenario, replicates, episodes=True)
    return [_statistics(run, scenario, burn, curves) for run in runs]


def job_statistics(jobs: Sequence[tuple[Scenario, int, int]], burn_in_years: int) -> list[dict[str, float]]:
    """Target metrics of (scenario, seed, replicate) jobs stepped together in one batch.

    The jobs' parameter sets may differ (``calibrate --method abc``) but must agree on ``batch.STRUCTURAL``.
    """
    years = jobs[0][0].params.run.years
    burn = min(burn_in_years * WEEKS_PER_YEAR, (years - 1) * WEEKS_PER_YEAR)
    runs = simulate_together(jobs, episodes=True)
    return [_statistics(run, job[0], burn, curves=False)["metrics"] for run, job in zip(runs, jobs, strict=True)]


def _statistics(run: RunResult, scenario: Scenario, burn: int, curves: bool) -> dict[str, Any]:
    size = scenario.params.population.size
    ts = run.timeseries
    weeks = int(ts["week"].iloc[-1])
    after = ts[ts["week"] > burn]
    n_adm = float(after["admissions_voluntary"].sum() + after["admissions_involuntary"].sum())
    n_dis = float(after["discharges"].sum())
    bed_days = float(after["in_hospital"].sum()) * DAYS_PER_WEEK
    person_days = size * (weeks - burn) * DAYS_PER_WEEK
    m: dict[str, float] = {}
    m["alos_mhlw_days"] = bed_days / ((n_adm + n_dis) / 2) if n_adm + n_dis else np.nan
    m["admissions_per_1000_person_years"] = n_adm * 1000 / (person_days / DAYS_PER_WEEK / WEEKS_PER_YEAR)
    m["involuntary_share_of_admissions"] = float(after["admissions_involuntary"].sum()) / n_adm if n_adm else np.nan
    m["involuntary_admissions_per_1000_person_years"] = (float(after["admissions_involuntary"].sum()) * 1000
                                                         / (person_days / DAYS_PER_WEEK / WEEKS_PER_YEAR))
    m["new_service_users_per_1000_per_year"] = (float(after["deaths"].sum() + after["left_services"].sum()) * 1000
                                                / (person_days / DAYS_PER_WEEK / WEEKS_PER_YEAR))
    m["restraint_per_million_per_day"] = float(after["restraint_hours"].sum()) / 24 / person_days * 1e6
    m["bed_occupancy"] = float(np.mean(after["in_hospital"].to_numpy() / np.maximum(after["beds"].to_numpy(), 1)))
    inpatient_weeks = max(float(after["in_hospital"].sum()), 1.0)
    m["inpatients_aged_65_plus_share"] = float(after["inpatients_aged_65_plus"].sum()) / inpatient_weeks
    m["inpatients_staying_1_year_plus_share"] = float(after["inpatients_staying_1_year_plus"].sum()) / inpatient_weeks
    adm, dis = run.admissions, run.discharges
    los = stay_of_admissions(adm, dis)
    new = adm["week"].to_numpy() > burn
    los_new = los[new]
    followed = (weeks - adm["week"].to_numpy()[new]) * DAYS_PER_WEEK
    finished = np.isfinite(los_new)
    m["mean_length_of_stay_days"] = float(los_new[finished].mean()) if finished.any() else np.nan
    for d in (90, 360, 365):
        m[f"discharged_within_{d}_days"] = within(los_new, followed, d)
    dis = dis[~dis["died"].to_numpy()]  # the dead cannot be readmitted
    readm = readmission_days(adm, dis)
    dis_new = dis["week"].to_numpy() > burn
    followed_d = (weeks - dis["week"].to_numpy()[dis_new]) * DAYS_PER_WEEK
    for d in (90, 180, 365):
        m[f"readmitted_within_{d}_days"] = within(readm[dis_new], followed_d, d)
    episodes = run.episodes[run.episodes["week"].to_numpy() > burn]
    h, r = episodes["hours"].to_numpy(float), episodes["restraint"].to_numpy(bool)
    m["restraint_median_hours"] = float(np.median(h[r])) if r.any() else np.nan
    m["seclusion_median_hours"] = float(np.median(h[~r])) if (~r).any() else np.nan
    counts = np.asarray(run.yearly_transitions)[burn // WEEKS_PER_YEAR:].sum(axis=0).astype(float)
    total = counts.sum()
    m["yearly_stay_share"] = float(np.trace(counts) / total) if total else np.nan
    m["yearly_improve_share"] = float(np.triu(counts, 1).sum() / total) if total else np.nan
    m["yearly_worsen_share"] = float(np.tril(counts, -1).sum() / total) if total else np.nan
    sub = run.subgroups
    row = sub[(sub["subgroup"] == "diagnosis") & (sub["level"] == "schizophrenia") & (sub["stage"] == "reunion")]
    m["schizophrenia_reunion_share_end"] = float(row["share_end"].iloc[0]) if len(row) else np.nan
    out: dict[str, Any] = {"metrics": {k: float(v) for k, v in m.items()}}
    if curves:
        out["curves"] = {
            "discharge": np.array([within(los_new, followed, d) for d in DISCHARGE_CURVE_DAYS]),
            "readmission": np.array([within(readm[dis_new], followed_d, d) for d in READMISSION_CURVE_DAYS]),
            "los": los_new[followed >= 360],
            "restraint_hours": h[r],
            "seclusion_hours": h[~r],
            "transitions": counts,
        }
    return out


def evaluate_replicates(scenario: Scenario, replications: int, burn_in_years: int, workers: int = 1,
                        curves: bool = True, pool: WorkerPool | None = None) -> list[dict[str, Any]]:
    """Statistics of replicates 0..R-1, in batches of replicates stepped together.

    The batches are cut into ``workers`` parts and run in worker processes (``pool``, or one made for the
    call) when ``workers`` > 1; the numbers do not depend on how they are cut.
    """
    groups = simulation_batches([scenario] * replications, parts=max(1, workers))
    args = [(scenario, group, burn_in_years, curves) for group in groups]
    done = run_tasks(replicate_statistics, args, workers, pool=pool)
    return [stats for batch in done for stats in batch]


def compare(targets: Targets, stats: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per target: observed band, simulated mean and 95% interval over replicates, met, residual."""
    rows = []
    for t in targets.targets:
        f = targets.factor(t)
        values = np.array([s["metrics"][t.metric] for s in stats], float) * f
        mean, lo, hi = mean_interval(values[np.isfinite(values)])
        rows.append({
            "target": t.key, "description": t.description, "metric": t.metric, "unit": t.unit,
            "observed": t.value, "low": t.low, "high": t.high, "simulated": mean, "ci_low": lo, "ci_high": hi,
            "role": t.role, "met": t.met(mean), "residual": t.residual(mean), "weight": t.weight,
            # only calibration targets carry loss: validation targets and input checks are never fitted
            "loss": t.weight * t.residual(mean) ** 2 if t.role == "calibration" else np.nan,
            "population": t.population, "year": t.year,
            "source": t.source, "mapping": t.mapping, "conversion": f,
        })
    return pd.DataFrame(rows)


def loss(targets: Targets, stats: list[dict[str, Any]]) -> float:
    """Calibration loss: sum of weight * residual^2 over role=calibration targets (see :meth:`Target.residual`)."""
    return float(compare(targets.for_calibration(), stats)["loss"].sum())


#: Quantiles of the predictive interval of a target over posterior draws (a 90% interval).
PREDICTIVE_INTERVAL = (0.05, 0.95)


def predictive(scenario: Scenario, targets: Targets, posterior: Posterior, draws: int, seed: int,
               workers: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Simulate ``draws`` posterior draws once each; per target the predictive interval and the share in band.

    Returns the per-target table and the per-draw statistics (one row per draw, one column per target).
    """
    chosen = posterior.draws(draws, seed)
    jobs = []
    for k, values in enumerate(chosen):
        sc = scenario.with_overrides({n: round(v) if PARAMETERS[n].kind is int else v for n, v in values.items()},
                                     source="posterior draw")
        jobs.append((sc, derive_seed(seed, 14, k), 0))
    groups = simulation_batches([j[0] for j in jobs], parts=max(1, workers))
    done = run_tasks(job_statistics, [([jobs[i] for i in g], targets.burn_in_years) for g in groups], workers)
    metrics: list[dict[str, float]] = [{}] * len(jobs)
    for g, out in zip(groups, done, strict=True):
        for i, m in zip(g, out, strict=True):
            metrics[i] = m
    per_draw = pd.DataFrame({t.key: [m[t.metric] * targets.factor(t) for m in metrics] for t in targets.targets})
    rows = []
    for t in targets.targets:
        v = per_draw[t.key].to_numpy(float)
        v = v[np.isfinite(v)]
        qs = (PREDICTIVE_INTERVAL[0], 0.5, PREDICTIVE_INTERVAL[1])
        lo, med, hi = (np.quantile(v, q) for q in qs) if v.size else (math.nan,) * 3
        rows.append({"target": t.key, "role": t.role, "observed": t.value, "low": t.low, "high": t.high,
                     "predictive_5%": lo, "predictive_median": med, "predictive_95%": hi,
                     "share_of_draws_in_band": float(np.mean((v >= t.low) & (v <= t.high))) if v.size else math.nan,
                     "observed_in_90%_interval": bool(v.size and lo <= t.value <= hi), "unit": t.unit})
    return pd.DataFrame(rows), per_draw



def validate_to_folder(scenario: Scenario, targets: Targets, out: Path, replications: int, workers: int,
                       command: list[str] | None = None, force: bool = False, posterior=None,
                       draws: int = 0) -> pd.DataFrame:
    """Run the replicates, compare with the targets and write the report folder atomically (checked first).

    With a ``posterior`` (calibration.posterior.Posterior), ``draws`` of its parameter sets are also run once
    each and ``predictive.csv`` gives every target's predictive interval (calibration.abc_report.predictive).
    """
    from recoverysim.calibration import report
    from recoverysim.results import atomic_directory, manifest, write_manifest

    with atomic_directory(out, force) as tmp:
        start = time.perf_counter()
        stats = evaluate_replicates(scenario, replications, targets.burn_in_years, workers)
        table = compare(targets, stats)
        wall = time.perf_counter() - start
        report.write_validation(tmp, scenario, targets, table, stats, wall, command)
        if posterior is not None:
            pred, per_draw = predictive(scenario, targets, posterior, draws, scenario.params.run.seed, workers)
            pred.to_csv(tmp / "predictive.csv", index=False, float_format="%.6g")
            per_draw.to_csv(tmp / "predictive_draws.csv", index_label="draw", float_format="%.6g")
        extra = ({"posterior": {**posterior.provenance, "file": str(posterior.path), "draws": draws}}
                 if posterior is not None else {})
        write_manifest(tmp, "validate", manifest(scenario, [], wall, command, replications=len(stats),
                                                 targets=targets.path, **extra))
    return table


__all__ = ["compare", "evaluate_replicates", "job_statistics", "loss", "predictive", "replicate_statistics",
           "validate_to_folder"]
