"""``recoverysim sensitivity EXPERIMENT``: run an experiment file through sample -> evaluate -> analyze.

The main CLI registers the subcommand with :func:`add_parser` and calls the handler stored in
``args.func``. ``python -m recoverysim.sensitivity.cli`` runs the subcommand on its own.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from recoverysim.errors import RecoverysimError
from recoverysim.executor import check_scheduler_address
from recoverysim.sensitivity.evaluation import EXECUTORS

#: Model runs (sample points x replicates) a sensitivity run may start without ``--yes``.
MAX_RUNS = 200_000


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register the ``sensitivity`` subcommand on an ``add_subparsers()`` object; returns its parser."""
    p = subparsers.add_parser(
        "sensitivity", help="global sensitivity analysis (Morris, Sobol, FAST) from an experiment file",
        description="Sample the experiment's parameters, run the model for every sample (storing each run "
                    "as it finishes), and compute sensitivity indices, tables and figures.")
    configure(p)
    return p


def configure(p: argparse.ArgumentParser) -> None:
    """Add the subcommand's arguments to a parser and set ``func`` to the handler."""
    p.add_argument("experiment", type=Path, help="experiment TOML file (see experiments/)")
    from recoverysim.cli import add_quiet, add_workers

    p.add_argument("--out", type=Path, default=None,
                   help="results folder (default results/sensitivity/EXPERIMENT_NAME); must be new or "
                        "empty unless --resume")
    p.add_argument("--force", action="store_true", help="start over in an existing --out folder, deleting it")
    p.add_argument("--executor", choices=EXECUTORS, default="processes",
                   help="where runs execute (default processes)")
    add_workers(p)
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="join a running Dask scheduler, e.g. tcp://127.0.0.1:8786 (implies --executor dask)")
    p.add_argument("--dask-dashboard", default=None, metavar="ADDRESS",
                   help="serve the local Dask cluster's dashboard there, e.g. 127.0.0.1:8787 (default: none)")
    p.add_argument("--resume", action="store_true",
                   help="continue the run stored in --out, evaluating only the missing samples")
    p.add_argument("--n", type=int, default=None, help="override the experiment's sample size n")
    p.add_argument("--population", type=int, default=None, help="override the population size of every run")
    p.add_argument("--years", type=int, default=None, help="override the simulated years of every run")
    p.add_argument("--replications", type=int, default=None, help="override replicates per sample point")
    p.add_argument("--second-order", action=argparse.BooleanOptionalAction, default=None,
                   help="sobol only: compute second-order indices (2d + 2 runs per base row) or not, "
                        "overriding the file's sobol.second_order")
    p.add_argument("--chunk-size", type=int, default=None, help="sample rows per task (default automatic)")
    add_quiet(p)
    p.add_argument("--no-figures", action="store_true", help="skip the figures")
    p.add_argument("--yes", action="store_true",
                   help=f"confirm a run of more than {MAX_RUNS:,} model runs (the cap on sample points x replicates)")
    p.set_defaults(func=run_command)


def run_command(args: argparse.Namespace) -> int:
    """Handle ``recoverysim sensitivity``; RecoverysimError propagates for the main CLI to report."""
    from recoverysim.executor import resolve_workers
    from recoverysim.sensitivity.experiment import load_experiment
    from recoverysim.sensitivity.model_adapter import build_model_function, replicate_seeds
    from recoverysim.sensitivity.pipeline import check_folder, run_pipeline

    executor = "dask" if args.scheduler else args.executor
    workers = resolve_workers(args.workers)
    if args.scheduler:
        check_scheduler_address(args.scheduler)
    if args.chunk_size is not None and args.chunk_size < 1:
        raise RecoverysimError(f"--chunk-size must be at least 1, got {args.chunk_size}")
    # Every input is validated before the results folder is touched.
    exp = load_experiment(args.experiment, n=args.n, population=args.population,
                          replications=args.replications, years=args.years, second_order=args.second_order)
    design = exp.design
    runs = design.n_rows * exp.replications * (2 if exp.effect_of else 1)  # a paired effect runs both arms
    where = "" if executor == "serial" else f" ({args.scheduler or f'{workers} workers'})"
    print(f"{exp.source}: {design.method} on {design.d} parameters, n={design.n} -> {design.n_rows:,} sample "
          f"points x {exp.replications} replicate(s) = {runs:,} model runs, {len(exp.outputs)} outputs; "
          f"executor {executor}{where}", file=sys.stderr)
    if runs > MAX_RUNS and not args.yes:
        raise RecoverysimError(f"{exp.source}: n: {runs:,} model runs is above the cap of {MAX_RUNS:,}; lower n "
                               "(or --n), or pass --yes to run them")
    func = build_model_function(exp)
    out = args.out if args.out is not None else Path("results") / "sensitivity" / exp.source.stem
    check_folder(out, args.resume, args.force)
    # What must match to resume: the design (in run_pipeline), the resolved scenario and the replicates.
    identity = {"scenario_hash": func.scenario.content_hash, "replications": exp.replications, "start": exp.start,
                **({"effect_of_hash": func.contrast.content_hash} if func.contrast is not None else {})}
    extra = {"experiment": exp.to_dict(), "scenario": {"file": str(exp.scenario),
                                                       "content_hash": func.scenario.content_hash},
             "outputs_are": ("paired effects: effect_of minus scenario on the same seeds, mean over replicates"
                             if func.contrast is not None else "levels: mean over replicates"),
             "runs_start_from": ("each row's own spin-up (its own stationary state)" if exp.start == "own_spin_up"
                                 else "the scenario's status quo, with the row's values from its last week on "
                                      "(a change made now)"),
             "replicate_seeds": replicate_seeds(design.seed, exp.replications)}
    result = run_pipeline(design, func, out, outputs=exp.output_names, executor=executor, workers=workers,
                          scheduler=args.scheduler, resume=args.resume,
                          chunk_size=args.chunk_size or exp.chunk_size, progress=not args.quiet,
                          figures=not args.no_figures, identity=identity, manifest_extra=extra,
                          dashboard=args.dask_dashboard)
    m = result.manifest
    print(f"done in {m['wall_time_seconds']:.1f} s: {m['counts']['succeeded']} runs; indices in "
          f"{out / 'indices.csv'}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry point with the main CLI's error convention (one line, exit status 2)."""
    parser = argparse.ArgumentParser(prog="recoverysim sensitivity")
    configure(parser)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except RecoverysimError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; finished runs are stored, continue with --resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
