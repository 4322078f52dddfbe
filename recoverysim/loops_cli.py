"""``recoverysim loops``: the feedback loops, the causal-loop diagram, and loop dominance over time."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_parser(subparsers) -> None:
    """Register ``loops`` on the main parser's subcommands."""
    from recoverysim.cli import add_run_overrides

    p = subparsers.add_parser(
        "loops", help="list the feedback loops, draw the causal-loop diagram, or measure loop dominance",
        description="Without options: list each loop and its links. --out FILE.png|.svg: draw the causal-loop "
                    "diagram (Graphviz), with links shaded by strength when --scenario is given. --dominance "
                    "SCENARIO: run the scenario with each loop switched off on common random numbers and write "
                    "each loop's contribution to the headline outcomes by year (figure and CSV) into --out DIR.")
    p.add_argument("--scenario", help="scenario TOML file: shade the diagram's links by strength")
    p.add_argument("--out", help="diagram file (.png or .svg); with --dominance, the output folder "
                                 "(default results/<scenario>_loop_dominance)")
    p.add_argument("--dominance", metavar="SCENARIO", help="measure each loop's contribution in this scenario")
    p.add_argument("--force", action="store_true",
                   help="with --dominance: replace an existing --out folder whatever it holds")
    add_run_overrides(p)
    p.set_defaults(func=cmd_loops)


def cmd_loops(args: argparse.Namespace) -> int:
    """List the loops; draw the diagram or run the dominance analysis."""
    if args.dominance:
        return _dominance(args)
    from recoverysim import loop_diagram
    from recoverysim.feedback_loops import CAUSAL_LINKS, loop_polarity
    from recoverysim.parameters import LOOPS

    path = loop_diagram.check_output(args.out) if args.out else None
    scenario = None
    if args.scenario:
        from recoverysim.cli import scenario_from_args

        scenario = scenario_from_args(args.scenario, args)
    for loop, text in LOOPS.items():
        kind = "reinforcing" if loop_polarity(loop) > 0 else "balancing"
        print(f"{loop} ({kind}): {text}")
        for link in (x for x in CAUSAL_LINKS if x.loop == loop):
            print(f"    {link.cause} -> {link.effect} ({'+' if link.sign > 0 else '-'})  [{link.where}]")
    if path:
        print(f"Causal-loop diagram: {loop_diagram.draw(path, scenario)}")
    return 0


def _dominance(args: argparse.Namespace) -> int:
    from recoverysim.cli import scenario_from_args
    from recoverysim.loop_dominance import write_dominance

    scenario = scenario_from_args(args.dominance, args)
    out = Path(args.out or Path("results") / f"{scenario.name}_loop_dominance")
    r = scenario.params.run
    print(f"Loop dominance in {scenario.name}: {scenario.params.population.size:,} people x {r.years} years x "
          f"{r.replications} replicates, each loop switched off in turn (common random numbers)", file=sys.stderr)
    files = write_dominance(scenario, out, command=sys.argv, force=args.force)
    print(files["summary"])
    print(f"\nLoop dominance: {out}/ (" + ", ".join(p.name for k, p in files.items() if k != "summary") + ")")
    return 0
