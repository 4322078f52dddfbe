"""``recoverysim dashboard``: serve the dashboard on this machine (loopback by default), front-end included."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from recoverysim.dashboard.session import BASELINE, SAVE_DIR_ENV, SCENARIO_ENV
from recoverysim.errors import RecoverysimError

DEFAULT_PORT = 8765


def server_command(host: str, port: int) -> list[str]:
    """The Solara server command for the dashboard page."""
    return [sys.executable, "-m", "solara", "run", "recoverysim.dashboard.app", "--host", host, "--port", str(port),
            "--production", "--no-open", "--log-level", "warning"]


def server_environment(scenario: Path, save_dir: Path) -> dict[str, str]:
    """Environment for the server: the start scenario, where saves go, and no network use by Solara itself.

    The front-end comes from the ``solara-assets`` package through Solara's assets proxy (its cache is that
    package's files), so a classroom without internet gets the whole page.
    """
    return {**os.environ, SCENARIO_ENV: str(scenario), SAVE_DIR_ENV: str(save_dir), "SOLARA_ASSETS_PROXY": "true",
            "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "false", "MPLBACKEND": "Agg"}


def run_command(args: argparse.Namespace) -> int:
    """Handle ``recoverysim dashboard``."""
    from recoverysim.compare import resolve_scenario
    from recoverysim.scenario import load_scenario

    try:
        import solara  # noqa: F401
    except ImportError:
        raise RecoverysimError("the dashboard needs its packages: pip install -e .[dashboard] "
                               "(or make dashboard)") from None
    scenario = Path(resolve_scenario(args.scenario)) if args.scenario else None
    if scenario is not None:
        load_scenario(scenario)  # a bad file fails here, in one line, not in the browser
    env = server_environment(scenario or BASELINE, Path(args.save_dir).resolve())
    print(f"recoverysim dashboard: http://{args.host}:{args.port}/ (Ctrl-C stops it)", file=sys.stderr)
    sys.stderr.flush()
    command = server_command(args.host, args.port)
    os.execve(command[0], command, env)  # the server takes this process over, so signals reach it directly


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register the ``dashboard`` subcommand; returns its parser."""
    p = subparsers.add_parser("dashboard", help="interactive dashboard in the browser (teaching)",
                              description="Serve the interactive dashboard. Each browser tab runs its own model.")
    p.add_argument("scenario", nargs="?", help="scenario file or bare name from scenarios/ (default japan_baseline)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    p.add_argument("--save-dir", default="dashboard_scenarios",
                   help="folder the page saves scenario files into (default ./dashboard_scenarios)")
    p.set_defaults(func=run_command)
    return p
