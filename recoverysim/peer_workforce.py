"""The peer workforce: people in reunion become peer workers (R1) and leave through turnover or burnout (B1)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recoverysim.codes import REUNION
from recoverysim.feedback_loops import peer_leaving_hazard
from recoverysim.parameters import WEEKS_PER_YEAR
from recoverysim.population import by_priority_in_run, of_runs

#: Keyed streams of a week: leaving and burnout for each worker (burnout used only if they leave), recruitment
#: for each candidate.
STREAMS = ("peer_leaving", "peer_burnout", "peer_recruitment")


@dataclass(slots=True)
class PeerDraws:
    """The week's keyed draws: ``leaving`` and ``burnout`` of each worker, ``recruitment`` of each candidate."""

    workers: np.ndarray
    candidates: np.ndarray
    leaving: np.ndarray
    burnout: np.ndarray
    recruitment: np.ndarray


@dataclass(slots=True)
class PeerEvents:
    """Who became a peer worker, who left, and who of those burnt out and fell back a stage."""

    recruited: np.ndarray
    left: np.ndarray
    burnt_out: np.ndarray


def drawn_for(pop) -> tuple[np.ndarray, np.ndarray]:
    """The (workers, candidates) whose draws ``update`` needs.

    Workers are today's peer workers who can keep working; candidates everyone in reunion in the community (who
    can be recruited is known only after this week's leavers, but it is always among them), so every keyed draw
    of the step is hashed in one pass.
    """
    candidates = ((pop.stage == REUNION) & ~pop.in_hospital).nonzero()[0]
    workers = candidates[pop.peer_worker.take(candidates)]
    return workers, candidates


def posts(p, added_posts: np.ndarray, run_size: int) -> np.ndarray:
    """Peer-worker posts of each run: those organisations fund (``peer.posts_per_1000``) plus reform capacity."""
    return np.rint((p.posts_per_1000 + added_posts) * run_size / 1000).astype(np.int64)


def update(pop, p, burnout_loop: np.ndarray, peer_availability: np.ndarray, added_posts: np.ndarray, week: int,
           draws: PeerDraws) -> PeerEvents:
    """Recruit and lose peer workers for one week (``p``: the ``[peer]`` section; ``burnout_loop``: B1 on).

    ``added_posts`` are the posts per 1,000 users that reforms add (crisis_advocacy's peer advocates), by run.
    """
    # A crisis or setback ends peer work (admission already did). Peer workers are few: test only them.
    serving = pop.peer_worker.nonzero()[0]
    pop.peer_worker[serving[(pop.stage.take(serving) != REUNION) | pop.in_hospital.take(serving)]] = False
    workers, candidates = draws.workers, draws.candidates
    demand = pop.count_by_run(pop.stage != REUNION) * peer_availability
    hazard = peer_leaving_hazard(p.turnover_rate, p.burnout_rate, p.organisational_support, demand,
                                 np.bincount(pop.run_of(workers), minlength=pop.runs), p.caseload, burnout_loop,
                                 p.max_load)
    burnout_share = np.where(hazard > 0, (hazard - p.turnover_rate) / np.where(hazard > 0, hazard, 1.0), 0.0)
    of_workers = pop.run_of(workers)
    left = draws.leaving < of_runs(-np.expm1(-hazard / WEEKS_PER_YEAR), of_workers)
    leaving = workers[left]
    pop.peer_worker[leaving] = False
    # Burnt-out peer workers may fall back a stage (the paper's warning about unsupported peer staff).
    burnt = leaving[draws.burnout[left] < of_runs(burnout_share * p.burnout_setback, of_workers[left])]
    pop.move_to_stage(burnt, pop.stage[burnt] - 1, week)

    eligible = (pop.stage.take(candidates) == REUNION) & ~pop.peer_worker.take(candidates)
    joining = -np.expm1(-p.recruitment_rate / WEEKS_PER_YEAR)
    willing = (eligible & (draws.recruitment < of_runs(joining, pop.run_of(candidates)))).nonzero()[0]
    # Only posts that organisations fund can be filled (lowest recruitment draws first).
    vacancies = np.maximum(0, posts(p, added_posts, pop.run_size) - pop.count_by_run(pop.peer_worker))
    hired = willing[by_priority_in_run(pop.run_of(candidates[willing]), draws.recruitment[willing], vacancies,
                                       pop.runs)]
    recruited = candidates[hired]
    pop.peer_worker[recruited] = True
    return PeerEvents(recruited, leaving, burnt)
