"""sample -> evaluate -> analyze for any callable, with the results folder, resume and manifest."""

from __future__ import annotations

import json
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from recoverysim.results import OutputFolderError, write_manifest
from recoverysim.sensitivity.analysis import analyze, convergence
from recoverysim.sensitivity.evaluation import ResultStore, batch_rows, default_chunk_size, evaluate
from recoverysim.sensitivity.sampling import Design, sample

STORE_NAME = "evaluations.sqlite"


@dataclass
class PipelineResult:
    """What a run produced (also written to the folder)."""

    folder: Path
    x: np.ndarray
    y: np.ndarray
    errors: dict[int, str]
    indices: pd.DataFrame | None
    manifest: dict[str, Any]


def check_folder(folder: str | Path, resume: bool, force: bool = False) -> Path:
    """Refuse a non-empty folder unless resuming or ``force`` (checked before anything is written).

    ``force`` deletes the folder to start over; the output-location rules of every command apply
    (:func:`recoverysim.results.check_output`).
    """
    from recoverysim.results import check_output

    folder = check_output(folder, force=True)  # location rules; the content rule of this command is below
    if folder.is_dir() and any(folder.iterdir()):
        if force and not resume:
            shutil.rmtree(folder)
            return folder
        if not resume:
            raise OutputFolderError(f"{folder}: results folder exists and is not empty; pass --resume to "
                                    "continue the run stored there, --force to start over, or choose another --out")
        if not (folder / STORE_NAME).is_file():
            raise OutputFolderError(f"{folder}: cannot resume: no {STORE_NAME} in it")
    return folder


def run_pipeline(design: Design, func: Callable[[np.ndarray], np.ndarray], folder: str | Path, *,
                 outputs: Sequence[str] | None = None, executor: str = "serial", workers: int = 1,
                 scheduler: str | None = None, resume: bool = False, chunk_size: int | None = None,
                 progress: bool = True, figures: bool = True, identity: dict[str, Any] | None = None,
                 manifest_extra: dict[str, Any] | None = None, log: Callable[[str], None] | None = None,
                 dashboard: str | None = None) -> PipelineResult:
    """Sample, evaluate (storing every row as it finishes) and analyse; write everything to ``folder``.

    Args:
        design: What to vary and how.
        func: Callable mapping an (m, d) array to (m, k) outputs (picklable for processes/dask).
        folder: Results folder; must be empty or absent unless ``resume``.
        outputs: Names of the k outputs (default ``y0..``).
        executor: ``serial``, ``processes`` or ``dask``.
        workers: Worker processes.
        scheduler: Dask scheduler address to join.
        resume: Continue the run stored in ``folder``, evaluating only missing rows.
        chunk_size: Rows per task (fixed for the life of a store).
        progress: Show the progress bar.
        figures: Draw the figures.
        identity: Extra items that must match on resume (e.g. model settings).
        manifest_extra: Extra items for manifest.json.
        log: Where to send progress messages (default stderr).
        dashboard: Dashboard address of a local Dask cluster (none unless given).

    Returns:
        The samples, outputs, failures, indices (None when evaluations failed) and manifest.

    Raises:
        AnalysisError: Some evaluations failed (after everything else is written).
    """
    log = log or (lambda msg: print(msg, file=sys.stderr))
    started = time.perf_counter()
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    folder = check_folder(folder, resume)
    x = sample(design)
    outputs = list(outputs) if outputs is not None else None
    expected = {"design": design.to_dict(), "outputs": outputs, "n_rows": int(x.shape[0]),
                **(identity or {})}
    store_path = folder / STORE_NAME
    resumed = store_path.is_file()
    if resumed:
        with ResultStore(store_path) as store:  # verify before writing anything
            store.check_meta(**expected)
            store.check_inputs(x)
            chunk_size = store.meta().get("chunk_size", chunk_size)
    chunk_size = int(chunk_size or default_chunk_size(x.shape[0], batch_rows(func)))
    folder.mkdir(parents=True, exist_ok=True)
    with ResultStore(store_path) as store:
        store.set_meta(**expected, chunk_size=chunk_size, created_at=started_at)
        previously = len(store.done())
        if resumed:
            log(f"resuming {folder}: {previously} of {x.shape[0]} evaluations already stored")
        pd.DataFrame(x, columns=list(design.names)).rename_axis("index").to_csv(folder / "samples.csv")
        ev = evaluate(func, x, executor=executor, workers=workers, scheduler=scheduler, chunk_size=chunk_size,
                      store=store, progress=progress, n_outputs=len(outputs) if outputs else None,
                      desc=f"{design.method} runs", dashboard=dashboard)
        y, errors = ev.Y, ev.errors
    outputs = outputs or [f"y{j}" for j in range(y.shape[1])]
    results = pd.DataFrame(y, columns=outputs).rename_axis("index")
    results["error"] = pd.Series(errors, dtype=object).reindex(results.index)
    results["seconds"] = ev.seconds
    results.to_csv(folder / "results.csv")

    indices = conv = None
    if errors:
        shown = "\n".join(f"  [{i}] {msg}" for i, msg in list(errors.items())[:5])
        log(f"{len(errors)} of {x.shape[0]} evaluations failed; first ones:\n{shown}")
    else:
        indices = analyze(design, x, y, outputs)
        indices.to_csv(folder / "indices.csv", index=False)
        conv = convergence(design, x, y, outputs)
        conv.to_csv(folder / "convergence.csv", index=False)
        if figures:
            plot_files = _figures(indices, conv, folder / "figures")
            log(f"wrote {len(plot_files)} figures to {folder / 'figures'}")
    manifest = {
        "created_at": started_at,
        "salib_version": _version("SALib"),
        "method": design.method,
        "problem": design.problem,
        "design": design.to_dict(),
        "outputs": outputs,
        "seeds": {"sample": design.seed, "analysis_bootstrap": "derived from the sample seed"},
        "executor": executor,
        "workers": workers,
        "scheduler": scheduler,
        "chunk_size": chunk_size,
        "resumed": resumed,
        "counts": {"samples": int(x.shape[0]), "stored_before_this_session": previously,
                   "evaluated_this_session": ev.evaluated_now, "failed": len(errors),
                   "succeeded": int(x.shape[0]) - len(errors)},
        "failed_indices": list(errors)[:1000],
        "wall_time_seconds": round(time.perf_counter() - started, 3),
        "evaluation_cpu_seconds": round(float(np.nansum(ev.seconds)), 3),
        "files": {"store": STORE_NAME, "samples": "samples.csv", "results": "results.csv",
                  "indices": "indices.csv" if indices is not None else None,
                  "convergence": "convergence.csv" if indices is not None else None},
        **(manifest_extra or {}),
    }
    manifest = json.loads(write_manifest(folder, "sensitivity", manifest).read_text(encoding="utf-8"))
    result = PipelineResult(folder, x, y, errors, indices, manifest)
    if errors:
        analyze(design, x, y, outputs, failed=list(errors))  # always raises AnalysisError naming the rows
    return result


def _figures(indices: pd.DataFrame, conv: pd.DataFrame, folder: Path) -> list[Path]:
    from recoverysim.sensitivity.figures import plot_all

    return plot_all(indices, conv, folder)


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "unknown"
