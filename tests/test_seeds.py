"""The one replicate-seed derivation, checked against numpy's SeedSequence directly."""

import numpy as np

from recoverysim.seeds import replicate_seed, replicate_seeds


def test_replicate_seed_is_the_seed_sequence_child_along_the_replicate():
    for seed, r in [(0, 0), (1, 3), (20211, 7), (2**32 - 1, 19)]:
        state = np.random.SeedSequence(seed, spawn_key=(r,)).generate_state(1, dtype=np.uint64)[0]
        assert replicate_seed(seed, r) == int(state) >> 1  # 63 bits: fits a signed int64


def test_replicate_seeds_are_distinct_and_depend_only_on_seed_and_index():
    seeds = replicate_seeds(5, 50)
    assert len(set(seeds)) == 50
    assert seeds[:10] == replicate_seeds(5, 10)
    assert replicate_seeds(6, 10) != seeds[:10]
    assert replicate_seeds(5, 0) == []
