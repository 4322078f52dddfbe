"""Person: a thin Mesa agent that views one row of the population arrays.

The rules act on the arrays (model.py); Person objects exist so that ``model.agents``, AgentSet queries
(``model.agents.select(lambda p: p.stage == "reunion")``) and Mesa's visualisation work on small models.
"""

from __future__ import annotations

import mesa

from recoverysim.codes import DIAGNOSES
from recoverysim.parameters import STAGES


class Person(mesa.Agent):
    """One service user; attributes read through to ``model.population``."""

    def __init__(self, model, index: int):
        super().__init__(model)
        self.index = index

    @property
    def _pop(self):
        return self.model.population

    @property
    def stage(self) -> str:
        """Current recovery stage name."""
        return STAGES[self._pop.stage[self.index]]

    @property
    def in_hospital(self) -> bool:
        """Whether the person is in a psychiatric bed."""
        return bool(self._pop.in_hospital[self.index])

    @property
    def peer_worker(self) -> bool:
        """Whether the person works as a peer worker."""
        return bool(self._pop.peer_worker[self.index])

    @property
    def trauma_load(self) -> float:
        """Current trauma load."""
        return float(self._pop.trauma_load[self.index])

    @property
    def diagnosis(self) -> str:
        """Diagnosis group."""
        return DIAGNOSES[self._pop.diagnosis[self.index]]

    @property
    def female(self) -> bool:
        """Gender (reporting subgroup)."""
        return bool(self._pop.female[self.index])

    @property
    def life_security(self) -> float:
        """Life security 0-1."""
        return float(self._pop.life_security[self.index])
