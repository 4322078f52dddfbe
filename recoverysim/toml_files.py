"""Reading a TOML input file with every problem reported as one error naming the file (and key)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from recoverysim.errors import ScenarioError, shorten


def read_toml(path: Path, error: type[ScenarioError] = ScenarioError, what: str = "scenario file",
              referrer: str | None = None, key: str | None = None) -> dict[str, Any]:
    """Parse a TOML file; every problem is ``error`` naming the file (or the referring file and key).

    Shared by the scenario, experiment, targets and costs loaders. A UTF-8 byte-order mark is accepted.
    """
    where, at = (referrer, key) if referrer else (str(path), None)
    if path.is_dir():
        raise error(where, at, f"{what} {path} is a folder, not a file")
    if not path.exists():
        raise error(where, at, f"{what} not found: {path}")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise error(where, at, f"{what} {path} is not a UTF-8 text file") from None
    except OSError as exc:
        raise error(where, at, f"cannot read {what} {path}: {exc.strerror or exc}") from None
    bad = f"{what} {path} is malformed TOML" if referrer else "malformed TOML"
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(where, at, f"{bad}: {shorten(str(exc), 200)}") from None
    except RecursionError:
        raise error(where, at, f"{bad}: nested too deeply") from None
    except (OverflowError, ValueError) as exc:
        raise error(where, at, f"{bad}: {shorten(str(exc))}") from None


def check_fields(error: type[ScenarioError], src: str, where: str, entry: Any, allowed: tuple[str, ...],
                 required: tuple[str, ...] = (), not_table: str = "must be a table", kind: str = "field") -> None:
    """``entry`` (at ``where`` in ``src``) must be a table of ``allowed`` fields holding every ``required`` one.

    Shared by the targets and costs loaders; each problem is ``error`` naming the file and the dotted key.
    ``kind`` names what an unknown key is ("unknown field", "unknown costs key").
    """
    if not isinstance(entry, dict):
        raise error(src, where, not_table)
    for k in entry:
        if k not in allowed:
            raise error(src, f"{where}.{k}", f"unknown {kind}; allowed: {', '.join(allowed)}")
    for k in required:
        if k not in entry:
            raise error(src, f"{where}.{k}", "missing (required)")
