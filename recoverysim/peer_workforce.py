"""The peer workforce: people in reunion become peer workers (R1) and leave through turnover or burnout (B1)."""

from __future__ import annotations

import numpy as np

from recoverysim.feedback_loops import peer_leaving_hazard
from recoverysim.parameters import WEEKS_PER_YEAR
from recoverysim.population import of_runs
from recoverysim.recovery_stages import REUNION


def update(model) -> tuple[int, int]:
    """Recruit and lose peer workers for one week; returns (recruited, left) over every run."""
    pop, params, week = model.population, model.params, model.week
    p = params.peer
    # A crisis or setback ends peer work (admission already did).
    in_reunion_community = (pop.stage == REUNION) & ~pop.in_hospital
    pop.peer_worker &= in_reunion_community
    workers = pop.peer_worker.nonzero()[0]
    demand = pop.count_by_run(pop.stage != REUNION) * model.levers["peer_availability"]
    hazard = peer_leaving_hazard(p.turnover_rate, p.burnout_rate, p.organisational_support, demand,
                                 np.bincount(pop.run.take(workers), minlength=pop.runs), p.caseload,
                                 params.loops.peer_burnout)
    burnout_share = np.where(hazard > 0, (hazard - p.turnover_rate) / np.where(hazard > 0, hazard, 1.0), 0.0)
    # Who can be recruited is known only after this week's leavers, but it is always among the people in reunion
    # in the community now (today's workers included), so every keyed draw of the step is hashed in one pass:
    # leaving and burnout for each worker (the burnout draw is used only if they leave), recruitment for them.
    candidates = in_reunion_community.nonzero()[0]
    u, u_burnout, u_recruit = model.streams.keyed_uniform_groups(
        ("peer_leaving", "peer_burnout", "peer_recruitment"), week, (workers, workers, candidates))
    of_workers = pop.run.take(workers)
    left = u < of_runs(-np.expm1(-hazard / WEEKS_PER_YEAR), of_workers)
    leaving = workers[left]
    pop.peer_worker[leaving] = False
    # Burnt-out peer workers may fall back a stage (the paper's warning about unsupported peer staff).
    burnt = leaving[u_burnout[left] < of_runs(burnout_share * p.burnout_setback, of_workers[left])]
    pop.move_to_stage(burnt, pop.stage[burnt] - 1, week)

    eligible = (pop.stage.take(candidates) == REUNION) & ~pop.peer_worker.take(candidates)
    joining = params.memo("peer_recruitment", lambda: -np.expm1(-p.recruitment_rate / WEEKS_PER_YEAR))
    recruited = candidates[eligible & (u_recruit < of_runs(joining, pop.run.take(candidates)))]
    pop.peer_worker[recruited] = True
    return recruited.size, leaving.size
