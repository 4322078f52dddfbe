"""The peer workforce: people in reunion become peer workers (R1) and leave through turnover or burnout (B1)."""

from __future__ import annotations

import numpy as np

from recoverysim.feedback_loops import peer_leaving_hazard
from recoverysim.parameters import WEEKS_PER_YEAR
from recoverysim.recovery_stages import REUNION


def update(model) -> tuple[int, int]:
    """Recruit and lose peer workers for one week; returns (recruited, left)."""
    pop, p, week = model.population, model.params.peer, model.week
    # A crisis or setback ends peer work (admission already did).
    pop.peer_worker &= (pop.stage == REUNION) & ~pop.in_hospital
    workers = pop.peer_worker.nonzero()[0]
    demand = np.count_nonzero(pop.stage != REUNION) * model.levers["peer_availability"]
    hazard = peer_leaving_hazard(p.turnover_rate, p.burnout_rate, p.organisational_support, demand,
                                 workers.size, p.caseload, model.params.loops.peer_burnout)
    burnout_share = 0.0 if hazard <= 0 else (hazard - p.turnover_rate) / hazard
    # Keyed draws for every worker in one pass (the burnout draw is each worker's own, used only if they leave).
    u, u_burnout = model.streams.keyed_uniforms(("peer_leaving", "peer_burnout"), week, workers)
    left = u < -np.expm1(-hazard / WEEKS_PER_YEAR)
    leaving = workers[left]
    pop.peer_worker[leaving] = False
    # Burnt-out peer workers may fall back a stage (the paper's warning about unsupported peer staff).
    burnt = leaving[u_burnout[left] < burnout_share * p.burnout_setback]
    pop.move_to_stage(burnt, pop.stage[burnt] - 1, week)

    eligible = ((pop.stage == REUNION) & ~pop.in_hospital & ~pop.peer_worker).nonzero()[0]
    u = model.streams.keyed_uniform("peer_recruitment", week, eligible)
    recruited = eligible[u < -np.expm1(-p.recruitment_rate / WEEKS_PER_YEAR)]
    pop.peer_worker[recruited] = True
    return recruited.size, leaving.size
