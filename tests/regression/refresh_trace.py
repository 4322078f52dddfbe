"""Regenerate the ``trace`` regression files (tests/regression/trace_*.json and trace_*.txt).

Run after a deliberate change to the model (parameters, mechanisms, random streams) changes people's stories:

    .venv/bin/python tests/regression/refresh_trace.py

Review the diff (``git diff tests/regression``) before committing: every change in a story should be explained
by the model change. tests/test_trace.py runs the same commands and compares the output with these files.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

#: name -> arguments of ``recoverysim trace`` (run from the repository root; small and fast on purpose).
#: The scenarios are frozen copies kept beside this file: recalibrating the real baseline does not move them.
FROZEN = "tests/regression/regression_scenario.toml"
CASES = {
    "person": ["trace", FROZEN, "--person", "30", "--population", "300", "--years", "5",
               "--seed", "4242"],
    "reached_reunion": ["trace", FROZEN, "--pick", "reached-reunion", "--population", "300",
                        "--years", "5", "--seed", "4242"],
    "most_coerced": ["trace", "tests/regression/regression_reform.toml", "--pick", "most-coerced",
                     "--population", "300", "--years", "5", "--seed", "4242"],
}


def render(args: list[str], as_json: bool) -> str:
    """Stdout of ``recoverysim <args> [--json]`` run from the repository root."""
    from recoverysim.cli import main

    out = io.StringIO()
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        with contextlib.redirect_stdout(out):
            code = main([*args, "--json"] if as_json else args)
    finally:
        os.chdir(cwd)
    if code != 0:
        raise SystemExit(f"recoverysim {' '.join(args)} exited with {code}")
    return out.getvalue()


def main() -> int:
    for name, args in CASES.items():
        for suffix, as_json in (("txt", False), ("json", True)):
            path = HERE / f"trace_{name}.{suffix}"
            path.write_text(render(args, as_json), encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
