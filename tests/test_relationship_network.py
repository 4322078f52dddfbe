"""relationship_network.py: tie storage, tie draws and weekly tie dynamics on hand-made networks (docs/ODD.md 7.6)."""

import math

import numpy as np
import pytest
from hand_made import network, params, population, value

from recoverysim.random_streams import RandomStreams
from recoverysim.relationship_network import (
    RelationshipNetwork,
    TieDraws,
    TieMatrix,
    degree_counts,
    draw_ties,
    exp1_from_uniform,
    hazard_key,
    loss_thresholds,
    tie_keys,
    update_ties,
)
from recoverysim.scenario import default_scenario


def test_tie_matrix_grows_counts_degrees_by_run_and_ends_ties_past_their_threshold():
    rows = np.array([0, 1, 1, 4, 5], np.int32)
    tm = TieMatrix(6, 5, rows, np.arange(5, dtype=np.int32), np.array([0.5, 2.0, 0.05, np.inf, 0.25]),
                   flags=np.array([0, 1, 1, 2, 3]), run_size=3)
    assert tm.degree.tolist() == [1, 2, 0, 0, 1, 1] and tm.active_by_run.tolist() == [3, 2] and tm.n_active == 5
    assert tm.active_by_run.dtype.kind == "i"
    # More ties than the first allocation (16): all kept, in order.
    many = np.repeat(np.array([2, 3], np.int32), 10)
    tm.add(many, np.arange(5, 25, dtype=np.int32), np.full(20, np.inf), np.full(20, 0))
    assert tm.m == 25 and tm.row.tolist() == [*rows, *many] and tm.col.tolist() == list(range(25))
    assert tm.n_alters == 25 and tm.degree.tolist() == [1, 2, 10, 10, 1, 1]
    assert tm.active_by_run.tolist() == [13, 12]
    ended = tm.accumulate(np.array([0.1, 0.3, 0.0, 0.2]))  # keys 0..3: hazard of this week
    assert ended.tolist() == [2]  # 0.3 > 0.05; 0.1 is not past 0.5, 0.2 not past 0.25
    ended = tm.accumulate(np.array([0.45, 0.3, 0.0, 0.05]))  # tie 0 reaches 0.55, tie 4 exactly 0.25 (not past)
    assert ended.tolist() == [0]
    assert tm.degree.tolist() == [0, 1, 10, 10, 1, 1] and tm.active_by_run.tolist() == [11, 12]
    assert tm.active.tolist() == [0, 1, 0, 1, 1] + [1] * 20 and tm.active_index().tolist() == [1, *range(3, 25)]
    assert tm.as_sparse().toarray().sum() == 23
    assert TieMatrix(4, 6, np.array([0], np.int32), np.array([1], np.int32)).as_sparse().shape == (4, 6)


def test_a_few_changes_among_many_people_update_degrees_alike():
    """Few changes among many people take the scatter path: both ends of a peer tie, only the person otherwise."""
    sym = TieMatrix(200, 200, np.array([3], np.int32), np.array([7], np.int32), symmetric=True)
    assert sym.degree.nonzero()[0].tolist() == [3, 7] and sym.degree.sum() == 2
    one_way = TieMatrix(200, 200, np.array([3], np.int32), np.array([7], np.int32))
    assert one_way.degree.nonzero()[0].tolist() == [3] and one_way.degree.sum() == 1
    sym.remove(np.array([0]))
    assert sym.degree.sum() == 0
    one_way.add(np.arange(40, dtype=np.int32), np.arange(40, dtype=np.int32), np.full(40, np.inf))  # 41 > 2 x 16
    assert one_way.m == 41 and one_way.degree[:41].tolist() == [1, 1, 1, 2] + [1] * 36 + [0]


def test_symmetric_ties_count_for_both_ends():
    tm = TieMatrix(4, 4, np.array([0, 1], np.int32), np.array([2, 2], np.int32), symmetric=True)
    assert tm.degree.tolist() == [1, 1, 2, 0] and tm.n_alters == 4
    tm.remove(np.array([1]))
    assert tm.degree.tolist() == [1, 0, 1, 0] and tm.n_active == 1


def test_compaction_keeps_the_live_ties_and_their_thresholds():
    n = 2000
    rows = np.arange(n, dtype=np.int32) % 100
    thresholds = np.where(np.arange(n) % 8 == 0, 0.5, 2.0)
    tm = TieMatrix(100, n, rows, np.arange(n, dtype=np.int32), thresholds)
    for k in (1, 2):
        tm.remove(np.arange(k, n, 4))
    assert tm.m == n  # half the slots live: not yet compacted
    tm.remove(np.arange(3, n, 4))
    assert tm.m == n // 4  # compacted once fewer than half the slots were live
    assert tm.col.tolist() == list(range(0, n, 4)) and tm.active.all()
    assert tm.degree.tolist() == [20 if r % 4 == 0 else 0 for r in range(100)] and tm.n_active == n // 4
    ended = tm.accumulate(1.0)
    assert tm.col[ended].tolist() == list(range(0, n, 8)) and tm.n_active == n // 8


@pytest.mark.parametrize("symmetric", [False, True])
def test_removing_people_ends_exactly_the_live_ties_a_scan_of_every_tie_finds(symmetric):
    # The lookup by person (an index plus a scanned tail, rebuilt after compactions) against the brute-force
    # answer, written here from the definition: every live tie with a leaver at its row (or, symmetric, either) end.
    rng = np.random.default_rng(7)
    n = 300
    tm = TieMatrix(n, n, rng.integers(0, n, 900).astype(np.int32), rng.integers(0, n, 900).astype(np.int32),
                   rng.exponential(size=900), symmetric=symmetric)
    compactions = 0
    for week in range(60):
        leavers = rng.choice(n, int(rng.integers(0, 12)), replace=False)
        live = tm.active.view(np.bool_)
        hit = np.isin(tm.row, leavers) | (symmetric & np.isin(tm.col, leavers))
        ended = int((live & hit).sum())
        before = tm.n_active
        m_before = tm.m
        kept = sorted(zip(tm.row[live & ~hit].tolist(), tm.col[live & ~hit].tolist(), strict=True))
        tm.remove_people(leavers)
        compactions += tm.m < m_before
        assert tm.n_active == before - ended
        now = tm.active.view(np.bool_)
        assert sorted(zip(tm.row[now].tolist(), tm.col[now].tolist(), strict=True)) == kept
        if symmetric:
            np.testing.assert_array_equal(tm.degree, np.bincount(np.concatenate([tm.row[now], tm.col[now]]),
                                                                 minlength=n))
        else:
            np.testing.assert_array_equal(tm.degree, np.bincount(tm.row[now], minlength=n))
        k = int(rng.integers(0, 40))  # new ties land in the tail until the index is rebuilt
        tm.add(rng.integers(0, n, k).astype(np.int32), rng.integers(0, n, k).astype(np.int32), rng.exponential(size=k))
        if week % 7 == 3:
            tm.accumulate(0.3)
    assert compactions >= 1  # the index was rebuilt after positions moved


def test_degree_counts_and_keys():
    assert degree_counts(np.array([0, 2, 0, 1, 2, 5])).tolist() == [2, 1, 2, 0, 0, 1]
    assert TieMatrix(4, 3, np.array([0, 0, 2], np.int32), np.arange(3, dtype=np.int32)).degree_counts().tolist() == [
        2, 1, 1]
    assert degree_counts(np.zeros(3, int)).tolist() == [3]
    assert tie_keys(np.array([0, 3]), np.array([1, 2])).tolist() == [1, 194]
    assert tie_keys(np.array([2])).tolist() == [128] and tie_keys(np.array([2], np.int32)).dtype == np.int64
    assert hazard_key(np.array([0, 1, 2]), np.array([1, 0, 1])).tolist() == [1, 2, 5]
    np.testing.assert_allclose(exp1_from_uniform(np.array([0.0, 0.5, 0.9])), [0.0, math.log(2), math.log(10)])


def test_loss_thresholds_are_exp1_of_the_keyed_draw_of_each_tie():
    streams = RandomStreams(3)
    people, ordinal = np.array([4, 4, 9]), np.array([0, 1, 0])
    u = streams.keyed_uniform("community_tie_loss", 6, people * 64 + ordinal)
    np.testing.assert_allclose(loss_thresholds(streams, "community", people, 6, ordinal), -np.log(1 - u))


def test_create_gives_one_professional_each_and_community_ties_thinned_by_thin_networks():
    sc = default_scenario().with_overrides({"population.size": 400, "roots.thin_networks": 0.0,
                                            "network.community_ties_mean": 3.0, "population.family_ties_mean": 2.0})
    schizophrenia = np.arange(400) % 3 == 0
    net = RelationshipNetwork.create(sc.params, RandomStreams(5), schizophrenia)
    # Family counts are the first draws of stream "network_init" (reproducible, shared by scenarios).
    rng = RandomStreams(5)["network_init"]
    np.testing.assert_array_equal(net.degree("family"), rng.poisson(2.0, 400))
    np.testing.assert_array_equal(net.ties["professional"].col, rng.integers(0, 8, 400))  # then each professional
    assert net.as_sparse("peer").shape == (400, 400)
    prof = net.ties["professional"]  # 20 per 1,000 of 400 people
    assert prof.degree.tolist() == [1] * 400 and prof.n_alters == 8 and prof.col.max() < 8
    assert abs(net.degree("community").mean() - 3.0) < 0.3 and abs(net.degree("family").mean() - 2.0) < 0.3
    community = net.ties["community"]
    assert community.flag.tolist() == schizophrenia[community.row].tolist()
    ordinal = np.concatenate([np.arange(k) for k in net.degree("community")])
    u = RandomStreams(5).keyed_uniform("community_tie_loss", 0, community.row.astype(np.int64) * 64 + ordinal)
    np.testing.assert_allclose(community._threshold[: community.m], -np.log(1 - u))
    assert net.ties["peer"].m == 0 and net.ties["peer"].symmetric
    thin = default_scenario().with_overrides({"population.size": 400, "roots.thin_networks": 1.0})
    assert RelationshipNetwork.create(thin.params, RandomStreams(5), schizophrenia).ties["community"].m == 0
    few = default_scenario().with_overrides({"population.size": 10, "levers.professionals_per_1000": 1.0})
    alone = RelationshipNetwork.create(few.params, RandomStreams(5), np.zeros(10, bool))
    assert alone.ties["professional"].n_alters == 1  # at least one professional
    half = default_scenario().with_overrides({"population.size": 10, "levers.professionals_per_1000": 150.0})
    assert RelationshipNetwork.create(half.params, RandomStreams(5), np.zeros(10, bool)).ties[
        "professional"].n_alters == 2  # 1.5 professionals round to 2


def test_stack_offsets_people_alters_and_hazard_keys_by_run():
    a = network(3, family=[1, 0, 2], community=[1, 1, 0], community_flags=[1, 0, 0], peer_pairs=[(0, 2)])
    b = network(3, family=[0, 1, 0], community=[0, 2, 1], community_flags=[0, 1, 0], peer_pairs=[(1, 2)])
    net = RelationshipNetwork.stack([a, b])
    assert net.n_people == 6
    family = net.ties["family"]
    assert family.row.tolist() == [0, 2, 2, 4] and family.col.tolist() == [0, 1, 2, 3] and family.n_alters == 4
    assert family.flag.tolist() == [0, 0, 0, 1] and family.run_size == 3
    community = net.ties["community"]
    assert community.row.tolist() == [0, 1, 4, 4, 5] and community.col.tolist() == [0, 1, 2, 3, 4]
    assert community.flag.tolist() == [1, 0, 3, 3, 2]  # 2 x run + schizophrenia flag
    peer = net.ties["peer"]
    assert peer.row.tolist() == [0, 4] and peer.col.tolist() == [2, 5] and peer.n_alters == 6
    assert peer.flag.tolist() == [0, 1] and net.degree("peer").tolist() == [1, 0, 1, 0, 1, 1]
    assert RelationshipNetwork.stack([a]) is a


def test_stack_of_three_runs_keeps_thresholds_and_offsets_every_runs_alters():
    nets = [network(2, family=f) for f in ([1, 1], [2, 0], [0, 1])]
    nets[1].ties["community"] = TieMatrix(2, 1, np.array([1], np.int32), np.array([0], np.int32), np.array([0.7]))
    net = RelationshipNetwork.stack(nets)
    assert net.ties["family"].col.tolist() == [0, 1, 2, 3, 4] and net.ties["family"].row.tolist() == [0, 1, 2, 2, 5]
    assert net.ties["family"].flag.tolist() == [0, 0, 1, 1, 2]
    community = net.ties["community"]
    assert community.row.tolist() == [3] and community._threshold[: community.m].tolist() == [0.7]


def test_stack_keeps_the_hazard_a_live_tie_has_accumulated():
    """A community tie of run 1 (hazard key 2 x 1 + 0) has accumulated 0.5 of its threshold 0.7: a further 0.25
    takes it past (0.75 > 0.7), as it would have in its own run; a tie starting from 0 would not have ended."""
    nets = [network(2), network(2)]
    nets[1].ties["community"] = TieMatrix(2, 1, np.array([0], np.int32), np.array([0], np.int32), np.array([0.7]))
    nets[1].ties["community"].accumulate(np.array([0.5]))
    net = RelationshipNetwork.stack(nets)
    community = net.ties["community"]
    assert community.row.tolist() == [2] and community.flag.tolist() == [2]
    assert community.accumulate(np.array([0.0, 0.0, 0.25, 0.0])).tolist() == [0]
    assert net.degree("community").tolist() == [0, 0, 0, 0]


def test_peer_neighbour_sums_and_new_ties():
    net = network(5, peer_pairs=[(0, 1), (1, 2), (3, 1)])
    values = np.array([1.0, 0.0, 1.0, 1.0, 0.0])
    assert net.peer_neighbour_sum(values).tolist() == [0.0, 3.0, 0.0, 0.0, 0.0]
    assert net.peer_neighbour_sum(values, np.array([1, 3])).tolist() == [3.0, 0.0]
    assert network(3).peer_neighbour_sum(np.ones(3), np.array([0])).tolist() == [0.0]
    net.add_peer_ties(np.array([4, 2]), np.array([4, 0]), np.array([1.0, 2.0]), np.array([0, 0]))
    peer = net.ties["peer"]
    assert peer.row.tolist()[-1] == 2 and peer.col.tolist()[-1] == 0 and peer.m == 4  # no tie to oneself
    assert net.peer_neighbour_sum(values).tolist() == [1.0, 3.0, 1.0, 0.0, 0.0]
    before = net.ties["community"].n_alters
    net.add_community_ties(np.array([1, 3]), np.array([0.5, 0.7]), np.array([0, 1]))
    community = net.ties["community"]
    assert community.col.tolist()[-2:] == [before, before + 1] and community.flag.tolist()[-2:] == [0, 1]
    assert net.degree("community").tolist() == [0, 1, 0, 1, 0]


def test_remove_people_ends_peer_ties_at_either_end():
    tm = TieMatrix(5, 5, np.array([0, 2, 1, 3], np.int32), np.array([1, 3, 2, 4], np.int32), symmetric=True)
    tm.remove_people(np.array([2]))  # person 2 is the row of tie (2, 3) and the column of tie (1, 2)
    assert tm.active.tolist() == [1, 0, 0, 1] and tm.degree.tolist() == [1, 1, 0, 1, 1]


def test_renew_ends_the_old_occupants_ties_and_gives_the_new_one_ties_to_new_alters():
    """Place 2 changes hands: its family, community and peer ties (at either end) end; the professional tie stays
    with the place; the new occupant gets 3 family ties and 2 community ties to new alters, with the given loss
    thresholds (0.4, 0.9) and hazard key (1)."""
    net = network(4, family=[1, 0, 2, 1], professional=[1, 1, 1, 1], community=[1, 0, 2, 0],
                  community_flags=[0, 0, 1, 0], peer_pairs=[(0, 1), (2, 3), (1, 2)])
    net.renew(np.array([2]), np.array([3]), np.array([2]), np.array([0.4, 0.9]), np.array([1, 1]))
    family, community, peer = net.ties["family"], net.ties["community"], net.ties["peer"]
    assert family.active.tolist() == [1, 0, 0, 1, 1, 1, 1]
    assert family.row.tolist()[4:] == [2, 2, 2] and family.col.tolist()[4:] == [4, 5, 6]
    assert net.degree("family").tolist() == [1, 0, 3, 1] and net.degree("professional").tolist() == [1, 1, 1, 1]
    assert community.active.tolist() == [1, 0, 0, 1, 1] and community.col.tolist()[3:] == [3, 4]
    assert net.degree("community").tolist() == [1, 0, 2, 0]
    assert peer.active.tolist() == [1, 0, 0] and net.degree("peer").tolist() == [1, 1, 0, 0]
    # A week's hazard 0.5 on key 1 takes the new tie with threshold 0.4 past it, not the one with 0.9.
    assert community.accumulate(np.array([0.0, 0.5])).tolist() == [3]
    assert net.degree("community").tolist() == [1, 0, 1, 0]


class FakeStreams:
    """Streams whose draws the test chooses; records what the rule asked for."""

    def __init__(self, run_size, below, groups):
        self.run_size, self.below, self.groups, self.asked = run_size, below, groups, {}

    def uniform_below(self, name, bounds):
        self.asked[name] = np.asarray(bounds, float)
        return self.below[name]

    def local(self, people):
        return people % self.run_size

    def keyed_uniform_groups(self, names, week, people, keys):
        self.asked["groups"] = (names, week, [p.tolist() for p in people], [k.tolist() for k in keys])
        return self.groups


NETWORK_RUNS = [{"network.peer_tie_formation_rate": 2.0, "network.community_tie_formation_rate": 1.5,
                 "network.community_tie_loss_rate": 0.8, "network.peer_tie_loss_rate": 0.4},
                {"network.peer_tie_formation_rate": 6.0, "network.community_tie_formation_rate": 4.0,
                 "network.community_tie_loss_rate": 3.0, "network.peer_tie_loss_rate": 1.1}]
EXCLUSION = np.array([[0.2, 0.5], [0.1, 0.9]])  # felt social_exclusion (without, with) schizophrenia, by run
AVAILABILITY = np.array([0.3, 0.8])


def test_draw_ties_keeps_community_seekers_and_gainers_below_their_odd_probabilities():
    p = params(*NETWORK_RUNS)
    pop = population(4, runs=2, stage=[0, 2, 3, 1, 2, 3, 2, 2], in_hospital=[0, 0, 1, 0, 0, 0, 0, 0],
                     schizophrenia=[0, 1, 0, 0, 0, 1, 1, 0])
    seek = [1 - math.exp(-value(p, "network.peer_tie_formation_rate", r) * AVAILABILITY[r] / 52) for r in (0, 1)]
    gain = [[1 - math.exp(-value(p, "network.community_tie_formation_rate", r) / 52 * (1 - EXCLUSION[r, f]))
             for f in (0, 1)] for r in (0, 1)]
    below = {
        # 0: below; 2: in hospital; 3: at its probability's 1.001; 5: below (run 1)
        "peer_ties": (np.array([0, 2, 3, 5]), np.array([seek[0] * 0.999, 0.0, seek[0] * 1.001, seek[1] * 0.999])),
        # 0: in discontinuity; 1: with the diagnosis, below; 2: in hospital; 5: above (with); 6: below (with);
        # 7: below without the diagnosis
        "community_ties": (np.array([0, 1, 2, 5, 6, 7]),
                           np.array([0.0, gain[0][1] * 0.999, 0.0, gain[1][1] * 1.001, gain[1][1] * 0.999,
                                     gain[1][0] * 0.999])),
    }
    groups = [np.array([0.1, 0.2]), np.array([0.3, 0.4]), np.array([0.5, 0.6, 0.7])]
    streams = FakeStreams(4, below, groups)
    draws = draw_ties(pop, p.network, EXCLUSION, AVAILABILITY, streams, 12)
    np.testing.assert_allclose(streams.asked["peer_ties"], seek, rtol=1e-12)
    np.testing.assert_allclose(streams.asked["community_ties"], [max(g) for g in gain], rtol=1e-6)
    assert draws.seekers.tolist() == [0, 5] and draws.gain.tolist() == [1, 6, 7]
    assert streams.asked["groups"] == (("peer_partner", "peer_tie_loss", "community_tie_loss"), 12,
                                       [[0, 5], [0, 5], [1, 6, 7]], [[0, 1], [0, 64], [64, 128, 192]])
    assert draws.partner is groups[0] and draws.peer_tie_loss is groups[1] and draws.community_tie_loss is groups[2]


def test_draw_ties_with_zero_probabilities_keeps_nobody_even_at_a_zero_draw():
    p = params(*NETWORK_RUNS)
    pop = population(2, runs=2, stage=[2, 3, 2, 3], schizophrenia=[0, 1, 0, 1])
    below = {"peer_ties": (np.array([0, 2]), np.zeros(2)), "community_ties": (np.array([0, 1, 2, 3]), np.zeros(4))}
    streams = FakeStreams(2, below, [np.zeros(0), np.zeros(0), np.zeros(0)])
    # Run 0: no peer availability; full exclusion (felt 1) with and without the diagnosis in both runs.
    draws = draw_ties(pop, p.network, np.ones((2, 2)), np.array([0.0, 0.0]), streams, 3)
    assert draws.seekers.size == 0 and draws.gain.size == 0


def test_update_ties_joins_seekers_to_partners_of_their_run_and_drops_ties_by_exclusion():
    p = params(*NETWORK_RUNS)
    # Partners: run 0: 1 (control) and 3 (peer worker); 2 is in hospital; run 1: 5 and 6.
    pop = population(4, runs=2, stage=[0, 2, 3, 0, 0, 3, 2, 1], in_hospital=[0, 0, 1, 0, 0, 0, 0, 0],
                     peer_worker=[0, 0, 0, 1, 0, 0, 0, 0], schizophrenia=[0, 1, 0, 0, 0, 1, 1, 0])
    net = network(8, 4)
    peer_loss = [value(p, "network.peer_tie_loss_rate", r) / 52 for r in (0, 1)]
    loss = [[value(p, "network.community_tie_loss_rate", r) / 52 * EXCLUSION[r, f] for f in (0, 1)] for r in (0, 1)]
    # Existing community ties of persons 1 (run 0, diagnosis) and 7 (run 1, none), thresholds around a week's hazard.
    net.ties["community"] = TieMatrix(8, 2, np.array([1, 7], np.int32), np.array([0, 1], np.int32),
                                      np.array([loss[0][1] * 0.999, loss[1][0] * 1.001]),
                                      flags=hazard_key(np.array([0, 1]), np.array([1, 0])), run_size=4)
    # Seekers 0 (u 0.6 -> second partner of run 0: 3), 4 (0.0 -> 5), 7 (0.99 -> 6), 5 (0.1 -> itself: no tie).
    # New peer tie of 4 has a threshold below a week's loss, so it lapses at once.
    u_loss = [0.5, 1 - math.exp(-peer_loss[1] * 0.999), 0.5, 0.5]
    draws = TieDraws(np.array([0, 4, 5, 7]), np.array([0, 6]), np.array([0.6, 0.0, 0.1, 0.99]), np.array(u_loss),
                     np.array([0.5, 0.25]))
    events = update_ties(pop, net, p.network, EXCLUSION, draws)
    peer = net.ties["peer"]
    assert list(zip(peer.row.tolist(), peer.col.tolist(), strict=True)) == [(0, 3), (4, 5), (7, 6)]
    assert peer.active.tolist() == [1, 0, 1] and events.new_peer_ties == 3
    np.testing.assert_allclose(peer._accumulated[[0, 2]], [peer_loss[0], peer_loss[1]])
    np.testing.assert_allclose(peer._threshold[[0, 2]], [math.log(2)] * 2)
    community = net.ties["community"]
    assert community.row.tolist() == [1, 7, 0, 6] and community.active.tolist() == [0, 1, 1, 1]
    assert community.flag.tolist()[2:] == [0, 3] and events.community_ties_lost == 1
    np.testing.assert_allclose(community._accumulated[1:community.m], [loss[1][0], loss[0][0], loss[1][1]], rtol=1e-6)
    np.testing.assert_allclose(community._threshold[2:community.m], [math.log(2), math.log(4 / 3)])


def test_update_ties_without_partners_in_a_run_makes_none_there():
    p = params(*NETWORK_RUNS)
    pop = population(3, runs=2, stage=[2, 0, 0, 0, 0, 0])
    net = network(6, 3)
    draws = TieDraws(np.array([1, 4]), np.zeros(0, int), np.array([0.5, 0.5]), np.array([0.5, 0.5]), np.zeros(0))
    events = update_ties(pop, net, p.network, EXCLUSION, draws)
    assert events.new_peer_ties == 1 and net.ties["peer"].row.tolist() == [1] and net.ties["peer"].col.tolist() == [0]
    single = population(3, stage=[0, 0, 0])
    assert update_ties(single, network(3), params(NETWORK_RUNS[0]).network, EXCLUSION[:1], TieDraws(
        np.array([1]), np.zeros(0, int), np.array([0.5]), np.array([0.5]), np.zeros(0))).new_peer_ties == 0


@pytest.mark.parametrize("runs", [1, 2])
def test_single_and_batched_partner_choice_agree(runs):
    p = params(*NETWORK_RUNS[:runs])
    pop = population(4, runs=runs, stage=[0, 2, 3, 2] * runs)
    net = network(4 * runs, 4, peer_pairs=[(1, 2)])
    draws = TieDraws(np.array([0, 4][:runs]), np.zeros(0, int), np.array([0.7] * runs), np.array([0.5] * runs),
                     np.zeros(0))
    events = update_ties(pop, net, p.network, EXCLUSION[:runs], draws)
    assert net.ties["peer"].col.tolist()[1:] == [3, 7][:runs]  # 0.7 x 3 partners -> the third of the run
    assert events.new_peer_ties == runs
