"""Writing result folders atomically: everything goes to a temporary sibling, renamed into place at the end."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from recoverysim.scenario import Scenario


@contextlib.contextmanager
def atomic_directory(out: Path) -> Iterator[Path]:
    """Yield a temporary folder that replaces ``out`` only if the block finishes without error."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        os.replace(out, old)
    os.replace(tmp, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def file_hash(paths: tuple[str, ...]) -> dict[str, str]:
    """SHA-256 of each scenario file in an extends chain."""
    return {p: hashlib.sha256(Path(p).read_bytes()).hexdigest() for p in paths if Path(p).is_file()}


def manifest(scenario: Scenario, seeds: list[int], wall_seconds: float, command: list[str] | None = None,
             **extra) -> dict:
    """Provenance of a run: versions, scenario files and hashes, every resolved parameter, seeds, time."""
    import mesa
    import numpy
    import scipy

    from recoverysim import __version__

    return {
        "recoverysim_version": __version__,
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "mesa": mesa.__version__,
        "scenario": scenario.name,
        "scenario_file": scenario.source,
        "scenario_files": file_hash(scenario.files),
        "content_hash": scenario.content_hash,
        "resolved": scenario.resolved(),
        "seeds": seeds,
        "wall_seconds": round(wall_seconds, 3),
        "command": command,
        **extra,
    }


def write_json(path: Path, data: dict) -> None:
    """Pretty JSON with a trailing newline."""
    path.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
