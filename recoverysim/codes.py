"""Integer codes of the model's categories: recovery stages, crisis responses and diagnoses.

The ``IntEnum`` classes name the codes (``Stage.REUNION``, not 3) for people reading results and code. The rules
compare whole arrays with the plain-int constants below instead: numpy treats an ``IntEnum`` member as a strongly
typed 64-bit scalar and casts the whole int8 array to compare it, about three times slower than a Python int
(same result).
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


#: Plain-int values of the codes, for array operations in the rules.
DISCONTINUITY, SAFETY, CONTROL, REUNION = (int(s) for s in Stage)
COMMUNITY, VOLUNTARY, INVOLUNTARY = (int(r) for r in Response)

RESPONSES = tuple(r.name.lower() for r in Response)
DIAGNOSES = tuple(d.name.lower() for d in Diagnosis)
if tuple(s.name.lower() for s in Stage) != STAGES:
    raise ImportError("codes.Stage must list parameters.STAGES in order")
