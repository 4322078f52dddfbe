"""Sensitivity-analysis throughput: model evaluations per second on 1 and 2 workers, processes and Dask.

Each configuration evaluates the same sample rows of the recoverysim model (5,000 people x 10 years by
default) and reports the wall time with and without worker start-up. Tasks hold the rows the pipeline gives
them (``default_chunk_size``: runs stepped together in batches of ``simulation.runs_per_batch``); the baseline in
the same run gives each task one row, so each run is stepped alone, as before batching. The steady rate
extrapolates the issue's target: Sobol, 20 parameters, N = 256 with second-order indices = 256 x 42 = 10,752
runs in at most 60 minutes on 2 cores.

    .venv/bin/python benchmarks/bench_sensitivity.py [--evals 96] [--baseline-evals 32] [--population 5000]
                                                     [--years 10] [--sobol-barriers]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from recoverysim.sensitivity.evaluation import batch_rows, default_chunk_size, evaluate
from recoverysim.sensitivity.experiment import load_experiment
from recoverysim.sensitivity.model_adapter import build_model_function
from recoverysim.sensitivity.sampling import sample
from recoverysim.simulation import runs_per_batch

ROOT = Path(__file__).resolve().parent.parent
TARGET_RUNS = 256 * (2 * 20 + 2)
TARGET_SECONDS = 3600.0


def measure(func, x, executor, workers, chunk_size):
    """Return (total seconds, steady runs/s) for evaluating x; steady excludes start-up and the first chunks."""
    stamps = []
    from recoverysim.sensitivity import evaluation

    original = evaluation.ResultStore.append

    def append(store, rows, xs):
        stamps.append((time.perf_counter(), len(rows)))
        return original(store, rows, xs)

    evaluation.ResultStore.append = append
    try:
        t0 = time.perf_counter()
        ev = evaluate(func, x, executor=executor, workers=workers, chunk_size=chunk_size, progress=False)
        total = time.perf_counter() - t0
    finally:
        evaluation.ResultStore.append = original
    assert not ev.errors, ev.errors
    # Steady rate: runs finished after the first `workers` results over the time they took.
    if len(stamps) > workers:
        t_first = stamps[workers - 1][0]
        runs = sum(n for _, n in stamps[workers:])
        steady = runs / max(stamps[-1][0] - t_first, 1e-9)
    else:
        steady = len(x) / total
    return total, steady


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--evals", type=int, default=96, help="model runs per batched configuration (default 96)")
    ap.add_argument("--baseline-evals", type=int, default=32,
                    help="model runs per one-run-per-task configuration (default 32)")
    ap.add_argument("--population", type=int, default=5000)
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--sobol-barriers", action="store_true",
                    help="also time experiments/sobol_barriers.toml at its shipped size (about 25 min)")
    args = ap.parse_args(argv)
    import os

    load = os.getloadavg()[0]
    print(f"load average at start: {load:.2f} on {os.cpu_count()} CPUs"
          + ("  (WARNING: machine busy, rates will be low)" if load > 0.5 else ""), flush=True)

    exp = load_experiment(ROOT / "experiments" / "sobol_barriers.toml", population=args.population,
                          years=args.years)
    func = build_model_function(exp)
    x = sample(exp.design)[: max(args.evals, args.baseline_evals)]
    chunk = default_chunk_size(TARGET_RUNS, batch_rows(func))
    print(f"model: {args.population} people x {args.years} years, rows of sobol_barriers, 1 replicate each; "
          f"batched tasks of {chunk} rows (the pipeline's size at the target), baseline tasks of 1 row", flush=True)
    t0 = time.perf_counter()
    func(x[:1])
    single = time.perf_counter() - t0
    print(f"one run in-process: {single:.2f} s", flush=True)

    rows = []
    configs = [("processes", 1, 1, args.baseline_evals), ("processes", 2, 1, args.baseline_evals)]
    configs += [(executor, workers, chunk, args.evals) for executor in ("processes", "dask") for workers in (1, 2)]
    for executor, workers, size, evals in configs:
        total, steady = measure(func, x[:evals], executor, workers, size)
        label = "one run per task" if size == 1 else f"batches of {min(size, runs_per_batch(args.population))}"
        rows.append((executor, workers, label, total, evals / total, steady))
        print(f"  {executor:<9} {workers} worker(s), {label}: {total:6.1f} s total, "
              f"{evals / total:5.2f} runs/s incl. start-up, {steady:5.2f} runs/s steady", flush=True)

    print()
    print(f"{'executor':<10}{'workers':>8}  {'tasks':<18}{'wall s':>9}{'runs/s':>9}{'steady runs/s':>15}")
    for executor, workers, label, total, rate, steady in rows:
        print(f"{executor:<10}{workers:>8}  {label:<18}{total:>9.1f}{rate:>9.2f}{steady:>15.2f}")
    best = max(r[5] for r in rows if r[1] == 2 and r[2] != "one run per task")
    alone = max(r[5] for r in rows if r[1] == 2 and r[2] == "one run per task")
    needed = TARGET_RUNS / TARGET_SECONDS
    print()
    print(f"target: Sobol 20 parameters N=256 = {TARGET_RUNS} runs in <= 60 min on 2 cores "
          f"needs {needed:.2f} runs/s")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    print(f"2 workers, batched: {best:.2f} runs/s -> {TARGET_RUNS / best / 3600:.2f} h for the target: "
          f"{'MET' if best >= needed else 'NOT MET'} (at {args.population} people x {args.years} years); "
          f"one run per task: {alone:.2f} runs/s -> {TARGET_RUNS / alone / 3600:.2f} h; batching gives "
          f"{best / alone:.2f}x")

    if args.sobol_barriers:
        out = Path(tempfile.mkdtemp(prefix="sobol_barriers_"))
        shutil.rmtree(out)
        from recoverysim.sensitivity.cli import main as cli_main

        t0 = time.perf_counter()
        code = cli_main([str(ROOT / "experiments" / "sobol_barriers.toml"), "--out", str(out), "--workers", "2"])
        print(f"sobol_barriers at shipped size: exit {code}, {time.perf_counter() - t0:.0f} s wall; "
              f"results in {out}")
    return 0


if __name__ == "__main__":
    np.set_printoptions(precision=3)
    sys.exit(main())
