"""Verification of the engine's shortcuts: each gives exactly what the plain whole-population computation gives.

The engine examines only people whose weekly draw falls below a bound of everyone's probability, compares
draws as integers, hashes several keyed streams in one pass, sums peer neighbours for a few people, keeps
degree counts and tie totals incrementally, and computes barrier means without the (8, n) matrix. Each test
here switches a shortcut off (or recomputes its result the plain way) and compares.
"""

import copy
import pickle

import numpy as np
import pytest

from recoverysim import crisis_pathway, random_streams, recovery_stages
from recoverysim.crisis_pathway import crisis_hazard, crisis_probability_bound
from recoverysim.model import RecoveryModel, state_digest
from recoverysim.random_streams import BatchStreams, RandomStreams
from recoverysim.recovery_stages import move_probability_bound, transition_probabilities
from recoverysim.scenario import load_scenario
from recoverysim.simulation import simulate, simulate_headline


@pytest.mark.parametrize("scenario", ["japan_baseline.toml", "all_reforms.toml"])
def test_bounds_change_nothing(monkeypatch, scenario):
    """With every person examined every week (bounds of 1), the run is bit-identical."""
    path = f"scenarios/{scenario}"
    sc = load_scenario(path, {"population.size": 1500, "run.years": 3})
    fast = state_digest(RecoveryModel(sc, rng=4, materialise_agents=False).run())
    monkeypatch.setattr(crisis_pathway, "crisis_probability_bound", lambda pop, params: 1.0)
    monkeypatch.setattr(recovery_stages, "move_probability_bound", lambda params: 1.0)
    plain = state_digest(RecoveryModel(sc, rng=4, materialise_agents=False).run())
    assert fast == plain


def test_bounds_hold_and_incremental_totals_match_recounts(small):
    model = RecoveryModel(small.with_overrides({"run.years": 3, "levers.coercion": 1.0}), rng=5,
                          materialise_agents=False)
    while model.running:
        model.step()
        pop = model.population
        p_crisis = -np.expm1(-crisis_hazard(pop, model.params.crisis, model.week))
        assert p_crisis.max() <= crisis_probability_bound(pop, model.params.crisis)
        p_up, p_down = transition_probabilities(*model.stage_hazards())
        assert (p_up + p_down).max() <= move_probability_bound(model.params.recovery)
        for ties in model.network.ties.values():
            assert ties.n_active == np.count_nonzero(ties.active)
            assert np.array_equal(ties.degree_counts(), np.bincount(ties.degree))
            live = ties.active.view(bool)
            assert np.all(np.isinf(ties._threshold[: ties.m][~live]))
        means = model._barrier_means()[0]  # the one run's means
        np.testing.assert_allclose(means, model.barriers.astype(np.float64).mean(axis=1), rtol=1e-6)


def test_subset_computations_equal_the_same_people_in_the_whole(small):
    model = RecoveryModel(small.with_overrides({"run.years": 2, "levers.peer_availability": 0.9}), rng=6,
                          materialise_agents=False).run()
    who = np.sort(np.random.default_rng(0).choice(model.population.size, 97, replace=False))
    assert np.array_equal(model.barriers_of(who), model.barriers[:, who])
    for whole, part in zip(model.stage_hazards(), model.stage_hazards(who), strict=True):
        assert np.array_equal(whole[who], part)
    values = model.population.stage == 3
    net = model.network
    assert net.ties["peer"].n_active > 0
    assert np.array_equal(net.peer_neighbour_sum(values)[who], net.peer_neighbour_sum(values, who))
    pop = model.population
    assert np.array_equal(crisis_hazard(pop, model.params.crisis, model.week)[who],
                          crisis_hazard(pop, model.params.crisis, model.week, who))


@pytest.mark.parametrize("ahead", [False, True])
@pytest.mark.parametrize("n", [1000, 1001])
def test_uniform_below_gives_the_same_numbers_as_uniform(n, ahead, monkeypatch):
    if ahead:  # draw every stream's next outputs in the background, however few
        monkeypatch.setattr(random_streams, "PREFETCH_MIN_OUTPUTS", 1)
    plain = [RandomStreams(9), RandomStreams(10)]
    fast = BatchStreams([RandomStreams(9), RandomStreams(10)], n)
    for bounds in ((0.0, 0.2), (0.003, 0.003), (0.2, 1.0), (1.0, 0.0)):
        u = np.concatenate([streams.uniform("s", n) for streams in plain])
        who, v = fast.uniform_below("s", np.array(bounds))
        bound = np.repeat(bounds, n)
        below = np.flatnonzero(u < bound)
        assert np.isin(below, who).all()  # everyone below their run's bound is returned
        assert np.array_equal(v, u[who])  # with their own draws
        assert (v < bound[who] + 2.0**-24).all()
    for r, streams in enumerate(plain):  # each run's stream stayed in step
        assert np.array_equal(streams.uniform("s", n), fast.families[r].uniform("s", n))


def test_raw_outputs_are_the_bit_generators_outputs_on_both_sides_of_the_prefetch_size():
    sizes = [3, random_streams.PREFETCH_MIN_OUTPUTS - 1, random_streams.PREFETCH_MIN_OUTPUTS, 1000]
    streams, reference = RandomStreams(21), np.random.PCG64(np.random.SeedSequence(21, spawn_key=(
        random_streams.stream_key("s"),)))
    for n in sizes:  # each call goes on where the last one stopped
        assert np.array_equal(streams.raw_outputs("s", n), reference.random_raw(n))


def test_outputs_drawn_ahead_are_the_next_ones_whatever_uses_the_stream_next():
    def sequence(streams, steps):
        out = []
        for kind, n in steps:
            if kind == "raw":
                out.append(streams.raw_outputs("s", n, ahead=True))
            elif kind == "uniform":
                out.append(streams.uniform("s", 2 * n))
            else:
                out.append(streams["s"].integers(0, 10, size=n))
        return out

    # Drawn ahead, then: the same count, another count, the uniforms, the generator itself, a copy of the family.
    steps = [("raw", 5), ("raw", 5), ("raw", 7), ("raw", 7), ("uniform", 4), ("raw", 3), ("generator", 6),
             ("raw", 3), ("raw", 3)]
    expected = RandomStreams(4)
    plain = [expected["s"].integers(0, np.iinfo(np.uint64).max, size=n, dtype=np.uint64, endpoint=True)
             if kind == "raw" else expected.uniform("s", 2 * n) if kind == "uniform"
             else expected["s"].integers(0, 10, size=n) for kind, n in steps]
    got = sequence(RandomStreams(4), steps)
    for a, b in zip(plain, got, strict=True):
        assert np.array_equal(a, b)
    streams = RandomStreams(4)
    sequence(streams, steps[:4])
    copied = copy.deepcopy(streams)  # with outputs still being drawn ahead
    rest = sequence(copied, steps[4:])
    assert all(np.array_equal(a, b) for a, b in zip(plain[4:], rest, strict=True))
    assert all(np.array_equal(a, b) for a, b in zip(plain[4:], sequence(streams, steps[4:]), strict=True))
    revived = pickle.loads(pickle.dumps(RandomStreams(4)))
    assert np.array_equal(revived.raw_outputs("s", 5), plain[0])


def test_keyed_uniforms_rows_are_each_runs_single_stream_draws():
    n = 1000
    s = BatchStreams([RandomStreams(11), RandomStreams(12)], n)
    people = np.array([0, 7, 7, 999, 1000, 1007, 1999, 99])
    rows = s.keyed_uniforms(("a", "b", "c"), 3, people)
    for name, row in zip(("a", "b", "c"), rows, strict=True):
        for r, seed in enumerate((11, 12)):
            mine = people // n == r
            assert np.array_equal(row[mine], RandomStreams(seed).keyed_uniform(name, 3, people[mine] - r * n))
    assert s.keyed_uniforms(("a", "b"), 3, np.zeros(0, np.int64)).shape == (2, 0)
    groups = (np.array([4, 1001]), np.zeros(0, np.int64), np.array([1009, 9, 2]))
    keys = (np.array([4, 1]), np.zeros(0, np.int64), np.array([64 * 9, 64 * 9 + 1, 5]))
    drawn = s.keyed_uniform_groups(("a", "b", "c"), 8, groups, keys)
    for name, ids, key, got in zip(("a", "b", "c"), groups, keys, drawn, strict=True):
        for r, seed in enumerate((11, 12)):
            mine = ids // n == r
            assert np.array_equal(got[mine], RandomStreams(seed).keyed_uniform(name, 8, key[mine]))


def test_weekly_key_table_equals_the_per_stream_definition():
    s = RandomStreams(2021)
    names = ("discharge", "coercion", "peer_partner")
    batch = BatchStreams([RandomStreams(7), s], 10)
    for week in (0, 1, 519, 1023, 1024, 5000):  # 1024 and 5000 pass the first table's horizon
        assert [int(v) for v in s._offsets(names, week)] == [s._offset(name, week) for name in names]
        assert [int(v) for v in batch._offsets(names, week)[1]] == [s._offset(name, week) for name in names]
    # A keyed draw is SplitMix64 of the id under that offset; spelled out with Python integers for one id.
    z = (7 * 0x9E3779B97F4A7C15 + s._offset("coercion", 42)) % 2**64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) % 2**64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) % 2**64
    z ^= z >> 31
    assert s.keyed_uniform("coercion", 42, np.array([7]))[0] == (z >> 11) * 2.0**-53


def test_simulate_headline_is_simulate_without_the_tables(small):
    assert simulate_headline(small, 21) == simulate(small, seed=21).headline
