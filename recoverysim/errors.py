"""Errors that the command line reports as one clear line instead of a traceback."""


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
