"""``recoverysim compare BASE OTHER...``: paired scenario comparison into a results folder with a report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from recoverysim.errors import RecoverysimError


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register the ``compare`` subcommand; returns its parser."""
    p = subparsers.add_parser(
        "compare", help="compare scenarios against a base on common random numbers, with a report",
        description="Run BASE and every OTHER scenario on the same seeds and report each one's effect versus "
                    "BASE as paired differences with 95% intervals. Scenarios are files or bare names from "
                    "scenarios/ (e.g. japan_baseline trauma_informed_care).")
    p.add_argument("base", help="base scenario (file or name)")
    p.add_argument("others", nargs="+", metavar="other", help="scenarios to compare with the base")
    from recoverysim.cli import add_output_options, add_quiet, add_run_overrides, add_workers

    add_output_options(p, "results/compare_BASE_vs_OTHER")
    add_run_overrides(p)  # applied to every scenario; replicates and seed default to the base's
    add_workers(p)
    p.add_argument("--no-independent", action="store_true",
                   help="skip the independent-seed rerun that shows how much pairing narrows the intervals")
    p.add_argument("--effect-uncertainty", action="store_true",
                   help="also run every scenario once per replicate with its reforms' effects drawn from their "
                        "evidence (reform_evidence.py): uncertainty.csv gives each difference with Monte Carlo "
                        "uncertainty only and over the draws, and the probability of benefit")
    p.add_argument("--posterior", default=None, metavar="FILE",
                   help="posterior ensemble (calibrate --method abc; e.g. data/posterior/japan_baseline.json): "
                        "every scenario also runs --draws times, draw k with the k-th parameter set and the "
                        "reforms' effects drawn, so the intervals hold parameter, effect and chance uncertainty")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="run on the Dask cluster at this scheduler address (e.g. tcp://127.0.0.1:8786) instead of "
                        "local worker processes; the results are identical")
    p.add_argument("--draws", type=int, default=None,
                   help="uncertainty draws with --posterior (default: --replications)")
    add_quiet(p)
    p.set_defaults(func=run_command)
    return p


def load_compared(names: list[str], args: argparse.Namespace):
    """Resolve names or paths and load every scenario with the command's overrides (all before any run)."""
    from recoverysim.cli import scenario_from_args

    # --replications and --seed are applied by the comparison itself, not to the scenario files.
    # Whether they can be compared is checked once, by the comparison itself (compare.run_comparison).
    return [scenario_from_args(n, args, skip=("replications", "seed")) for n in names]


def default_out(scenarios) -> Path:
    """``results/compare_<base>_vs_<other>`` (or ``_vs_<k>_scenarios``)."""
    base, others = scenarios[0].name, scenarios[1:]
    tail = others[0].name if len(others) == 1 else f"{len(others)}_scenarios"
    return Path("results") / f"compare_{base}_vs_{tail}"


def run_command(args: argparse.Namespace) -> int:
    """Handle ``recoverysim compare``."""
    from recoverysim.compare import compare_to_folder
    from recoverysim.executor import resolve_workers

    if args.replications is not None and args.replications < 2:
        raise RecoverysimError("--replications must be at least 2 to put an interval on a difference")
    scenarios = load_compared([args.base, *args.others], args)
    out = Path(args.out) if args.out else default_out(scenarios)
    workers = resolve_workers(args.workers)
    if args.seed is not None and args.seed < 0:
        raise RecoverysimError(f"--seed must be 0 or more, got {args.seed}")
    if args.draws is not None and args.posterior is None:
        raise RecoverysimError("--draws needs --posterior FILE (--effect-uncertainty alone draws once per replicate)")
    if args.draws is not None and args.draws < 2:
        raise RecoverysimError(f"--draws must be at least 2, got {args.draws}")
    if args.scheduler is not None:
        from recoverysim.executor import check_scheduler_address

        check_scheduler_address(args.scheduler)
    posterior = None
    if args.posterior is not None:
        from recoverysim.calibration.posterior import load_posterior

        posterior = load_posterior(args.posterior)  # checked before any run
    base = scenarios[0]
    reps = args.replications or base.params.run.replications
    print(f"Comparing {len(scenarios) - 1} scenario(s) with {base.name}: {base['population.size']:,} people x "
          f"{base['run.years']} years x {reps} replicates", file=sys.stderr)
    comparison = compare_to_folder(scenarios, out, args.replications, args.seed,
                                   independent=not args.no_independent, progress=not args.quiet, workers=workers,
                                   command=sys.argv, force=args.force, effect_uncertainty=args.effect_uncertainty,
                                   posterior=posterior, draws=args.draws, scheduler=args.scheduler)
    print(headline_table(comparison))
    print(f"\nReport: {out / 'report.html'} (also report.md, differences.csv, runs/, figures/)")
    return 0


def headline_table(comparison, metrics: tuple[str, ...] | None = None) -> str:
    """Plain-text table of paired differences for a few key outcomes."""
    from recoverysim.compare import KEY_OUTCOMES, fmt_diff, verdict

    metrics = metrics or KEY_OUTCOMES[:1] + KEY_OUTCOMES[3:7]
    diff = comparison.differences.set_index(["scenario", "metric"])
    lines = [f"Effects versus {comparison.base.scenario.name} (paired difference [95% interval]):"]
    for other in comparison.others:
        name = other.scenario.name
        lines.append(f"  {name}")
        for m in metrics:
            r = diff.loc[(name, m)]
            lines.append(f"    {m:42s} {fmt_diff(r.difference, m):>10s}  [{fmt_diff(r.ci_low, m)}, "
                         f"{fmt_diff(r.ci_high, m)}]  {verdict(m, r.ci_low, r.ci_high)}")
    return "\n".join(lines)
