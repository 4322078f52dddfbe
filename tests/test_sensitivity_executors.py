"""Serial, process-pool and Dask executors give bit-identical outputs; failures are recorded, not lost."""

import os
from pathlib import Path

import numpy as np
import pytest
import test_sensitivity_toys as toys
from dask_loopback import loopback_cluster

from recoverysim.sensitivity import AnalysisError, Design, ResultStore, evaluate, run_pipeline, sample

pytestmark = pytest.mark.timeout(180)

DESIGN = Design(("x1", "x2", "x3"), ((-np.pi, np.pi),) * 3, "sobol", 16, seed=11)
TESTS = Path(__file__).resolve().parent


def _env():
    # Worker processes must import the toy module by the name it pickles under.
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(TESTS), str(TESTS.parent), env.get("PYTHONPATH", "")])
    return env


@pytest.fixture(scope="module")
def x():
    return sample(DESIGN)


@pytest.fixture(scope="module")
def serial(x):
    ev = evaluate(toys.noisy_ishigami, x, chunk_size=7, progress=False)
    assert ev.Y.shape == (len(x), 2) and not ev.errors
    return ev.Y


def test_process_pool_is_bit_identical(x, serial):
    ev = evaluate(toys.noisy_ishigami, x, executor="processes", workers=2, chunk_size=7, progress=False)
    assert np.array_equal(ev.Y, serial)


def test_local_dask_cluster_is_bit_identical(x, serial):
    ev = evaluate(toys.noisy_ishigami, x, executor="dask", workers=2, chunk_size=7, progress=False)
    assert np.array_equal(ev.Y, serial)


def test_separate_dask_scheduler_and_worker(x, serial, tmp_path):
    with loopback_cluster(tmp_path, _env()) as address:
        ev = evaluate(toys.noisy_ishigami, x, executor="dask", scheduler=address, chunk_size=7,
                      progress=False)
    assert np.array_equal(ev.Y, serial)


def test_unreachable_scheduler_is_a_clear_error(x, monkeypatch):
    from recoverysim.errors import RecoverysimError
    from recoverysim.sensitivity import evaluation

    monkeypatch.setattr(evaluation, "SCHEDULER_TIMEOUT", "2s")

    with pytest.raises(RecoverysimError, match="cannot reach the Dask scheduler"):
        evaluate(toys.noisy_ishigami, x[:4], executor="dask", scheduler="tcp://127.0.0.1:9", progress=False)


@pytest.mark.parametrize("executor", ["serial", "processes"])
def test_failures_are_recorded_and_block_analysis(tmp_path, executor):
    design = Design(("x1", "x2", "x3"), ((-np.pi, np.pi),) * 3, "morris", 6, seed=2)
    with pytest.raises(AnalysisError, match=r"evaluations failed \(sample indices"):
        run_pipeline(design, toys.sometimes_fails, tmp_path / "out", executor=executor, workers=2,
                     chunk_size=4, progress=False, log=lambda msg: None)
    x = sample(design)
    bad = set(np.flatnonzero(x[:, 0] > 2.5))
    assert bad, "the toy must fail somewhere for this test to mean anything"
    with ResultStore(tmp_path / "out" / "evaluations.sqlite") as store:
        _, y, errors, _ = store.load(len(x))
    assert set(errors) == bad  # only the failing rows, not their whole chunks
    assert all("ValueError: x1 too large" in e for e in errors.values())
    assert np.isnan(y[list(bad)]).all() and np.isfinite(np.delete(y, list(bad), axis=0)).all()
    results = (tmp_path / "out" / "results.csv").read_text()
    assert "x1 too large" in results
    assert not (tmp_path / "out" / "indices.csv").exists()
