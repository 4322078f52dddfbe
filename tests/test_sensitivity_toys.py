"""Picklable toy models for the sensitivity tests (module-level so worker processes can import them).

No tests here; the module is importable as ``test_sensitivity_toys`` because the tests folder is on the path.
"""

import time

import numpy as np
from SALib.test_functions import Ishigami

from recoverysim.random_streams import derive_seed


def noisy_ishigami(x, seed=7, replications=2):
    """Ishigami plus noise from seeds derived from (seed, replicate): common random numbers, row by row."""
    x = np.atleast_2d(x)
    out = np.empty((x.shape[0], 2))
    for i, row in enumerate(x):
        draws = [np.random.default_rng(derive_seed(seed, r)).normal() for r in range(replications)]
        base = Ishigami.evaluate(row[None, :])[0]
        out[i] = [base + 0.1 * np.mean(draws), row[0] * row[1] + np.mean(draws) ** 2]
    return out


def slow_ishigami(x, delay=0.004):
    """Ishigami that takes ``delay`` seconds per row (gives a kill time to land mid-run)."""
    time.sleep(delay * len(x))
    return Ishigami.evaluate(np.atleast_2d(x))


def sometimes_fails(x):
    """Ishigami that raises for rows with x1 > 2.5 (to test error recording)."""
    x = np.atleast_2d(x)
    if np.any(x[:, 0] > 2.5):
        raise ValueError("x1 too large for this toy")
    return Ishigami.evaluate(x)
