"""The shared worker pool: same results as serial, bounded queue, single-threaded BLAS, no orphans."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from recoverysim.executor import QUEUE_PER_WORKER, WorkerPool, run_tasks


def _alive(pid: int) -> bool:
    """Running (a zombie waiting to be reaped by init counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state != "Z"


def test_results_are_in_order_and_equal_to_serial():
    args = [(i, 3) for i in range(7)]
    expected = [pow(i, 3) for i, _ in args]
    assert run_tasks(pow, args, workers=1) == expected
    assert run_tasks(pow, args, workers=2) == expected


def test_submission_queue_is_bounded():
    consumed = []

    def argsets():
        for i in range(50):
            consumed.append(i)
            yield (i, 2)

    with WorkerPool(2) as pool:
        first = next(pool.imap_unordered(pow, argsets()))
        assert first[1] == first[0] ** 2
        # The first result arrives after at most 2 tasks per worker were taken from the generator.
        assert len(consumed) <= QUEUE_PER_WORKER * 2 + 1


def test_workers_run_numerical_libraries_single_threaded(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    with WorkerPool(2) as pool:
        seen = pool.map(os.getenv, [("OMP_NUM_THREADS",)] * 2)
    assert seen == ["1", "1"]
    assert "OMP_NUM_THREADS" not in os.environ  # the parent's environment is restored


PARENT = textwrap.dedent("""
    import sys, threading, time
    from recoverysim.executor import WorkerPool

    def report(pool):
        while len(pool.worker_pids()) < 2:
            time.sleep(0.05)
        time.sleep(0.5)  # let both reach their task
        print(*pool.worker_pids(), flush=True)

    if __name__ == "__main__":  # spawned workers import this file too
        with WorkerPool(2, parent_death_signal=sys.argv[1] == "1") as pool:
            threading.Thread(target=report, args=(pool,), daemon=True).start()
            pool.map(time.sleep, [(120,)] * 2)
""")


@pytest.mark.parametrize("death_signal", ["1", "0"], ids=["prctl", "watchdog-only"])
def test_workers_exit_when_the_parent_is_killed(tmp_path, death_signal):
    script = tmp_path / "parent.py"
    script.write_text(PARENT)
    parent = subprocess.Popen([sys.executable, str(script), death_signal], stdout=subprocess.PIPE, text=True)
    try:
        pids = [int(p) for p in parent.stdout.readline().split()]
        assert len(pids) == 2 and all(_alive(p) for p in pids)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=10)
        deadline = time.monotonic() + 5
        while any(_alive(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(p) for p in pids), "a worker outlived its killed parent"
        assert parent.stdout.read() == ""  # nobody holds the dead parent's stdout open any more
    finally:
        if parent.poll() is None:
            parent.kill()
