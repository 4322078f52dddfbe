"""Integer codes of the model's categories: recovery stages, crisis responses and diagnoses.

``IntEnum`` members are plain integers to numpy, so the population arrays keep their int8 codes (and runs their
results) while the code names what it compares with: ``stage == Stage.REUNION``, not ``stage == 3``.
"""

from __future__ import annotations

from enum import IntEnum

from recoverysim.parameters import STAGES


class Stage(IntEnum):
    """Recovery stages (paper, Theme 1), in order: ``parameters.STAGES``."""

    DISCONTINUITY = 0
    SAFETY = 1
    CONTROL = 2
    REUNION = 3


class Response(IntEnum):
    """How a crisis is answered: ``RESPONSES``."""

    COMMUNITY = 0
    VOLUNTARY = 1
    INVOLUNTARY = 2


class Diagnosis(IntEnum):
    """Diagnostic groups of the population: ``DIAGNOSES``."""

    SCHIZOPHRENIA = 0
    MOOD = 1
    OTHER = 2


RESPONSES = tuple(r.name.lower() for r in Response)
DIAGNOSES = tuple(d.name.lower() for d in Diagnosis)
if tuple(s.name.lower() for s in Stage) != STAGES:
    raise ImportError("codes.Stage must list parameters.STAGES in order")
