"""The ``recoverysim`` command line. Input problems print one line naming the file and key, and exit 2."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from pathlib import Path

from recoverysim.errors import RecoverysimError, ScenarioError

#: Subcommands provided by other modules: each exposes ``add_parser(subparsers)``.
PLUGINS = (
    "recoverysim.sensitivity.cli",
    "recoverysim.compare_cli",
    "recoverysim.trace",
    "recoverysim.calibration.cli",
    "recoverysim.loops_cli",
    "recoverysim.dashboard.cli",
)


def add_run_overrides(p: argparse.ArgumentParser) -> None:
    """The overrides every command that runs scenarios accepts (read by ``scenario_from_args``)."""
    p.add_argument("--replications", type=int, help="replicates (overrides run.replications)")
    p.add_argument("--seed", type=int, help="root seed (overrides run.seed)")
    p.add_argument("--years", type=int, help="horizon in years (overrides run.years)")
    p.add_argument("--population", type=int, help="people (overrides population.size)")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="dotted.key=value",
                   help="override any parameter, e.g. --set levers.coercion=0.1 (repeatable)")


def scenario_from_args(path: str, args: argparse.Namespace):
    """Load a scenario and apply the common CLI overrides."""
    from recoverysim.scenario import load_scenario, parse_assignment

    overrides = dict(parse_assignment(s) for s in getattr(args, "sets", []) or [])
    for flag, key in (("replications", "run.replications"), ("seed", "run.seed"), ("years", "run.years"),
                      ("population", "population.size")):
        value = getattr(args, flag, None)
        if value is not None:
            overrides[key] = value
    return load_scenario(path, overrides)


def cmd_run(args: argparse.Namespace) -> int:
    """``recoverysim run``: replicates of one scenario into a results folder."""
    from recoverysim.run_folder import run_to_folder

    scenario = scenario_from_args(args.scenario, args)
    out = Path(args.out or Path("results") / scenario.name)
    r = scenario.params.run
    print(f"Running {scenario.name}: {scenario.params.population.size:,} people x {r.years} years x "
          f"{r.replications} replicates (seed {r.seed})", file=sys.stderr)
    results = run_to_folder(scenario, out, progress=not args.quiet, command=sys.argv)
    print(_summary_text(results.summary()))
    print(f"\nResults: {out}/ (manifest.json, timeseries.csv, summary.csv, figures/)")
    return 0


def _summary_text(summary) -> str:
    lines = [f"{'metric':44s} {'mean':>10s}  95% interval"]
    for row in summary.itertuples():
        interval = "" if row.ci_low != row.ci_low else f"[{row.ci_low:.4g}, {row.ci_high:.4g}]"
        lines.append(f"{row.metric:44s} {row.mean:10.4g}  {interval}")
    return "\n".join(lines)


def cmd_describe(args: argparse.Namespace) -> int:
    """``recoverysim describe``: every parameter of a scenario with its declaration."""
    from recoverysim.parameters import PARAMETERS, REFORM_FIELDS, REFORMS
    from recoverysim.scenario import default_scenario, load_scenario

    if args.markdown:
        from recoverysim.parameter_table import markdown_table

        print(markdown_table())
        return 0
    scenario = load_scenario(args.scenario) if args.scenario else default_scenario()
    rows = [{"name": p.name, "value": scenario[p.name], "default": p.default,
             "range": None if p.kind is bool else [p.low, p.high], "unit": p.unit,
             "description": p.description, "source": p.source} for p in PARAMETERS.values()]
    reforms = [r.as_dict() | {"root": r.root} for r in scenario.reforms]
    if args.json:
        print(json.dumps({"scenario": scenario.name, "source": scenario.source, "parameters": rows,
                          "reforms": reforms,
                          "reform_fields": {k: {"default": v[0], "range": [v[1], v[2]], "unit": v[3],
                                                "description": v[4]} for k, v in REFORM_FIELDS.items()},
                          "reform_names": {k: v.root for k, v in REFORMS.items()}}, indent=2))
        return 0
    print(f"Scenario: {scenario.name} ({scenario.source})")
    section = None
    for row, p in zip(rows, PARAMETERS.values(), strict=True):
        if p.section != section:
            section = p.section
            print(f"\n[{section}]")
        mark = " " if row["value"] == row["default"] else "*"
        print(f"{mark} {row['name']:46s} {row['value']!s:>10s}  default {row['default']!s:<8s} "
              f"{p.range_text():>16s} {p.unit}")
        print(f"      {p.description}. Source: {p.source}")
    print("\n[[reforms]]" if reforms else "\n(no reforms)")
    for r in reforms:
        print(f"  {r['name']} (reduces {r['root']}): start {r['start_year']:g} y, ramp {r['ramp_years']:g} y, "
              f"intensity {r['intensity']:g}, capacity {r['capacity']:g}, cost/year {r['cost_per_year']:g}")
    print("\n* = differs from the declared default")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="recoverysim", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="run a scenario and write a results folder")
    p.add_argument("scenario", help="scenario TOML file")
    p.add_argument("--out", help="results folder (default results/<scenario name>)")
    add_run_overrides(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("describe", help="list every parameter with value, default, range, unit and source")
    p.add_argument("scenario", nargs="?", help="scenario TOML file (default: the declared defaults)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--markdown", action="store_true", help="the declared parameters as Markdown tables")
    p.set_defaults(func=cmd_describe)
    for module in PLUGINS:
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name and module.startswith(exc.name):
                continue  # that subsystem is not installed in this tree
            raise
        mod.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``recoverysim`` command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ScenarioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except RecoverysimError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: no partial results folder was left (sensitivity runs keep finished rows for "
              "--resume)", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into e.g. `head`
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
        return 0


if __name__ == "__main__":
    sys.exit(main())
