"""A run killed with SIGKILL and restarted with resume redoes only the missing rows and gives the same indices."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import test_sensitivity_toys as toys

from recoverysim.sensitivity import Design, run_pipeline
from recoverysim.sensitivity.pipeline import OutputFolderError

pytestmark = pytest.mark.timeout(120)

TESTS = Path(__file__).resolve().parent
DESIGN = Design(("x1", "x2", "x3"), ((-np.pi, np.pi),) * 3, "sobol", 64, seed=9)  # 512 rows
CHUNK = 8

SCRIPT = f"""
import numpy as np, sys
import test_sensitivity_toys as toys
from recoverysim.sensitivity import Design, run_pipeline
design = Design(("x1", "x2", "x3"), ((-np.pi, np.pi),) * 3, "sobol", 64, seed=9)
run_pipeline(design, toys.slow_ishigami, sys.argv[1], outputs=["y"], executor=sys.argv[2], workers=2,
             chunk_size={CHUNK}, progress=False, figures=False, resume=True)
"""


def _stored(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db, timeout=1) as con:
            return con.execute("SELECT COUNT(*) FROM evaluations").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


@pytest.mark.parametrize("executor", ["serial", "processes"])
def test_resume_after_sigkill_gives_identical_indices(tmp_path, executor):
    reference = run_pipeline(DESIGN, toys.slow_ishigami, tmp_path / "ref", outputs=["y"], chunk_size=CHUNK,
                             progress=False, figures=False)
    out = tmp_path / "killed"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(TESTS), str(TESTS.parent)]))
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, str(out), executor], env=env,
                            start_new_session=True, stderr=subprocess.PIPE)
    db = out / "evaluations.sqlite"
    deadline = time.monotonic() + 90
    while _stored(db) < 100 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)  # the whole group: the parent and any pool workers
    proc.wait()
    stored = _stored(db)
    assert 100 <= stored < DESIGN.n_rows, f"kill landed at {stored} rows: {proc.stderr.read().decode()[-2000:]}"
    assert stored % CHUNK == 0  # whole chunks only: each is one transaction
    assert not (out / "indices.csv").exists()

    with pytest.raises(OutputFolderError, match="--resume"):
        run_pipeline(DESIGN, toys.slow_ishigami, out, outputs=["y"], chunk_size=CHUNK, progress=False)

    resumed = run_pipeline(DESIGN, toys.slow_ishigami, out, outputs=["y"], resume=True, progress=False,
                           figures=False, log=lambda msg: None)
    counts = resumed.manifest["counts"]
    assert counts["stored_before_this_session"] == stored
    assert counts["evaluated_this_session"] == DESIGN.n_rows - stored  # nothing finished is redone
    assert (out / "indices.csv").read_bytes() == (tmp_path / "ref" / "indices.csv").read_bytes()
    assert np.array_equal(resumed.y, reference.y)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["resumed"] is True and manifest["chunk_size"] == CHUNK


def test_resume_refuses_a_different_design(tmp_path):
    run_pipeline(DESIGN, toys.slow_ishigami, tmp_path / "o", outputs=["y"], progress=False, figures=False)
    other = Design(DESIGN.names, DESIGN.bounds, "sobol", 32, seed=9)
    from recoverysim.sensitivity.evaluation import StoreError

    with pytest.raises(StoreError, match="design"):
        run_pipeline(other, toys.slow_ishigami, tmp_path / "o", outputs=["y"], resume=True, progress=False)
