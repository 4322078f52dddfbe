"""Unit tests of the building blocks: streams, network, barriers, loops, reforms, agents."""

import numpy as np
import pytest
import scipy.sparse as sp

from recoverysim.barriers import BARRIER_NAMES, FEEDS, felt, progress_gate, system_barriers
from recoverysim.feedback_loops import (
    CAUSAL_LINKS,
    effective_peer_availability,
    effective_shame_pressure,
    loop_polarity,
    peer_leaving_hazard,
    retraumatisation_trauma_increment,
)
from recoverysim.model import RecoveryModel
from recoverysim.parameters import BARRIERS, LOOPS, PARAMETERS, ROOTS
from recoverysim.random_streams import RandomStreams, derive_seed
from recoverysim.reforms import effective_roots, reform_effects
from recoverysim.relationship_network import TieMatrix
from recoverysim.scenario import Reform


def test_streams_are_independent_and_reproducible():
    a, b = RandomStreams(1), RandomStreams(1)
    assert np.array_equal(a.uniform("x", 10), b.uniform("x", 10))
    assert not np.array_equal(RandomStreams(1).uniform("x", 10), RandomStreams(1).uniform("y", 10))
    assert derive_seed(1, 0) != derive_seed(1, 1) != derive_seed(2, 0)


def test_keyed_uniform_depends_only_on_its_key():
    s = RandomStreams(5)
    full = s.keyed_uniform("crisis_response", 7, np.arange(100))
    subset = s.keyed_uniform("crisis_response", 7, np.array([3, 50, 99]))
    assert np.array_equal(full[[3, 50, 99]], subset)
    assert not np.array_equal(full, s.keyed_uniform("crisis_response", 8, np.arange(100)))
    u = s.keyed_uniform("x", 1, np.arange(200_000))
    assert abs(u.mean() - 0.5) < 0.005 and abs(u.var() - 1 / 12) < 0.002
    assert u.min() >= 0 and u.max() < 1


def test_tie_matrix_is_sparse_and_tracks_degree():
    tm = TieMatrix(5, 3, np.array([0, 0, 2]), np.array([0, 1, 2]), np.array([0.5, 10.0, 10.0]))
    assert isinstance(tm.as_sparse(), sp.coo_array)
    assert tm.as_sparse().toarray().sum() == 3
    assert list(tm.degree) == [2, 0, 1, 0, 0]
    ended = tm.accumulate(1.0)  # the first tie's threshold 0.5 is passed
    assert list(ended) == [0]
    assert list(tm.degree) == [1, 0, 1, 0, 0]
    tm.add(np.array([4]), np.array([7]), np.array([1.0]))
    assert tm.as_sparse().shape == (5, 8)
    sym = TieMatrix(3, 3, np.array([0]), np.array([2]), symmetric=True)
    assert list(sym.degree) == [1, 0, 1]


def test_system_barriers_average_the_roots_that_feed_them():
    roots = dict.fromkeys(ROOTS, 0.0)
    roots["thin_networks"] = 1.0
    level = dict(zip(BARRIER_NAMES, system_barriers(roots), strict=True))
    assert level["peers_unavailable"] == 1.0  # fed by thin_networks only
    assert level["social_exclusion"] == 0.5  # shame_pressure and thin_networks
    assert level["lack_of_compassion"] == 0.0
    assert FEEDS.sum() == sum(len(v) for v in ROOTS.values())
    assert set(BARRIER_NAMES) == set(BARRIERS)


def test_felt_barrier_modifier():
    assert felt(0.4, 1.0) == pytest.approx(0.4)
    assert felt(0.4, 0.0) == pytest.approx(0.0)
    assert 0.4 < felt(0.4, 2.0) < 1
    assert np.all(np.diff(felt(0.5, np.linspace(0, 5, 20))) > 0)


def test_progress_gate_uses_the_next_stage_barriers():
    barriers = np.zeros((8, 4))
    barriers[BARRIER_NAMES.index("lack_of_compassion")] = 1.0  # blocks entry to safety only
    gate = progress_gate(barriers, np.array([0, 1, 2, 3], np.int8), strength=1.0)
    assert gate[0] == pytest.approx(0.0)  # geometric mean with one factor 0
    assert list(gate[1:]) == [1.0, 1.0, 1.0]


def test_each_loop_has_the_declared_polarity():
    assert {link.loop for link in CAUSAL_LINKS if link.loop} == set(LOOPS)
    assert loop_polarity("peer_role_models") == 1
    assert loop_polarity("peer_burnout") == -1
    assert loop_polarity("stigma_visibility") == 1
    assert loop_polarity("coercion_trauma") == 1


def test_every_causal_link_points_at_code_that_exists():
    import importlib

    for link in CAUSAL_LINKS:
        module, name = link.where.rsplit(".", 1)
        assert hasattr(importlib.import_module(f"recoverysim.{module}"), name), link


def test_loop_functions_move_in_the_declared_direction_and_switch_off():
    # R1: more peer workers, more availability; off cuts the link.
    assert effective_peer_availability(0.1, 50, 20, 10_000, 0, True) > effective_peer_availability(
        0.1, 10, 20, 10_000, 0, True)
    assert effective_peer_availability(0.1, 50, 20, 10_000, 0, False) == 0.1
    # B1: more demand on the same workers, more leaving; off leaves turnover only.
    busy, calm = (peer_leaving_hazard(0.1, 0.3, 0.0, demand, 40, 20, True, 5.0) for demand in (2000, 1000))
    assert busy > calm
    assert peer_leaving_hazard(0.1, 0.3, 0.0, 1000, 10, 20, False, 5.0) == 0.1
    assert peer_leaving_hazard(0.1, 0.3, 1.0, 1000, 10, 20, True, 5.0) == 0.1  # full organisational support
    # The load is capped: 10 workers x 20 = 200 users at most twice over, whatever the demand beyond.
    assert peer_leaving_hazard(0.1, 0.3, 0.0, 10**6, 10, 20, True, 2.0) == pytest.approx(0.1 + 0.3 * (2.0 - 1.0))
    # R2: more visible reunion, less shame.
    assert effective_shame_pressure(0.7, 0.3, 0.1, 1.0, True) < 0.7
    assert effective_shame_pressure(0.7, 0.3, 0.1, 1.0, False) == 0.7
    # R3: re-traumatisation adds trauma load only when the loop is on.
    assert retraumatisation_trauma_increment(1.0, True) == 1.0
    assert retraumatisation_trauma_increment(1.0, False) == 0.0


def test_reforms_reduce_their_root_or_reach_people():
    reforms = (Reform("open_community", start_year=0, ramp_years=0, coverage=0.5, effect=0.4),
               Reform("crisis_advocacy", start_year=1, ramp_years=1, coverage=0.6, capacity=2.0, effect=0.7))
    effects = reform_effects(reforms, week=78)  # crisis advocacy half ramped
    roots = effective_roots(dict.fromkeys(ROOTS, 0.8), effects)
    assert roots["thin_networks"] == pytest.approx(0.8 * (1 - 0.5 * 0.4))  # coverage x effect of the root removed
    assert roots["advocacy_gap"] == 0.8 and roots["trauma_insensitivity"] == 0.8  # a person reform: no root moves
    assert effects.reach == {"trauma_informed_care": 0.0, "crisis_advocacy": pytest.approx(0.3),
                             "community_network_care": 0.0}
    assert effects.ratio == {"trauma_informed_care": 1.0, "crisis_advocacy": 0.7, "community_network_care": 1.0}
    assert effects.added_capacity == {"peer_availability": pytest.approx(1.0)}
    with pytest.raises(ValueError, match="given twice"):
        reform_effects(reforms + reforms[:1], week=0)


def test_person_agents_view_the_arrays(small):
    model = RecoveryModel(small, rng=2)
    assert len(model.agents) == small["population.size"]
    in_reunion = model.agents.select(lambda p: p.stage == "reunion")
    assert len(in_reunion) == int(model.population.stage_counts()[3])
    person = model.agents.to_list()[0]
    model.population.stage[person.index] = 2
    assert person.stage == "control"
    big = RecoveryModel(small.with_overrides({"population.size": 50_000}), rng=2)
    assert len(big.agents) == 0  # large populations stay as arrays only


def test_tie_dynamics_follow_exclusion_and_peer_availability(small):
    base = small.with_overrides({"run.years": 3})
    excluded = RecoveryModel(base.with_overrides({"levers.social_exclusion": 1.0}), rng=3).run()
    included = RecoveryModel(base.with_overrides({"levers.social_exclusion": 0.0}), rng=3).run()
    assert excluded.network.degree("community").sum() < included.network.degree("community").sum()
    few = RecoveryModel(base.with_overrides({"levers.peer_availability": 0.0, "loops.peer_role_models": False}),
                        rng=3).run()
    many = RecoveryModel(base.with_overrides({"levers.peer_availability": 0.8}), rng=3).run()
    assert few.network.degree("peer").sum() == 0
    assert many.network.degree("peer").sum() > 0


def test_odd_parameter_table_is_current(monkeypatch):
    """docs/ODD.md carries the registry's table; regenerate with `make docs` after changing a parameter."""
    import dataclasses
    from pathlib import Path

    from conftest import SHIPPED_SPIN_UP_YEARS

    from recoverysim.parameter_table import replace_in

    spin_up = PARAMETERS["run.spin_up_years"]  # the suite shortens it (conftest.py); the table shows the shipped one
    monkeypatch.setitem(PARAMETERS, spin_up.name, dataclasses.replace(spin_up, default=SHIPPED_SPIN_UP_YEARS))

    odd = Path(__file__).resolve().parents[1] / "docs" / "ODD.md"
    text = odd.read_text()
    assert replace_in(text) == text


def test_recorder_refuses_a_week_that_misses_or_invents_a_column():
    from recoverysim.metrics import COLUMNS, Recorder

    full = {c: 1.0 for c in COLUMNS[1:]}
    recorder = Recorder(weeks=2)
    recorder.record(1, full)
    assert recorder.table[0, 1, 1:].tolist() == [1.0] * (len(COLUMNS) - 1)
    with pytest.raises(ValueError, match="missing \\['crises'\\]"):
        Recorder(weeks=2).record(1, {k: v for k, v in full.items() if k != "crises"})
    with pytest.raises(ValueError, match="unknown \\['typo'\\]"):
        Recorder(weeks=2).record(1, {**full, "typo": 0.0})
