"""Result folders: the output-location rules, atomic writing, and the one manifest writer.

A folder is written to a temporary sibling (``.<name>.partial-<pid>-*``), created before any simulation so that
an unusable location fails at once, and renamed into place at the end. An existing ``--out`` is replaced only
if it is empty or a results folder of this tool (recognised by its manifest), or with ``--force``; an existing
file is never touched.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import shutil
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from recoverysim.costs import costs_of
from recoverysim.errors import RecoverysimError, shorten
from recoverysim.scenario import Scenario

MANIFEST = "manifest.json"
#: Longest folder name accepted (the temporary sibling adds about 30 characters; file systems allow 255).
MAX_NAME = 200
#: Manifests of earlier versions that carried no ``recoverysim_version`` (compare; validate/calibrate reports).
_LEGACY_MARKERS = ({"base", "scenarios", "independent_seed"},)
_LEGACY_FILES = ("validation.json", "calibration.json")


class OutputFolderError(RecoverysimError):
    """The output location cannot be used as asked (checked before anything runs)."""


# --- the output-location rules ----------------------------------------------------------------------------


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def is_result_folder(folder: Path) -> bool:
    """Whether ``folder`` holds a manifest written by recoverysim (or a sensitivity store)."""
    data = _read_json(folder / MANIFEST)
    if isinstance(data, dict) and ("recoverysim_version" in data
                                   or any(m <= data.keys() for m in _LEGACY_MARKERS)):
        return True
    for name in (MANIFEST, *_LEGACY_FILES):  # a manifest nested under "manifest" (reports, loop dominance)
        data = _read_json(folder / name)
        if isinstance(data, dict) and isinstance(data.get("manifest"), dict) \
                and "recoverysim_version" in data["manifest"]:
            return True
    return (folder / "evaluations.sqlite").is_file()


def check_output(out: str | Path, force: bool = False, flag: str = "--out") -> Path:
    """Raise :class:`OutputFolderError` unless ``out`` may be created or replaced; returns it as a Path.

    Refused: the working folder or one containing it, an existing file, a folder that is not empty and not a
    results folder of this tool (unless ``force``), a parent that is a file or not writable, an over-long name.
    """
    out = Path(out)
    resolved = Path(os.path.abspath(out))
    cwd = Path.cwd().resolve()
    if resolved.name in ("", ".", "..") or resolved == cwd or resolved in cwd.parents \
            or out.resolve() == cwd or out.resolve() in cwd.parents:
        raise OutputFolderError(f"{flag} {out}: is the current folder or contains it; give a folder of its own")
    if len(resolved.name) > MAX_NAME:
        raise OutputFolderError(f"{flag} {shorten(str(out), 80)}: folder name longer than {MAX_NAME} characters")
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise OutputFolderError(f"{flag} {out}: exists and is not a folder; it is left alone, choose another {flag}")
    if out.is_dir() and not force and any(out.iterdir()) and not is_result_folder(out):
        raise OutputFolderError(f"{flag} {out}: folder exists and is not a recoverysim results folder (no "
                                f"{MANIFEST} of this tool); choose another {flag}, or pass --force to replace it")
    parent = resolved.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise OutputFolderError(f"{flag} {out}: {parent} is a file, not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputFolderError(f"{flag} {out}: cannot write in {parent} (permission denied)")
    return out



def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale(out: Path, max_age_seconds: float = 86_400) -> list[Path]:
    """Remove ``.<name>.partial-*`` / ``.<name>.old-*`` siblings left by crashed runs; returns what went.

    Ones carrying the id of a process that is still running are kept; ones from before ids were recorded
    are removed once older than ``max_age_seconds``.
    """
    removed = []
    for stale in out.parent.glob(f".{out.name}.*"):
        kind, _, rest = stale.name[len(out.name) + 2:].partition("-")
        if kind not in ("partial", "old") or not stale.is_dir():
            continue
        pid = rest.split("-", 1)[0]
        if pid.isdigit():
            gone = not _pid_alive(int(pid))
        else:
            gone = time.time() - stale.stat().st_mtime > max_age_seconds
        if gone:
            shutil.rmtree(stale, ignore_errors=True)
            removed.append(stale)
    return removed


def _apply_umask(folder: Path) -> None:
    # mkdtemp makes the folder 0700; a results folder gets the user's usual permissions.
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(folder, 0o777 & ~mask)


@contextlib.contextmanager
def atomic_directory(out: str | Path, force: bool = False) -> Iterator[Path]:
    """Yield a temporary folder that replaces ``out`` only if the block finishes without error.

    Enter it before the work: the location is checked and the temporary folder created first. Whatever fails,
    the temporary folder is removed, including a failure of the final rename.
    """
    out = check_output(out, force)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        clean_stale(out)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-{os.getpid()}-", dir=out.parent))
    except OSError as exc:
        raise OutputFolderError(f"--out {out}: cannot create the results folder: {exc.strerror or exc}") from None
    old = None
    try:
        _apply_umask(tmp)
        yield tmp
        try:
            if out.exists():
                old = out.with_name(f".{out.name}.old-{os.getpid()}")
                os.replace(out, old)
            try:
                os.replace(tmp, out)
            except OSError:
                if old is not None:
                    os.replace(old, out)  # put the previous results back
                    old = None
                raise
        except OSError as exc:
            raise OutputFolderError(f"--out {out}: cannot put the results folder in place: "
                                    f"{exc.strerror or exc}") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


# --- the manifest writer ----------------------------------------------------------------------------------


def file_hash(paths: tuple[str, ...]) -> dict[str, str]:
    """SHA-256 of each scenario file in an extends chain."""
    return {p: hashlib.sha256(Path(p).read_bytes()).hexdigest() for p in paths if Path(p).is_file()}


def provenance() -> dict[str, Any]:
    """Versions and time of writing: the head of every manifest (its ``recoverysim_version`` marks our folders)."""
    import numpy
    import scipy

    from recoverysim import __version__

    versions = {"recoverysim_version": __version__, "python": platform.python_version(),
                "numpy": numpy.__version__, "scipy": scipy.__version__}
    for dist in ("mesa", "SALib"):
        with contextlib.suppress(PackageNotFoundError):
            versions[dist.lower()] = version(dist)
    return {**versions, "created_at": datetime.now(UTC).isoformat(timespec="seconds")}


def scenario_record(scenario: Scenario) -> dict[str, Any]:
    """What a manifest says about one scenario: name, files and their hashes, content hash, costs file and hash.

    The costs file is apart from the content hash: it changes the costs, never what the model runs.
    """
    return {"scenario": scenario.name, "scenario_file": scenario.source, "scenario_files": file_hash(scenario.files),
            "content_hash": scenario.content_hash, "costs_file": file_hash((costs_of(scenario).path,))}


def manifest(scenario: Scenario, seeds: list[int], wall_seconds: float, command: list[str] | None = None,
             **extra) -> dict:
    """Provenance of a scenario run: versions, scenario files and hashes, every resolved parameter, seeds, time."""
    return {**provenance(), **scenario_record(scenario), "resolved": scenario.resolved(), "seeds": seeds,
            "wall_seconds": round(wall_seconds, 3), "command": command, **extra}


def write_manifest(folder: Path, kind: str, fields: dict[str, Any]) -> Path:
    """Write ``folder/manifest.json``: :func:`provenance`, the kind of folder, then ``fields``."""
    path = Path(folder) / MANIFEST
    head = {k: v for k, v in provenance().items() if k not in fields}
    write_json(path, {**head, "kind": kind, **fields})
    return path


def write_json(path: Path, data: dict) -> None:
    """Pretty JSON with a trailing newline."""
    path.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
