"""peer_workforce.py: leaving, burnout setbacks and recruitment with hand-chosen draws, against docs/ODD.md 7.5."""

import math

import numpy as np
import pytest
from hand_made import params, population, value

from recoverysim import peer_workforce
from recoverysim.peer_workforce import PeerDraws

PEER = [{"peer.caseload": 1.0, "peer.turnover_rate": 0.2, "peer.burnout_rate": 0.5,
         "peer.organisational_support": 0.25, "peer.burnout_setback": 0.6, "peer.recruitment_rate": 0.8},
        {"peer.caseload": 4.0, "peer.turnover_rate": 0.5, "peer.burnout_rate": 3.0,
         "peer.organisational_support": 0.0, "peer.burnout_setback": 0.3, "peer.recruitment_rate": 0.3}]
AVAILABILITY = np.array([0.9, 0.6])
MANY_POSTS = np.full(2, 1000.0)  # added posts per 1,000: one per person, never a binding limit here
# Run 0: workers 0 and 1 (5 is a worker but in hospital), 5 people not in reunion (3 in reunion). Run 1: worker 8
# only, 5 people not in reunion.
PEOPLE = dict(stage=[3, 3, 3, 0, 1, 2, 0, 1] + [3, 3, 2, 2, 2, 3, 2, 2],
              peer_worker=[1, 1, 0, 0, 0, 1, 0, 0] + [1, 0, 0, 0, 0, 0, 0, 0],
              in_hospital=[0, 0, 0, 0, 0, 1, 0, 0] + [0] * 8)


def odd_leaving_hazard(p, run, workers, not_in_reunion, loop):
    """ODD 7.5: turnover + burnout x max(0, load - 1) x (1 - support), load = min(demand / (workers x caseload),
    max_load)."""
    turnover = value(p, "peer.turnover_rate", run)
    if not loop or workers == 0:
        return turnover
    load = min(not_in_reunion * AVAILABILITY[run] / (workers * value(p, "peer.caseload", run)),
               value(p, "peer.max_load", run))
    return turnover + (value(p, "peer.burnout_rate", run) * max(0.0, load - 1)
                       * (1 - value(p, "peer.organisational_support", run)))


def test_drawn_for_lists_workers_and_candidates_in_reunion_in_the_community():
    pop = population(8, runs=2, **PEOPLE)
    workers, candidates = peer_workforce.drawn_for(pop)
    assert workers.tolist() == [0, 1, 8] and candidates.tolist() == [0, 1, 2, 8, 9, 13]


@pytest.mark.parametrize("loop", [True, False])
def test_workers_leave_at_the_odd_hazard_burn_out_and_candidates_join(loop):
    p = params(*PEER)
    pop = population(8, runs=2, **PEOPLE)
    workers, candidates = peer_workforce.drawn_for(pop)
    hazard = [odd_leaving_hazard(p, 0, 2, 5, loop), odd_leaving_hazard(p, 1, 1, 5, loop)]
    assert (hazard[0] > value(p, "peer.turnover_rate", 0)) == loop and hazard[1] == value(p, "peer.turnover_rate", 1)
    assert hazard[0] < 1  # a yearly hazard below 1 still has a burnout share
    leave = [1 - math.exp(-h / 52) for h in hazard]
    share = [(h - value(p, "peer.turnover_rate", r)) / h for r, h in enumerate(hazard)]
    burn = share[0] * value(p, "peer.burnout_setback", 0)
    join = [1 - math.exp(-value(p, "peer.recruitment_rate", r) / 52) for r in (0, 1)]
    draws = PeerDraws(workers, candidates,
                      leaving=np.array([leave[0] * 0.999, leave[0] * 1.001, leave[1] * 0.999]),
                      burnout=np.array([burn * 0.999 if loop else 0.0, 0.0, 0.0]),
                      # Worker 1 stays a worker (not recruited again) whatever its draw.
                      recruitment=np.array([0.99, 0.0, join[0] * 0.999, 0.99, join[1] * 1.001, join[1] * 0.999]))
    events = peer_workforce.update(pop, p.peer, np.array([loop, loop]), AVAILABILITY, MANY_POSTS, 7, draws)
    assert events.left.tolist() == [0, 8]
    # Burnout share is 0 without the loop (and in run 1, where the load is below the caseload).
    assert events.burnt_out.tolist() == ([0] if loop else [])
    assert events.recruited.tolist() == [2, 13]
    assert pop.peer_worker.nonzero()[0].tolist() == [1, 2, 13]
    assert pop.stage[0] == (2 if loop else 3) and pop.stage[8] == 3


def test_no_burnout_setback_when_the_draw_reaches_the_share():
    p = params(*PEER)
    pop = population(8, runs=2, **PEOPLE)
    workers, candidates = peer_workforce.drawn_for(pop)
    hazard = odd_leaving_hazard(p, 0, 2, 5, True)
    burn = (hazard - value(p, "peer.turnover_rate", 0)) / hazard * value(p, "peer.burnout_setback", 0)
    draws = PeerDraws(workers, candidates, leaving=np.zeros(3), burnout=np.array([burn * 1.001, 0.0, 0.0]),
                      recruitment=np.full(6, 0.99))
    events = peer_workforce.update(pop, p.peer, np.array([True, True]), AVAILABILITY, MANY_POSTS, 7, draws)
    assert events.left.tolist() == [0, 1, 8] and events.burnt_out.tolist() == [1]
    assert not pop.peer_worker.any()


def test_no_leaving_or_joining_at_zero_hazards_and_runs_without_workers():
    """Run 0: turnover 0 and B1 off, so no one leaves even at a draw of 0; no recruitment at rate 0. Run 1 has a
    worker and the last run none, so the per-run worker counts must cover every run."""
    zero = {"peer.turnover_rate": 0.0, "peer.recruitment_rate": 0.0}
    p = params(zero, PEER[1], PEER[1])
    # Person 5 was set back to discontinuity in the community (a crisis): peer work ends there too.
    pop = population(2, runs=3, stage=[3, 3, 3, 3, 0, 0], peer_worker=[1, 0, 1, 0, 0, 1])
    workers, candidates = peer_workforce.drawn_for(pop)
    draws = PeerDraws(workers, candidates, leaving=np.zeros(2), burnout=np.zeros(2),
                      recruitment=np.array([0.0, 0.0, 0.99, 0.0]))
    events = peer_workforce.update(pop, p.peer, np.array([False, True, True]), np.full(3, 0.5), np.full(3, 1000.0), 7,
                                   draws)
    assert events.left.tolist() == [2] and events.burnt_out.tolist() == [] and events.recruited.tolist() == [3]
    assert pop.peer_worker.nonzero()[0].tolist() == [0, 3]


def test_recruitment_fills_only_vacant_posts():
    """Run of 8 with 250 posts per 1,000 (2 posts) and one worker: of three willing candidates, only the one
    with the lowest recruitment draw is hired."""
    p = params({"peer.recruitment_rate": 0.8, "peer.posts_per_1000": 0.0, "peer.turnover_rate": 0.0,
                "loops.peer_burnout": False})
    pop = population(8, stage=[3, 3, 3, 3, 0, 0, 0, 0], peer_worker=[1, 0, 0, 0, 0, 0, 0, 0])
    workers, candidates = peer_workforce.drawn_for(pop)
    # Joining chance 1 - e^(-0.8/52) = 0.0152: candidates 1, 2 and 3 are willing (0 is the worker).
    draws = PeerDraws(workers, candidates, leaving=np.full(1, 0.99), burnout=np.zeros(1),
                      recruitment=np.array([0.0, 0.005, 0.001, 0.003]))
    events = peer_workforce.update(pop, p.peer, np.array([False]), np.array([0.5]), np.array([250.0]), 7, draws)
    assert events.recruited.tolist() == [2]
    assert peer_workforce.posts(p.peer, np.array([250.0]), 8).tolist() == [2]


def test_no_recruitment_when_every_post_is_filled():
    """Runs of 8 with 250 posts per 1,000 (2 posts): run 0 has 2 workers (no vacancy), run 1 has 3 (more workers
    than posts: still no vacancy, and nobody is dismissed); run 2 has 1 worker and 1 vacancy. Every candidate is
    willing (draw 0 below the joining chance)."""
    p = params({"peer.recruitment_rate": 0.8, "peer.posts_per_1000": 0.0, "peer.turnover_rate": 0.0,
                "loops.peer_burnout": False})
    stage = [3, 3, 3, 3, 0, 0, 0, 0]
    pop = population(8, runs=3, stage=stage * 3, peer_worker=[1, 1, 0, 0, 0, 0, 0, 0] + [1, 1, 1, 0, 0, 0, 0, 0]
                     + [1, 0, 0, 0, 0, 0, 0, 0])
    workers, candidates = peer_workforce.drawn_for(pop)
    draws = PeerDraws(workers, candidates, leaving=np.full(workers.size, 0.99), burnout=np.zeros(workers.size),
                      recruitment=np.array([0.0, 0.0, 0.0, 0.0] + [0.0, 0.0, 0.0, 0.0] + [0.0, 0.002, 0.001, 0.0]))
    events = peer_workforce.update(pop, p.peer, np.zeros(3, bool), np.full(3, 0.5), np.full(3, 250.0), 7, draws)
    assert events.left.size == 0 and events.recruited.tolist() == [19]  # run 2: the lowest draw of 17, 18, 19
    assert pop.peer_worker.nonzero()[0].tolist() == [0, 1, 8, 9, 10, 16, 19]


def test_posts_are_funded_and_added_posts_per_1000_users_rounded_to_whole_posts():
    """ODD 7.5: (posts_per_1000 + added posts) x people / 1,000, rounded to whole posts (a count)."""
    p = params({"peer.posts_per_1000": 3.0}, {"peer.posts_per_1000": 0.0})
    # Run 0: (3 + 1.7) x 1,000,000 / 1,000 = 4,700; run 1: 2.5 x 1,000,000 / 1,000 = 2,500.
    got = peer_workforce.posts(p.peer, np.array([1.7, 2.5]), 1_000_000)
    assert got.tolist() == [4700, 2500] and got.dtype.kind == "i"
    # (3 + 0) x 150 / 1,000 = 0.45 rounds to 0; (0 + 5) x 150 / 1,000 = 0.75 rounds to 1.
    assert peer_workforce.posts(p.peer, np.array([0.0, 5.0]), 150).tolist() == [0, 1]
