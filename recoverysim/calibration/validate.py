"""Simulated statistics comparable with observed targets, and the simulated-vs-observed comparison.

Each replicate is turned into the statistics of :data:`METRICS` (after the targets file's burn-in) plus the
curves the report plots. Replicates run with seeds ``replicate_seed(seed, r)``: the same seeds for every
parameter set, so calibration compares parameter sets on common random numbers.
"""

from __future__ import annotations

import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from recoverysim.calibration.targets import Targets
from recoverysim.intervals import mean_interval
from recoverysim.metrics import readmission_days, within
from recoverysim.parameters import DAYS_PER_WEEK, STAGES, WEEKS_PER_YEAR
from recoverysim.scenario import Scenario
from recoverysim.simulation import replicate_seed, simulate

#: Statistics the validation code computes from one replicate: name -> (unit, description).
METRICS: dict[str, tuple[str, str]] = {
    "alos_mhlw_days": ("days", "bed-days / ((admissions + discharges) / 2), MHLW formula"),
    "mean_completed_stay_days": ("days", "mean length of completed stays of admissions after burn-in"),
    "discharged_within_90_days": ("share", "admissions discharged within 90 days"),
    "discharged_within_360_days": ("share", "admissions discharged within 360 days"),
    "discharged_within_365_days": ("share", "admissions discharged within 365 days"),
    "readmitted_within_90_days": ("share", "discharges readmitted within 90 days"),
    "readmitted_within_180_days": ("share", "discharges readmitted within 180 days"),
    "readmitted_within_365_days": ("share", "discharges readmitted within 365 days"),
    "restraint_per_million_users_per_day": ("per million users per day", "people under restraint on a day"),
    "restraint_median_hours": ("hours", "median restraint episode length"),
    "seclusion_median_hours": ("hours", "median seclusion episode length"),
    "yearly_stay_share": ("share", "person-years staying in their stage"),
    "yearly_improve_share": ("share", "person-years moving to a later stage"),
    "yearly_worsen_share": ("share", "person-years moving to an earlier stage"),
    "schizophrenia_reunion_share_end": ("share", "reunion share at the end, schizophrenia diagnosis"),
    "admissions_per_1000_person_years": ("per 1,000 person-years", "admissions after burn-in"),
}
DISCHARGE_DAYS = np.arange(0, 729, DAYS_PER_WEEK)
READMISSION_DAYS = np.arange(0, 366, DAYS_PER_WEEK)


@dataclass
class ScenarioSpec:
    """A picklable description of a scenario (``Scenario.values`` is a read-only mapping proxy)."""

    name: str
    values: dict[str, Any]
    reforms: tuple
    source: str

    @classmethod
    def of(cls, scenario: Scenario) -> ScenarioSpec:
        """Capture a scenario."""
        return cls(scenario.name, dict(scenario.values), tuple(scenario.reforms), scenario.source)

    def build(self) -> Scenario:
        """Rebuild the scenario."""
        return Scenario(name=self.name, values=self.values, reforms=self.reforms, source=self.source)


def replicate_statistics(spec: ScenarioSpec | Scenario, replicate: int, burn_in_years: int = 0,
                         curves: bool = True) -> dict[str, Any]:
    """Run one replicate; returns ``{"metrics": {name: value}, "curves": {...}}``."""
    scenario = spec.build() if isinstance(spec, ScenarioSpec) else spec
    hours: list[tuple[np.ndarray, np.ndarray]] = []
    burn = min(burn_in_years * WEEKS_PER_YEAR, (scenario.params.run.years - 1) * WEEKS_PER_YEAR)

    def collect(model) -> None:
        ev = model.week_events
        if model.week > burn and len(ev["episode_hours"]):
            hours.append((np.asarray(ev["episode_hours"], float), np.asarray(ev["restraint"], bool)))

    run = simulate(scenario, seed=replicate_seed(scenario.params.run.seed, replicate), replicate=replicate,
                   on_step=collect)
    return _statistics(run, scenario, burn, hours, curves)


def _statistics(run, scenario: Scenario, burn: int, hours, curves: bool) -> dict[str, Any]:
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
    m["restraint_per_million_users_per_day"] = float(after["restraint_hours"].sum()) / 24 / person_days * 1e6
    adm, dis = run.admissions, run.discharges
    los = stay_of_admissions(adm, dis)
    new = adm["week"].to_numpy() > burn
    los_new = los[new]
    followed = (weeks - adm["week"].to_numpy()[new]) * DAYS_PER_WEEK
    finished = np.isfinite(los_new)
    m["mean_completed_stay_days"] = float(los_new[finished].mean()) if finished.any() else np.nan
    for d in (90, 360, 365):
        m[f"discharged_within_{d}_days"] = within(los_new, followed, d)
    readm = readmission_days(adm, dis)
    dis_new = dis["week"].to_numpy() > burn
    followed_d = (weeks - dis["week"].to_numpy()[dis_new]) * DAYS_PER_WEEK
    for d in (90, 180, 365):
        m[f"readmitted_within_{d}_days"] = within(readm[dis_new], followed_d, d)
    h = np.concatenate([x for x, _ in hours]) if hours else np.zeros(0)
    r = np.concatenate([y for _, y in hours]) if hours else np.zeros(0, bool)
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
            "discharge": np.array([within(los_new, followed, d) for d in DISCHARGE_DAYS]),
            "readmission": np.array([within(readm[dis_new], followed_d, d) for d in READMISSION_DAYS]),
            "los": los_new[followed >= 360],
            "restraint_hours": h[r],
            "seclusion_hours": h[~r],
            "transitions": counts,
        }
    return out


def stay_of_admissions(admissions: pd.DataFrame, discharges: pd.DataFrame) -> np.ndarray:
    """Days in hospital of each admission (inf if it had not ended by the end of the run)."""
    new = discharges[~discharges["prevalent"].to_numpy()]
    ends = pd.DataFrame({"person": new["person"].to_numpy(), "week": new["admitted_week"].to_numpy(),
                         "end": new["week"].to_numpy()})
    merged = admissions[["person", "week"]].merge(ends, on=["person", "week"], how="left")
    return ((merged["end"] - merged["week"]) * DAYS_PER_WEEK).fillna(np.inf).to_numpy(float)


def evaluate_replicates(scenario: Scenario, replications: int, burn_in_years: int, workers: int = 1,
                        curves: bool = True, pool: ProcessPoolExecutor | None = None) -> list[dict[str, Any]]:
    """Statistics of replicates 0..R-1 (run in a process pool when ``workers`` > 1 or ``pool`` is given)."""
    spec = ScenarioSpec.of(scenario)
    args = [(spec, r, burn_in_years, curves) for r in range(replications)]
    if pool is not None:
        return list(pool.map(replicate_statistics, *zip(*args, strict=True)))
    if workers <= 1 or replications == 1:
        return [replicate_statistics(*a) for a in args]
    with ProcessPoolExecutor(max_workers=min(workers, replications)) as ex:
        return list(ex.map(replicate_statistics, *zip(*args, strict=True)))


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
            "met": t.met(mean), "residual": t.residual(mean), "weight": t.weight,
            "loss": t.weight * t.residual(mean) ** 2, "population": t.population, "year": t.year,
            "source": t.source, "mapping": t.mapping, "conversion": f,
        })
    return pd.DataFrame(rows)


def loss(targets: Targets, stats: list[dict[str, Any]]) -> float:
    """Calibration loss: sum of weight * residual^2 over targets (see :meth:`Target.residual`)."""
    return float(compare(targets, stats)["loss"].sum())


def validate_to_folder(scenario: Scenario, targets: Targets, out: Path, replications: int, workers: int,
                       command: list[str] | None = None) -> pd.DataFrame:
    """Run the replicates, compare with the targets and write the report folder atomically."""
    from recoverysim.calibration import report
    from recoverysim.results import atomic_directory

    start = time.perf_counter()
    stats = evaluate_replicates(scenario, replications, targets.burn_in_years, workers)
    table = compare(targets, stats)
    wall = time.perf_counter() - start
    with atomic_directory(out) as tmp:
        report.write_validation(tmp, scenario, targets, table, stats, wall, command)
    return table


__all__ = ["METRICS", "STAGES", "ScenarioSpec", "compare", "evaluate_replicates", "loss", "replicate_statistics",
           "stay_of_admissions", "validate_to_folder"]
