"""A Dask scheduler and one worker as separate processes on the loopback interface, for executor tests."""

import contextlib
import json
import subprocess
import sys
import time
from pathlib import Path


@contextlib.contextmanager
def loopback_cluster(tmp_path: Path, env: dict):
    """Yield the address of a scheduler with one single-threaded worker; both are stopped afterwards."""
    sched_file = tmp_path / "scheduler.json"
    bin_dir = Path(sys.executable).parent
    dask_cli = [str(bin_dir / "dask")] if (bin_dir / "dask").exists() else [sys.executable, "-m", "dask"]
    procs = [subprocess.Popen([*dask_cli, "scheduler", "--host", "127.0.0.1", "--port", "0",
                               "--no-dashboard", "--scheduler-file", str(sched_file)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        deadline = time.monotonic() + 60
        while not sched_file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(0.2)
        address = json.loads(sched_file.read_text())["address"]
        procs.append(subprocess.Popen([*dask_cli, "worker", address, "--nthreads", "1", "--nworkers", "1",
                                       "--no-dashboard"], env=env, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL))
        from distributed import Client

        with Client(address, timeout="30s") as client:
            client.wait_for_workers(1, timeout=60)
        yield address
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
