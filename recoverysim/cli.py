"""The recoverysim command line. Input problems print one line naming the file and key, and exit 2."""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import importlib
import json
import os
import signal
import sys
import warnings
from pathlib import Path

from recoverysim.errors import RecoverysimError

#: Subcommands provided by other modules: each exposes ``add_parser(subparsers)``.
PLUGINS = (
    "recoverysim.sensitivity.cli",
    "recoverysim.compare_cli",
    "recoverysim.trace",
    "recoverysim.calibration.cli",
    "recoverysim.loops_cli",
    "recoverysim.dashboard.cli",
)
#: Set to 1 to see the traceback of an unexpected error.
DEBUG_ENV = "RECOVERYSIM_DEBUG"
#: Command-line flags that set one parameter each (read by :func:`run_overrides`).
RUN_FLAGS = {"replications": "run.replications", "seed": "run.seed", "years": "run.years",
             "population": "population.size"}


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C (clean up, then exit 143)."""


def add_run_overrides(p: argparse.ArgumentParser, flags: tuple[str, ...] = tuple(RUN_FLAGS), sets: bool = True) -> None:
    """The overrides every command that runs scenarios accepts (read by :func:`run_overrides`)."""
    helps = {"replications": "replicates (overrides run.replications)", "seed": "root seed (overrides run.seed)",
             "years": "horizon in years (overrides run.years)", "population": "people (overrides population.size)"}
    for flag in flags:
        p.add_argument(f"--{flag}", type=int, help=helps[flag])
    if sets:
        p.add_argument("--set", dest="sets", action="append", default=[], metavar="dotted.key=value",
                       help="override any parameter, e.g. --set levers.coercion=0.1 (repeatable)")


def add_output_options(p: argparse.ArgumentParser, default: str) -> None:
    """``--out`` and ``--force``, with the same rule for every command (recoverysim.results.check_output)."""
    p.add_argument("--out", help=f"results folder (default {default}); an existing folder is replaced only if "
                                 "it is a results folder of recoverysim")
    p.add_argument("--force", action="store_true", help="replace an existing --out folder whatever it holds")


def add_quiet(p: argparse.ArgumentParser) -> None:
    """``--quiet`` (no progress bar or progress messages); ``--no-progress`` is an old spelling, hidden."""
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--no-progress", dest="quiet", action="store_true", help=argparse.SUPPRESS)


def add_workers(p: argparse.ArgumentParser) -> None:
    """``--workers``, one default for every command: 0, all the CPUs this process may use."""
    p.add_argument("--workers", type=int, default=0, help="worker processes (default 0: all CPUs)")


def run_overrides(args: argparse.Namespace, skip: tuple[str, ...] = ()) -> list[tuple[str, dict]]:
    """The overrides of a command line as (source, {dotted: value}) pairs, each flag naming itself in errors."""
    from recoverysim.scenario import parse_assignment

    out = []
    sets = dict(parse_assignment(s) for s in getattr(args, "sets", []) or [])
    if sets:
        out.append(("--set", sets))
    for flag, key in RUN_FLAGS.items():
        value = getattr(args, flag, None)
        if value is not None and flag not in skip:
            out.append((f"--{flag}", {key: value}))
    return out


def apply_overrides(scenario, overrides: list[tuple[str, dict]]):
    """Apply :func:`run_overrides` to a loaded scenario."""
    for source, values in overrides:
        scenario = scenario.with_overrides(values, source=source)
    return scenario


def scenario_from_args(name: str, args: argparse.Namespace, skip: tuple[str, ...] = ()):
    """Load a scenario (a file, or a bare name from scenarios/) and apply the command-line overrides."""
    from recoverysim.scenario import load_scenario
    from recoverysim.scenario_library import resolve_scenario

    return apply_overrides(load_scenario(resolve_scenario(name)), run_overrides(args, skip))


def cmd_run(args: argparse.Namespace) -> int:
    """``recoverysim run``: replicates of one scenario into a results folder."""
    from recoverysim.run_folder import run_to_folder

    scenario = scenario_from_args(args.scenario, args)
    out = Path(args.out or Path("results") / scenario.name)
    r = scenario.params.run
    print(f"Running {scenario.name}: {scenario.params.population.size:,} people x {r.years} years x "
          f"{r.replications} replicates (seed {r.seed})", file=sys.stderr)
    results = run_to_folder(scenario, out, progress=not args.quiet, command=sys.argv, force=args.force)
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
    from recoverysim.costs import costs_of
    from recoverysim.parameters import PARAMETERS, REFORM_FIELDS, REFORMS
    from recoverysim.reform_evidence import PROXIMAL_EFFECTS
    from recoverysim.scenario import default_scenario, load_scenario
    from recoverysim.scenario_library import resolve_scenario

    if args.markdown:
        from recoverysim.parameter_table import markdown_table

        print(markdown_table())
        return 0
    scenario = load_scenario(resolve_scenario(args.scenario)) if args.scenario else default_scenario()
    rows = [{"name": p.name, "value": scenario[p.name], "default": p.default,
             "range": None if p.kind is bool else [p.low, p.high], "unit": p.unit,
             "description": p.description, "source": p.source} for p in PARAMETERS.values()]
    reforms = [r.as_dict() | {"root": r.root} for r in scenario.reforms]
    evidence = {name: dataclasses.asdict(e) for name, e in PROXIMAL_EFFECTS.items()}
    unit_costs = costs_of(scenario)
    costs = {"file": unit_costs.path, "currency": unit_costs.currency, "discount_rate": unit_costs.discount_rate,
             "discount_source": unit_costs.discount_source,
             "costs": {k: dataclasses.asdict(c) for k, c in unit_costs.items.items()},
             "programmes": {k: dataclasses.asdict(c) for k, c in unit_costs.programmes.items()}}
    if args.json:
        print(json.dumps({"scenario": scenario.name, "source": scenario.source, "parameters": rows,
                          "reforms": reforms,
                          "reform_fields": {k: {"default": v[0], "range": [v[1], v[2]], "unit": v[3],
                                                "description": v[4]} for k, v in REFORM_FIELDS.items()},
                          "reform_names": {k: v.root for k, v in REFORMS.items()},
                          "reform_evidence": evidence, "costs": costs}, indent=2))
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
        e = PROXIMAL_EFFECTS[r["name"]]
        print(f"  {r['name']}: start {r['start_year']:g} y, ramp {r['ramp_years']:g} y, coverage {r['coverage']:g}, "
              f"effect {r['effect']:g}, capacity {r['capacity']:g}")
    print("\nReform evidence (what each reform changes for those it reaches; effect: central [interval]):")
    for name, e in PROXIMAL_EFFECTS.items():
        print(f"  {name}: {e.measure} {e.interval_text} on the {e.quantity}")
        print(f"      Reaches: {e.reached}. Source: {e.source}")
    print(f"\nUnit costs ({unit_costs.path}; {unit_costs.currency}, discounted at {unit_costs.discount_rate:g} a "
          f"year: {unit_costs.discount_source}):")
    for c in (*unit_costs.items.values(), *unit_costs.programmes.values()):
        print(f"  {c.key}: {c.value:,.0f} {c.unit} ({c.price_year} prices) [{c.low:,.0f}, {c.high:,.0f}]")
        print(f"      Source: {c.source}")
    print("\n* = differs from the declared default")
    return 0


def cmd_scenarios(args: argparse.Namespace) -> int:
    """``recoverysim scenarios``: the bare names every command accepts, with their one-line descriptions."""
    from recoverysim.scenario import load_scenario
    from recoverysim.scenario_library import available_names, resolve_scenario

    names = available_names()
    width = max((len(n) for n in names), default=0)
    for name in names:
        try:
            text = load_scenario(resolve_scenario(name)).description
        except RecoverysimError as exc:
            text = f"(cannot be loaded: {exc})"
        first = " ".join(text.split()).split(". ")[0].rstrip(".")
        print(f"{name:{width}s}  {first}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    from recoverysim import __version__

    parser = argparse.ArgumentParser(prog="recoverysim", description=__doc__)
    parser.add_argument("--version", action="version", version=f"recoverysim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")
    p = sub.add_parser("run", help="run a scenario and write a results folder")
    p.add_argument("scenario", help="scenario file or bare name from scenarios/ (see: recoverysim scenarios)")
    add_output_options(p, "results/SCENARIO_NAME")
    add_run_overrides(p)
    add_quiet(p)
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("describe", help="list every parameter with value, default, range, unit and source")
    p.add_argument("scenario", nargs="?", help="scenario file or bare name (default: the declared defaults)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--markdown", action="store_true", help="the declared parameters as Markdown tables")
    p.set_defaults(func=cmd_describe)
    p = sub.add_parser("scenarios", help="list the scenario names every command accepts")
    p.set_defaults(func=cmd_scenarios)
    for module in PLUGINS:
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name and module.startswith(exc.name):
                continue  # that subsystem is not installed in this tree
            raise
        mod.add_parser(sub)
    return parser


def _suggest_command(parser: argparse.ArgumentParser, argv: list[str]) -> str | None:
    """An error line for an unknown command, naming the nearest one."""
    words = [a for a in argv if not a.startswith("-")]
    if not words or argv[0].startswith("-"):
        return None
    choices = next(a.choices for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    if words[0] in choices:
        return None
    close = difflib.get_close_matches(words[0], list(choices), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown command {words[0]!r}{hint} (commands: {', '.join(choices)})"


def _terminate(signum, frame) -> None:
    raise Terminated


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"warning: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``recoverysim`` command."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    unknown = _suggest_command(parser, argv)
    if unknown:
        parser.print_usage(sys.stderr)
        print(f"recoverysim: error: {unknown}", file=sys.stderr)
        return 2
    args = parser.parse_args(argv)
    previous = signal.signal(signal.SIGTERM, _terminate) if _main_thread() else None
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            return int(args.func(args) or 0)
    except RecoverysimError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Terminated:
        print("terminated: no partial results folder was left (sensitivity runs keep finished rows for "
              "--resume)", file=sys.stderr)
        return 143
    except KeyboardInterrupt:
        print("interrupted: no partial results folder was left (sensitivity runs keep finished rows for "
              "--resume)", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into e.g. `head`
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
        return 0
    except Exception as exc:
        if os.environ.get(DEBUG_ENV) == "1":
            raise
        text = " ".join(str(exc).split())
        text = text if len(text) <= 300 else text[:300] + "..."
        print(f"error: unexpected {type(exc).__name__}: {text}; rerun with {DEBUG_ENV}=1 for the traceback",
              file=sys.stderr)
        return 1
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


if __name__ == "__main__":
    sys.exit(main())
