"""Finding scenario files: bare names from ``scenarios/`` (the working folder's, then the project's library)."""

from __future__ import annotations

import difflib
from pathlib import Path

from recoverysim.errors import RecoverysimError, shorten

#: The scenario library shipped with the project (bare names are also looked up in ./scenarios).
LIBRARY = Path(__file__).resolve().parents[1] / "scenarios"


def scenario_dirs() -> list[Path]:
    """Folders searched for bare scenario names: ./scenarios first, then the project's library."""
    dirs = []
    for d in (Path.cwd() / "scenarios", LIBRARY):
        if d.is_dir() and d.resolve() not in [x.resolve() for x in dirs]:
            dirs.append(d)
    return dirs


def available_names() -> list[str]:
    """Bare scenario names that :func:`resolve_scenario` accepts."""
    return sorted({p.stem for d in scenario_dirs() for p in d.glob("*.toml")})


def resolve_scenario(arg: str) -> Path:
    """A scenario argument as a file: an existing path, or a bare name looked up in ``scenarios/``."""
    path = Path(arg)
    if path.is_file():
        return path
    if path.is_dir():
        raise RecoverysimError(f"{shorten(arg, 300)}: is a folder, not a scenario file")
    looks_like_path = path.suffix == ".toml" or len(path.parts) > 1
    if not looks_like_path:
        for d in scenario_dirs():
            candidate = d / f"{arg}.toml"
            if candidate.is_file():
                return _relative_to_cwd(candidate)
    known = available_names()
    close = difflib.get_close_matches(arg, known, n=1) if not looks_like_path else []
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    what = "scenario file not found" if looks_like_path else "unknown scenario name"
    raise RecoverysimError(f"{what}: {shorten(repr(arg), 300)}{hint}; available scenario names: "
                           f"{', '.join(known) or '(none found)'}")


def _relative_to_cwd(path: Path) -> Path:
    """``path`` relative to the working folder when it lies inside it (shorter, machine-independent)."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return path
