"""Speed of the model at a git revision against the working tree, interleaved in one process.

    .venv/bin/python benchmarks/bench_revision.py REV [--population 5000] [--years 3] [--pairs 8]
                                                      [--scenario scenarios/japan_baseline.toml]

The revision's ``recoverysim`` package is exported (``git archive``) to a temporary folder and renamed
``recoverysim_at_rev``, its imports rewritten to match, so both versions load side by side. The two then run
the same scenario and seed alternately, pair after pair, as sensitivity analysis runs them (headline only, no
Mesa agents): the machine's drift in speed (up to 1.5x within minutes on the development machine) hits both
alike. Reports each version's fastest and median run and the median of the per-pair ratios, and whether the
two final states are bit-identical (a speed change that should not change results). Revisions whose model
records the weekly barrier means unconditionally record them here too, which the final-state check ignores.
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
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", rev, "recoverysim"],
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
    ap.add_argument("--population", type=int, default=5000)
    ap.add_argument("--years", type=int, default=3)
    ap.add_argument("--pairs", type=int, default=8, help="alternating pairs of runs (default 8)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "japan_baseline.toml")
    args = ap.parse_args(argv)

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

        def run(label: str) -> tuple[float, object]:
            model_class, scenario = versions[label]
            options = {"materialise_agents": False, "record_barrier_means": False}
            if "record_barrier_means" not in inspect.signature(model_class).parameters:  # older revisions
                del options["record_barrier_means"]
            t0 = time.perf_counter()
            model = model_class(scenario, args.seed, **options).run()
            return time.perf_counter() - t0, model

        labels = list(versions)
        # Also warms both up; the revision may record barrier means the working tree skips here.
        digests = {label: state_digest(run(label)[1], skip_recorded=("barrier_",)) for label in labels}
        times: dict[str, list[float]] = {label: [] for label in labels}
        for _ in range(args.pairs):
            for label in labels:
                times[label].append(run(label)[0])

    print(f"{args.population} people x {args.years} years of {args.scenario.name}, seed {args.seed}, "
          f"{args.pairs} alternating pairs in one process")
    for label in labels:
        t = times[label]
        print(f"  {label:<14} fastest {min(t):.4f} s, median {statistics.median(t):.4f} s")
    ratios = [a / b for a, b in zip(times[labels[0]], times[labels[1]], strict=True)]
    print(f"working tree speed-up over {args.rev}: {statistics.median(ratios):.3f}x (median of pair ratios), "
          f"{min(times[labels[0]]) / min(times[labels[1]]):.3f}x (fastest runs)")
    same = digests[labels[0]] == digests[labels[1]]
    print(f"final state: {'bit-identical' if same else 'DIFFERENT'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
