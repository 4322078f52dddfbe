"""``recoverysim validate`` and ``recoverysim calibrate``: the subcommands of the calibration package."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from recoverysim.errors import RecoverysimError
from recoverysim.parameters import command_default

DEFAULT_TARGETS = Path("data/targets/japan.toml")


def add_parser(subparsers) -> None:
    """Register ``validate`` and ``calibrate`` on an ``add_subparsers()`` object."""
    p = subparsers.add_parser("validate", help="compare a scenario with observed targets and write a report",
                              description="Run the scenario, compare every target with the simulated value and "
                                          "its interval, write report.html/report.md. Calibration and validation "
                                          "targets are counted apart; input checks are consistency checks. "
                                          "Exit 0: every target met and every input check consistent; "
                                          "1: some missed; 2: input error.")
    p.add_argument("scenario", help="scenario file or bare name from scenarios/")
    p.add_argument("--targets", default=str(DEFAULT_TARGETS), help=f"targets TOML file (default {DEFAULT_TARGETS})")
    _common(p, "validate")
    p.add_argument("--replications", type=int, default=None,
                   help="replicates (default: the scenario's run.replications)")
    p.add_argument("--posterior", default=None, metavar="FILE",
                   help="also predict every target over --draws posterior draws (one run each): predictive.csv "
                        "gives the 90%% predictive interval and the share of draws in the band")
    p.add_argument("--draws", type=int, default=None,
                   help="posterior draws with --posterior (default: calibrate.abc_predictive_draws)")
    p.set_defaults(func=cmd_validate)
    p = subparsers.add_parser("calibrate", help="fit free parameters of a scenario to observed targets",
                              description="Fit --free parameters to the targets (loss: weighted sum of squared "
                                          "residuals scaled by the tolerances; common random numbers) and write "
                                          "the calibrated scenario file and a report.")
    p.add_argument("scenario", help="scenario file or bare name from scenarios/")
    p.add_argument("--targets", required=True, help="targets TOML file")
    p.add_argument("--free", action="append", required=True, metavar="dotted.key[=low:high]",
                   help="parameter to fit, optionally with bounds inside its declared range (repeatable)")
    p.add_argument("--target", action="append", default=None, metavar="KEY",
                   help="fit only these role=calibration targets (repeatable; default: every calibration target)")
    _common(p, "calibrate")
    p.add_argument("--replications", type=int, default=command_default("calibrate.replications"),
                   help="replicates per evaluation (default %(default)s)")
    p.add_argument("--budget", type=int, default=command_default("calibrate.budget"),
                   help="loss evaluations of the search (default %(default)s)")
    p.add_argument("--method", choices=("lhs-nm", "de", "abc"), default="lhs-nm",
                   help="lhs-nm: Latin hypercube then Nelder-Mead (default); de: differential evolution; abc: "
                        "ABC-SMC (pyabc), a posterior ensemble with uniform priors on the --free bounds")
    abc = p.add_argument_group("--method abc (docs/validation.md, Bayesian calibration)")
    abc.add_argument("--particles", type=int, default=command_default("calibrate.abc_particles"),
                     help="accepted particles per generation (default %(default)s)")
    abc.add_argument("--generations", type=int, default=command_default("calibrate.abc_generations"),
                     help="most generations, the prior's included (default %(default)s)")
    abc.add_argument("--min-epsilon", type=float, default=0.0,
                     help="stop once a generation's epsilon (loss threshold) is at most this (default 0)")
    abc.add_argument("--max-simulations", type=int, default=None,
                     help="hard cap on particles simulated; the last complete generation is the posterior")
    abc.add_argument("--max-minutes", type=float, default=None,
                     help="no batch of simulations starts after this many minutes (the generation under way is "
                          "abandoned)")
    abc.add_argument("--quantile", type=float, default=command_default("calibrate.abc_quantile"),
                     help="next epsilon = this quantile of the last generation's distances (default %(default)s)")
    abc.add_argument("--kernel-scale", type=float, default=command_default("calibrate.abc_kernel_scale"),
                     help="proposal kernel covariance = this x the last generation's weighted covariance (default "
                          "%(default)s)")
    abc.add_argument("--predictive-draws", type=int, default=command_default("calibrate.abc_predictive_draws"),
                     help="posterior draws run for the posterior predictive check in the report (default "
                          "%(default)s)")
    abc.add_argument("--scheduler", default=None, metavar="ADDRESS",
                     help="run the simulations on the Dask cluster at this scheduler address (e.g. "
                          "tcp://127.0.0.1:8786) instead of local worker processes; the posterior is identical")
    abc.add_argument("--resume", default=None, metavar="FOLDER",
                     help="continue the run whose results folder this is (same scenario, targets, --free and "
                          "settings), up to --generations in all; --max-simulations and --max-minutes are then "
                          "this continuation's budget")
    abc.add_argument("--posterior-out", default=None, metavar="FILE",
                     help="also write the posterior ensemble here (it is always in OUT/posterior.json)")
    p.add_argument("--profile-points", type=int, default=command_default("calibrate.profile_points"),
                   help="profile points per free parameter (default %(default)s)")
    p.add_argument("--write-scenario", default=None,
                   help="where to write the calibrated scenario (default: in OUT, under the scenario file's name)")
    p.set_defaults(func=cmd_calibrate)


def _common(p: argparse.ArgumentParser, command: str) -> None:
    from recoverysim.cli import add_output_options, add_quiet, add_run_overrides, add_workers

    add_output_options(p, f"results/{command}/SCENARIO_NAME")
    add_run_overrides(p, ("population", "years", "seed"))
    add_workers(p)
    add_quiet(p)


def _load(args: argparse.Namespace):
    from recoverysim.calibration.targets import load_targets
    from recoverysim.cli import scenario_from_args
    from recoverysim.executor import resolve_workers

    targets = load_targets(args.targets)
    scenario = scenario_from_args(args.scenario, args, skip=("replications",))
    if scenario.params.run.years <= targets.burn_in_years:
        raise RecoverysimError(f"{args.targets}: settings.burn_in_years: {targets.burn_in_years} leaves no years of "
                               f"a {scenario.params.run.years}-year run")
    if args.replications is not None and args.replications < 1:
        raise RecoverysimError("--replications must be at least 1")
    return scenario, targets, resolve_workers(args.workers)


def cmd_validate(args: argparse.Namespace) -> int:
    """Handle ``recoverysim validate``."""
    from recoverysim.calibration.targets import met_summary
    from recoverysim.calibration.validate import validate_to_folder

    scenario, targets, workers = _load(args)
    if args.draws is not None and args.posterior is None:
        raise RecoverysimError("--draws needs --posterior FILE")
    draws = command_default("calibrate.abc_predictive_draws") if args.draws is None else args.draws
    if draws < 2:
        raise RecoverysimError(f"--draws must be at least 2, got {draws}")
    posterior = None
    if args.posterior is not None:
        from recoverysim.calibration.posterior import load_posterior
        from recoverysim.compare import check_posterior

        posterior = load_posterior(args.posterior)
        check_posterior([scenario], posterior)
    replications = args.replications or scenario.params.run.replications
    out = Path(args.out or Path("results") / "validate" / scenario.name)
    print(f"Validating {scenario.name}: {scenario.params.population.size:,} people x {scenario.params.run.years} "
          f"years x {replications} replicates against {targets.path}"
          + (f", and {draws} posterior draws of {args.posterior}" if posterior else ""), file=sys.stderr)
    table = validate_to_folder(scenario, targets, out, replications, workers, command=sys.argv, force=args.force,
                               posterior=posterior, draws=draws)
    for r in table.itertuples():
        print(f"{'ok  ' if r.met else 'MISS'} {r.role:11s} {r.target:26s} observed {r.observed:9.4g} "
              f"[{r.low:.4g}, {r.high:.4g}]  simulated {r.simulated:9.4g} [{r.ci_low:.4g}, {r.ci_high:.4g}]")
    print(f"{met_summary(table)}; report: {out}/report.html")
    if posterior is not None:
        import pandas as pd

        pred = pd.read_csv(out / "predictive.csv")
        for r in pred.to_dict("records"):
            print(f"posterior {r['role']:11s} {r['target']:26s} observed {r['observed']:9.4g}  90% predictive "
                  f"[{r['predictive_5%']:.4g}, {r['predictive_95%']:.4g}]  draws in band "
                  f"{r['share_of_draws_in_band']:.0%}")
        inside = int(pred["observed_in_90%_interval"].sum())
        print(f"posterior predictive: observed inside the 90% interval for {inside}/{len(pred)} targets; "
              f"{out}/predictive.csv")
    return 0 if bool(table["met"].all()) else 1


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Handle ``recoverysim calibrate``."""
    from recoverysim.calibration import report
    from recoverysim.calibration.calibrate import (
        calibrate,
        calibrated_text,
        header_lines,
        parse_free,
        write_calibrated_scenario,
    )
    from recoverysim.results import atomic_directory, manifest, write_manifest
    from recoverysim.scenario import load_scenario

    free = [parse_free(s) for s in args.free]
    scenario, targets, workers = _load(args)
    targets.for_calibration(args.target)  # a validation target named with --target fails before any run
    if args.method == "abc":
        return _cmd_abc(args, scenario, targets, free, workers)
    if args.budget < 2:
        raise RecoverysimError("--budget must be at least 2")
    if args.profile_points < 0:
        raise RecoverysimError(f"--profile-points must be 0 or more, got {args.profile_points}")
    if args.replications is not None and args.replications < 1:
        raise RecoverysimError("--replications must be at least 1")
    replications = args.replications
    out = Path(args.out or Path("results") / "calibrate" / scenario.name)
    src = Path(scenario.source)
    dest = Path(args.write_scenario) if args.write_scenario else None
    if dest is not None:
        _check_file_destination("--write-scenario", dest, args.force)
    print(f"Calibrating {scenario.name}: {', '.join(p.name for p in free)}; {scenario.params.population.size:,} "
          f"people x {scenario.params.run.years} years x {replications} replicates, budget {args.budget}",
          file=sys.stderr)
    name = dest.name if dest else src.name
    with atomic_directory(out, args.force) as tmp:
        result = calibrate(scenario, targets, free, budget=args.budget, replications=replications,
                           seed=scenario.params.run.seed, method=args.method, profile_points=args.profile_points,
                           workers=workers, target_keys=args.target,
                           log=None if args.quiet else (lambda t: print(t, file=sys.stderr)))
        when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        note = f"calibrated {when[:10]} against {Path(targets.path).name}"
        text = calibrated_text(src.read_text(encoding="utf-8-sig"), result.fitted,
                               header_lines(targets, result, when), note)
        write_calibrated_scenario(src, tmp / name, text)
        if dest is None:
            load_scenario(tmp / name)  # the copy must be a valid scenario
        report.write_calibration(tmp, scenario, targets, result, tmp / name, sys.argv, replications)
        write_manifest(tmp, "calibrate", manifest(scenario, [], result.seconds, sys.argv, replications=replications,
                                                  targets=targets.path, fitted=result.fitted))
        if dest is not None:
            write_calibrated_scenario(src, dest, text)
            load_scenario(dest)
    for p in free:
        print(f"{p.name:40s} {result.start[p.name]:10.4g} -> {result.fitted[p.name]:10.4g}")
    print(f"loss {result.start_loss:.4g} -> {result.loss:.4g}; report: {out}/report.html")
    return 0


def _check_file_destination(flag: str, dest: Path, force: bool) -> None:
    """A file to write must be in an existing, writable folder and new unless ``--force`` (checked first)."""
    if dest.is_dir():
        raise RecoverysimError(f"{flag} {dest}: is a folder; give a file name")
    if not dest.parent.is_dir():
        raise RecoverysimError(f"{flag} {dest}: folder {dest.parent} does not exist")
    if dest.exists() and not force:
        raise RecoverysimError(f"{flag} {dest}: file exists; pass --force to replace it")
    if not os.access(dest.parent, os.W_OK):
        raise RecoverysimError(f"{flag} {dest}: cannot write in {dest.parent} (permission denied)")


def _cmd_abc(args: argparse.Namespace, scenario, targets, free, workers: int) -> int:
    """``calibrate --method abc``: ABC-SMC, the posterior ensemble, pyabc's database and the diagnostics."""
    import shutil

    from recoverysim.calibration.abc import AbcSettings, check_continuation, run_abc
    from recoverysim.calibration.posterior import load_posterior, save_posterior
    from recoverysim.results import atomic_directory, manifest, write_manifest

    settings = AbcSettings(particles=args.particles, generations=args.generations, min_epsilon=args.min_epsilon,
                           max_simulations=args.max_simulations, replications=args.replications,
                           quantile=args.quantile, kernel_scale=args.kernel_scale, workers=workers,
                           max_minutes=args.max_minutes, scheduler=args.scheduler)
    settings.check()
    if args.scheduler is not None:
        from recoverysim.executor import check_scheduler_address

        check_scheduler_address(args.scheduler)
    if args.write_scenario:
        raise RecoverysimError("--write-scenario: --method abc gives a posterior ensemble, not one fitted scenario; "
                               "use --posterior-out FILE")
    if args.predictive_draws < 0:
        raise RecoverysimError(f"--predictive-draws must be 0 or more, got {args.predictive_draws}")
    dest = Path(args.posterior_out) if args.posterior_out else None
    if dest is not None:
        _check_file_destination("--posterior-out", dest, args.force)
    out = Path(args.out or Path("results") / "calibrate" / scenario.name)
    resume = None if args.resume is None else Path(args.resume)
    if resume is not None:
        check_continuation(resume, scenario, targets, free, settings, target_keys=args.target)
    log = None if args.quiet else (lambda t: print(t, file=sys.stderr))
    print(f"ABC-SMC of {scenario.name}: {', '.join(p.name for p in free)}; {scenario.params.population.size:,} "
          f"people x {scenario.params.run.years} years x {settings.replications} replicates per particle, "
          f"{settings.particles} particles, up to {settings.generations} generations", file=sys.stderr)
    command = ["recoverysim", *sys.argv[1:]] if sys.argv and sys.argv[0].endswith("recoverysim") else list(sys.argv)
    with atomic_directory(out, args.force) as tmp:
        result = run_abc(scenario, targets, free, settings, tmp / "abc.db", command=command,
                         target_keys=args.target, log=log, resume=resume)
        save_posterior(result.posterior, tmp / "posterior.json")
        load_posterior(tmp / "posterior.json")  # the file must read back
        if dest is not None:  # written before the report, so a long run's ensemble survives a report failure
            shutil.copyfile(tmp / "posterior.json", dest)
        from recoverysim.calibration import abc_report

        check = abc_report.write_abc_report(tmp, scenario, targets, result, draws=args.predictive_draws,
                                            workers=workers, log=log)
        write_manifest(tmp, "calibrate", manifest(scenario, [], result.seconds, command,
                                                  replications=settings.replications, targets=targets.path,
                                                  method="abc", posterior="posterior.json"))
    post = result.posterior
    for j, name in enumerate(post.names):
        mean = float(post.weights @ post.values[:, j])
        print(f"{name:40s} posterior mean {mean:10.4g}  prior [{post.priors[name][0]:g}, {post.priors[name][1]:g}]")
    print(f"{len(post)} particles, ESS {post.effective_sample_size():.0f}, {result.simulations} simulations in "
          f"{result.seconds:.0f} s; {check}; report: {out}/report.html")
    return 0
