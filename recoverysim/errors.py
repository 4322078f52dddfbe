"""Errors that the command line reports as one clear line instead of a traceback."""


def shorten(text: str, limit: int = 60) -> str:
    """A value for an error message, cut to ``limit`` characters (a 400-digit number is not echoed in full)."""
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


class RecoverysimError(Exception):
    """Base class: a user-facing problem (bad input, impossible request)."""


class ScenarioError(RecoverysimError):
    """A scenario file or override is invalid; the message names the file and the dotted key."""

    def __init__(self, source: str, key: str | None, problem: str):
        self.source = source
        self.key = key
        self.problem = problem
        where = f"{source}: {key}: " if key else f"{source}: "
        super().__init__(where + problem)
