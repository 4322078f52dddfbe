"""Speed of the model at a git revision against the working tree, interleaved in one process.

    .venv/bin/python benchmarks/bench_revision.py REV [--population 5000] [--years 3] [--pairs 8]
                                                      [--scenario scenarios/japan_baseline.toml] [--batch 48]
    .venv/bin/python benchmarks/bench_revision.py REV --identity [--seeds 1 2] [--population N] [--years N]

The revision's ``recoverysim`` package (and its ``data`` folder) is exported (``git archive``) to a temporary folder
and renamed ``recoverysim_at_rev``, its imports rewritten to match, so both versions load side by side. The two then run
the same scenario and seed alternately, pair after pair, as sensitivity analysis runs them (headline only, no
Mesa agents): the machine's drift in speed (up to 1.5x within minutes on the development machine) hits both
alike. Reports each version's fastest and median run and the median of the per-pair ratios, and whether the
two final states are bit-identical (a speed change that should not change results). Each run's CPU time
(``time.thread_time``) is reported beside its wall time: on a machine shared with other work the CPU time
moves far less than the wall time. Revisions whose model
records the weekly barrier means unconditionally record them here too, which the final-state check ignores.
``--batch K`` times K runs of the scenario (seeds seed .. seed+K-1) stepped together in one model instead.

``--identity`` times nothing: it runs every shipped scenario (scenarios/*.toml) with each seed of ``--seeds``,
one run at a time and all scenarios of a seed stepped together as one batch, in both versions (barrier means
recorded), and prints whether each final ``state_digest`` agrees. Without ``--population``/``--years`` the
scenarios' own sizes and horizons are used. ``--rev-scenarios`` loads the revision's own scenario files for the
revision (for a change to the scenario format, such as a top-level key the revision does not know);
``--skip-recorded PREFIX ...`` leaves recorded columns with these prefixes out of both digests (for a column
added or removed).
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import io
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from recoverysim.model import state_digest

ROOT = Path(__file__).resolve().parents[1]
ALIAS = "recoverysim_at_rev"
_IMPORT = re.compile(r"\b(from|import)\s+recoverysim\b")
_MODULE_STRING = re.compile(r"([\"'])recoverysim\.")


def export_revision(rev: str, into: Path) -> None:
    """Write the package of ``rev`` to ``into/recoverysim_at_rev`` with its imports renamed."""
    # data/ beside the package: scenarios name files in it (data/costs) that the package finds relative to itself.
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", rev, "recoverysim", "data"],
                             check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    package = into / ALIAS
    shutil.move(into / "recoverysim", package)
    for path in package.rglob("*.py"):
        text = path.read_text()
        text = _IMPORT.sub(lambda m: f"{m.group(1)} {ALIAS}", text)
        text = _MODULE_STRING.sub(lambda m: f"{m.group(1)}{ALIAS}.", text)
        path.write_text(text)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("rev", help="git revision to compare with (e.g. HEAD~3 or a commit hash)")
    ap.add_argument("--population", type=int, default=None, help="people (default 5000; --identity: scenario's)")
    ap.add_argument("--years", type=int, default=None, help="years (default 3; --identity: scenario's)")
    ap.add_argument("--batch", type=int, default=1, help="runs stepped together per timed run (default 1)")
    ap.add_argument("--identity", action="store_true", help="check bit-identity on every shipped scenario")
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2], help="seeds of --identity (default 1 2)")
    ap.add_argument("--pairs", type=int, default=8, help="alternating pairs of runs (default 8)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rev-scenarios", action="store_true",
                    help="--identity: the revision runs its own scenarios/*.toml (same names)")
    ap.add_argument("--skip-recorded", nargs="+", default=(), metavar="PREFIX",
                    help="--identity: leave recorded columns starting with PREFIX out of the digests")
    ap.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "japan_baseline.toml")
    args = ap.parse_args(argv)
    if args.identity:
        return identity(args)
    args.population = 5000 if args.population is None else args.population
    args.years = 3 if args.years is None else args.years

    with tempfile.TemporaryDirectory(prefix="recoverysim_rev_") as tmp:
        export_revision(args.rev, Path(tmp))
        sys.path.insert(0, tmp)
        versions = {}
        for label, package in ((args.rev, ALIAS), ("working tree", "recoverysim")):
            scenario_module = importlib.import_module(f"{package}.scenario")
            model_module = importlib.import_module(f"{package}.model")
            scenario = scenario_module.load_scenario(
                args.scenario, overrides={"population.size": args.population, "run.years": args.years})
            versions[label] = (model_module.RecoveryModel, scenario)

        def run(label: str) -> tuple[float, float, object]:
            model_class, scenario = versions[label]
            options = {"materialise_agents": False, "record_barrier_means": False}
            if "record_barrier_means" not in inspect.signature(model_class).parameters:  # older revisions
                del options["record_barrier_means"]
            t0, c0 = time.perf_counter(), time.thread_time()
            if args.batch > 1:
                runs = [(scenario, args.seed + k) for k in range(args.batch)]
                model = model_class(runs=runs, **options).run()
            else:
                model = model_class(scenario, args.seed, **options).run()
            return time.perf_counter() - t0, time.thread_time() - c0, model

        labels = list(versions)
        # Also warms both up; the revision may record barrier means the working tree skips here.
        digests = {label: state_digest(run(label)[2], skip_recorded=("barrier_",)) for label in labels}
        times: dict[str, list[float]] = {label: [] for label in labels}
        cpu: dict[str, list[float]] = {label: [] for label in labels}
        for _ in range(args.pairs):
            for label in labels:
                wall, used, _model = run(label)
                times[label].append(wall)
                cpu[label].append(used)

    batch = f"batches of {args.batch} runs, " if args.batch > 1 else ""
    print(f"{args.population} people x {args.years} years of {args.scenario.name}, seed {args.seed}, "
          f"{batch}{args.pairs} alternating pairs in one process")
    for label in labels:
        t, c = times[label], cpu[label]
        print(f"  {label:<14} wall: fastest {min(t):.4f} s, median {statistics.median(t):.4f} s; "
              f"CPU: fastest {min(c):.4f} s, median {statistics.median(c):.4f} s")
    for kind, measured in (("wall", times), ("CPU", cpu)):
        ratios = [a / b for a, b in zip(measured[labels[0]], measured[labels[1]], strict=True)]
        print(f"working tree speed-up over {args.rev} ({kind} time): {statistics.median(ratios):.3f}x (median of "
              f"pair ratios), {min(measured[labels[0]]) / min(measured[labels[1]]):.3f}x (fastest runs)")
    same = digests[labels[0]] == digests[labels[1]]
    print(f"final state: {'bit-identical' if same else 'DIFFERENT'}")
    return 0


def identity(args) -> int:
    """Final states of every shipped scenario and seed, alone and batched, in both versions; 0 if all agree."""
    overrides = {}
    if args.population is not None:
        overrides["population.size"] = args.population
    if args.years is not None:
        overrides["run.years"] = args.years
    paths = sorted((ROOT / "scenarios").glob("*.toml"))
    with tempfile.TemporaryDirectory(prefix="recoverysim_rev_") as tmp:
        export_revision(args.rev, Path(tmp))
        sys.path.insert(0, tmp)
        rev_paths = paths
        if args.rev_scenarios:
            archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", args.rev, "scenarios"],
                                     check=True, capture_output=True).stdout
            with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
                tar.extractall(tmp, filter="data")
            rev_paths = [Path(tmp) / "scenarios" / path.name for path in paths]
        skip = tuple(args.skip_recorded)
        digests: dict[str, dict[str, str]] = {}
        for label, package, files in ((args.rev, ALIAS, rev_paths), ("working tree", "recoverysim", paths)):
            load = importlib.import_module(f"{package}.scenario").load_scenario
            model_class = importlib.import_module(f"{package}.model").RecoveryModel
            state_digest_of = importlib.import_module(f"{package}.model").state_digest

            def digest(model, state_digest_of=state_digest_of):
                return state_digest_of(model, skip_recorded=skip)
            scenarios = [load(path, overrides=overrides) for path in files]
            out = digests[label] = {}
            for seed in args.seeds:
                for path, scenario in zip(paths, scenarios, strict=True):
                    model = model_class(scenario, seed, materialise_agents=False).run()
                    out[f"{path.stem} seed {seed}"] = digest(model)
                batched = model_class(runs=[(s, seed) for s in scenarios]).run()
                out[f"all {len(paths)} scenarios batched, seed {seed}"] = digest(batched)
    labels = list(digests)
    failures = 0
    for key, before in digests[labels[0]].items():
        same = before == digests[labels[1]][key]
        failures += not same
        print(f"  {key:<48} {'bit-identical' if same else 'DIFFERENT'}")
    print(f"{len(digests[labels[0]]) - failures} of {len(digests[labels[0]])} final states bit-identical "
          f"to {args.rev}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
