"""The contents of a ``recoverysim run`` folder: manifest, tables and figures."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from recoverysim import figures
from recoverysim.parameters import STAGES
from recoverysim.results import atomic_directory, manifest, write_manifest
from recoverysim.scenario import Scenario
from recoverysim.simulation import Results, run_replications

TIMESERIES_FLOAT_FORMAT = "%.6g"


def run_to_folder(scenario: Scenario, out: Path, replications: int | None = None, seed: int | None = None,
                  progress: bool = False, command: list[str] | None = None, force: bool = False) -> Results:
    """Run the replicates and write the folder atomically; returns the results.

    The output location is checked (:func:`recoverysim.results.check_output`) before anything runs.
    """
    with atomic_directory(out, force) as tmp:
        start = time.perf_counter()
        results = run_replications(scenario, replications, seed, progress=progress)
        write_folder(results, tmp, time.perf_counter() - start, command)
    return results


def write_folder(results: Results, folder: Path, wall_seconds: float, command: list[str] | None = None) -> None:
    """Write manifest.json, timeseries.csv, summary.csv, subgroups.csv, transitions.csv and figures/."""
    scenario = results.scenario
    write_manifest(folder, "run", manifest(scenario, [r.seed for r in results.runs], wall_seconds, command,
                                           replications=len(results.runs)))
    results.timeseries.to_csv(folder / "timeseries.csv", index=False, float_format=TIMESERIES_FLOAT_FORMAT)
    results.summary().to_csv(folder / "summary.csv", index=False, float_format=TIMESERIES_FLOAT_FORMAT)
    results.headlines.to_csv(folder / "replicates.csv", index=False, float_format=TIMESERIES_FLOAT_FORMAT)
    sub = results.subgroups.groupby(["subgroup", "level", "stage"], sort=False)["share_end"].mean().reset_index()
    sub.to_csv(folder / "subgroups.csv", index=False, float_format=TIMESERIES_FLOAT_FORMAT)
    pd.DataFrame(results.yearly_transitions, index=pd.Index(STAGES, name="from"), columns=STAGES).to_csv(
        folder / "transitions.csv", float_format=TIMESERIES_FLOAT_FORMAT)
    fig_dir = folder / "figures"
    fig_dir.mkdir()
    figures.stage_occupancy(results.timeseries, fig_dir / "stage_occupancy.png", f"Stage occupancy: {scenario.name}")
    figures.time_to_stage(results.survival, fig_dir / "time_to_stage.png", f"Time to each stage: {scenario.name}")
