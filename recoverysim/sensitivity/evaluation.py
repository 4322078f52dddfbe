"""Step 2 of the pipeline: map the (n, d) sample to (n, k) outputs, storing each row as it finishes.

Rows go out in fixed chunks (chunk boundaries depend on the sample size only, never on the executor), so a
vectorised callable sees exactly the same arrays on every executor and the results are bit-identical.
Every finished row is appended to an SQLite store in one transaction per chunk; a killed run resumes by
evaluating only the rows that are not in the store.
"""

from __future__ import annotations

import json
import math
import os
import socket
import sqlite3
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from recoverysim.errors import RecoverysimError

EXECUTORS = ("serial", "processes", "dask")

#: How long to wait for a Dask scheduler given by address.
SCHEDULER_TIMEOUT = "20s"

#: One finished row: (index, outputs or None, error text or None, seconds, worker id).
Row = tuple[int, list[float] | None, str | None, float, str]


class StoreError(RecoverysimError):
    """The results store cannot be used (a different design, or a damaged file)."""


@dataclass
class Evaluation:
    """Outputs of an evaluation: ``Y`` has NaN rows where the evaluation failed (see ``errors``)."""

    Y: np.ndarray
    errors: dict[int, str]
    seconds: np.ndarray
    evaluated_now: int


def default_chunk_size(n_rows: int, batch_rows: int = 1) -> int:
    """Rows per task: about 256 tasks, 1 to 64 rows each, rounded up to a multiple of ``batch_rows``.

    A function of the sample size and the callable only (``batch_rows(func)``), never of the executor.
    """
    size = max(1, min(64, math.ceil(n_rows / 256)))
    return batch_rows * math.ceil(size / batch_rows)


def batch_rows(func: Callable[[np.ndarray], np.ndarray]) -> int:
    """Rows the callable evaluates together to advantage: its ``batch_rows`` attribute, or 1."""
    return max(1, int(getattr(func, "batch_rows", 1)))


def evaluate_chunk(func: Callable[[np.ndarray], np.ndarray], indices: np.ndarray, x: np.ndarray) -> list[Row]:
    """Evaluate one chunk in a worker; an exception is retried row by row so it costs only its own row."""
    worker = f"{socket.gethostname()}:{os.getpid()}"
    start = time.perf_counter()
    try:
        y = _call(func, x)
    except Exception:  # noqa: BLE001 - isolate the failing rows below
        rows = []
        for i, row in zip(indices, x, strict=True):
            t0 = time.perf_counter()
            try:
                out, err = _call(func, row[None, :])[0].tolist(), None
            except Exception as exc:  # noqa: BLE001 - recorded with the inputs, reported at the end
                out, err = None, _error_text(exc)
            rows.append((int(i), out, err, time.perf_counter() - t0, worker))
        return rows
    each = (time.perf_counter() - start) / len(indices)
    return [(int(i), yi.tolist(), None, each, worker) for i, yi in zip(indices, y, strict=True)]


def _call(func: Callable[[np.ndarray], np.ndarray], x: np.ndarray) -> np.ndarray:
    y = np.asarray(func(x), dtype=float)
    if y.ndim == 1:
        y = y[:, None]
    if y.ndim != 2 or y.shape[0] != x.shape[0]:
        raise ValueError(f"callable returned shape {y.shape} for {x.shape[0]} input rows; expected (n, k)")
    return y


def _error_text(exc: BaseException) -> str:
    tb = traceback.extract_tb(exc.__traceback__)
    where = f" (at {Path(tb[-1].filename).name}:{tb[-1].lineno})" if tb else ""
    return f"{type(exc).__name__}: {exc}{where}"


class ResultStore:
    """Append-only SQLite store: one row per sample index with inputs, outputs, error text and timing.

    A store on disk is locked (``flock``, exclusive) for as long as it is open, so two runs cannot write into
    one folder. Every problem with the file (damaged, not a store, bad rows) is a :class:`StoreError`
    naming the path.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._lock = None
        with self._guard("open"):
            if str(path) != ":memory:":
                self._lock = _lock_file(self.path)
            self._db = sqlite3.connect(self.path)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            with self._db:
                self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
                self._db.execute(
                    "CREATE TABLE IF NOT EXISTS evaluations ("
                    " idx INTEGER PRIMARY KEY, inputs TEXT NOT NULL, outputs TEXT, error TEXT,"
                    " seconds REAL NOT NULL, worker TEXT, finished_at REAL NOT NULL)")

    @contextmanager
    def _guard(self, action: str) -> Iterator[None]:
        try:
            yield
        except StoreError:
            self._unlock()
            raise
        except (sqlite3.Error, ValueError, TypeError, IndexError, KeyError, OSError) as exc:
            if action == "open":
                self._unlock()
            text = " ".join(str(exc).split())[:200]
            raise StoreError(f"{self.path}: damaged or not a results store ({action}: {type(exc).__name__}: "
                             f"{text}); move it away or use a new --out folder") from None

    def _unlock(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def close(self) -> None:
        """Close the database and release the lock."""
        try:
            self._db.close()
        finally:
            self._unlock()

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def meta(self) -> dict[str, Any]:
        """The run description stored with the results."""
        with self._guard("read meta"):
            return {k: json.loads(v) for k, v in self._db.execute("SELECT key, value FROM meta")}

    def set_meta(self, **items: Any) -> None:
        """Record run-description items (only items not recorded yet; recorded ones never change)."""
        with self._guard("write meta"), self._db:
            self._db.executemany("INSERT OR IGNORE INTO meta VALUES (?, ?)",
                                 [(k, json.dumps(v, sort_keys=True)) for k, v in items.items()])

    def check_meta(self, **expected: Any) -> None:
        """Raise StoreError naming each item that differs from what the store recorded."""
        stored = self.meta()
        diffs = [k for k, v in expected.items()
                 if k in stored and stored[k] != json.loads(json.dumps(v, sort_keys=True))]
        if diffs:
            raise StoreError(f"{self.path}: cannot resume: the stored run differs in {', '.join(diffs)} "
                             "(use a new --out folder, or the same experiment and options)")

    def check_inputs(self, x: np.ndarray) -> None:
        """Raise StoreError unless every stored row has exactly the inputs of that row of the sample ``x``."""
        with self._guard("read rows"):
            for idx, inputs in self._db.execute("SELECT idx, inputs FROM evaluations"):
                if not 0 <= idx < x.shape[0] or json.loads(inputs) != x[idx].tolist():
                    raise StoreError(f"{self.path}: cannot resume: stored row {idx} was run with other inputs "
                                     "than this experiment's sample (use a new --out folder)")

    def done(self) -> set[int]:
        """Indices already stored (finished, with outputs or an error)."""
        with self._guard("read rows"):
            return {i for (i,) in self._db.execute("SELECT idx FROM evaluations")}

    def append(self, rows: Iterable[Row], x: np.ndarray) -> None:
        """Store finished rows with their inputs, in one transaction."""
        now = time.time()
        with self._guard("write rows"), self._db:
            self._db.executemany(
                "INSERT INTO evaluations VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(i, json.dumps(x[i].tolist()), None if out is None else json.dumps(out), err, sec, worker,
                  now) for i, out, err, sec, worker in rows])

    def load(self, n_rows: int, n_outputs: int | None = None,
             ) -> tuple[np.ndarray, np.ndarray, dict[int, str], np.ndarray]:
        """Return ``(X, Y, errors, seconds)`` for the stored rows; missing rows are NaN in X and Y."""
        with self._guard("read rows"):
            return self._load(n_rows, n_outputs)

    def _load(self, n_rows: int, n_outputs: int | None):
        rows = self._db.execute("SELECT idx, inputs, outputs, error, seconds FROM evaluations").fetchall()
        if n_outputs is None:
            n_outputs = next((len(json.loads(o)) for _, _, o, _, _ in rows if o is not None), 1)
        first = next((json.loads(i) for _, i, _, _, _ in rows), [])
        x = np.full((n_rows, len(first)), np.nan)
        y = np.full((n_rows, n_outputs), np.nan)
        sec = np.full(n_rows, np.nan)
        errors: dict[int, str] = {}
        for idx, inputs, outputs, error, seconds in rows:
            x[idx] = json.loads(inputs)
            sec[idx] = seconds
            if error is not None:
                errors[idx] = error
            else:
                y[idx] = json.loads(outputs)
        return x, y, dict(sorted(errors.items())), sec


def _lock_file(path: Path):
    """Hold an exclusive ``flock`` on the store file (created if absent); StoreError if another run holds it."""
    import fcntl

    handle = open(path, "ab")  # noqa: SIM115 - kept open for the life of the store
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise StoreError(f"{path}: another recoverysim run is using this results store; wait for it to "
                         "finish (or stop it) before resuming") from None
    return handle


def chunks(indices: Iterable[int], chunk_size: int) -> list[np.ndarray]:
    """Group pending indices by their fixed chunk (index // chunk_size)."""
    groups: dict[int, list[int]] = {}
    for i in sorted(indices):
        groups.setdefault(i // chunk_size, []).append(i)
    return [np.asarray(g, dtype=np.int64) for g in groups.values()]


def evaluate(func: Callable[[np.ndarray], np.ndarray], x: np.ndarray, *, executor: str = "serial",
             workers: int = 1, scheduler: str | None = None, chunk_size: int | None = None,
             store: ResultStore | None = None, progress: bool = True, n_outputs: int | None = None,
             desc: str = "evaluating", dashboard: str | None = None) -> Evaluation:
    """Map the (n, d) sample to (n, k) outputs with the chosen executor.

    Args:
        func: Callable mapping an (m, d) array to an (m, k) (or (m,)) array; picklable for processes and dask.
        x: The sample matrix.
        executor: ``"serial"``, ``"processes"`` or ``"dask"``.
        workers: Worker processes (processes; dask without ``scheduler``).
        scheduler: Address of a running Dask scheduler to join (dask only).
        chunk_size: Rows per task; default ``default_chunk_size(n, batch_rows(func))``. Keep it fixed across a
            resume.
        store: Where rows are appended as they finish; rows already in it are not evaluated again.
        progress: Show a tqdm bar (rate and ETA).
        n_outputs: Expected k; inferred from the results when omitted.
        desc: Progress bar label.
        dashboard: Address for the dashboard of a local Dask cluster (e.g. ``127.0.0.1:8787``); none by default.

    Returns:
        The outputs, with NaN rows and an error text for each failed evaluation.
    """
    if executor not in EXECUTORS:
        raise RecoverysimError(f"unknown executor {executor!r}; choose one of {', '.join(EXECUTORS)}")
    x = np.ascontiguousarray(x, dtype=float)
    n = x.shape[0]
    chunk_size = chunk_size or default_chunk_size(n, batch_rows(func))
    own_store = store is None
    if own_store:
        store = ResultStore(":memory:")
    try:
        pending = chunks(set(range(n)) - store.done(), chunk_size)
        todo = sum(len(c) for c in pending)
        from tqdm.auto import tqdm

        with tqdm(total=n, initial=n - todo, desc=desc, unit="run", disable=not progress,
                  dynamic_ncols=True, smoothing=0.1) as bar:
            for rows in _run(executor, func, x, pending, workers, scheduler, dashboard):
                store.append(rows, x)
                bar.update(len(rows))
        _, y, errors, seconds = store.load(n, n_outputs)
    finally:
        if own_store:
            store.close()
    return Evaluation(y, errors, seconds, todo)


def _run(executor: str, func, x: np.ndarray, pending: list[np.ndarray], workers: int,
         scheduler: str | None, dashboard: str | None = None) -> Iterator[list[Row]]:
    if not pending:
        return
    if executor == "serial":
        for idx in pending:
            yield evaluate_chunk(func, idx, x[idx])
    elif executor == "processes":
        yield from _run_processes(func, x, pending, workers)
    else:
        yield from _run_dask(func, x, pending, workers, scheduler, dashboard)


def _run_processes(func, x: np.ndarray, pending: list[np.ndarray], workers: int) -> Iterator[list[Row]]:
    from recoverysim.executor import WorkerPool

    # Worker processes even for one worker: the executor the user chose, and a crash spares the parent.
    with WorkerPool(workers, processes=True) as pool:
        for _, rows in pool.imap_unordered(evaluate_chunk, ((func, idx, x[idx]) for idx in pending)):
            yield rows


def _run_dask(func, x: np.ndarray, pending: list[np.ndarray], workers: int,
              scheduler: str | None, dashboard: str | None = None) -> Iterator[list[Row]]:
    from distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler:
        from recoverysim.executor import dask_client

        client = dask_client(scheduler, SCHEDULER_TIMEOUT)
    else:
        import signal
        import threading

        import dask

        # The workers' statistical profiler samples the task's Python stack every 10 ms; for a model made of
        # many small numpy calls that cost about a tenth of the throughput here, and nobody reads the profile.
        config = {"distributed.worker.profile.enabled": False}
        if dashboard is None:
            # The scheduler always serves HTTP (on 8787 unless told otherwise): with no dashboard asked for,
            # it serves nothing, on a free port of the loopback interface.
            config["distributed.scheduler.http.routes"] = []
        # Workers started with Ctrl-C ignored inherit that, so an interrupt prints no worker tracebacks;
        # the parent cancels and closes them.
        main_thread = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main_thread else None
        try:
            with dask.config.set(config):
                cluster = LocalCluster(n_workers=max(1, workers), threads_per_worker=1, processes=True,
                                       dashboard_address=dashboard or "127.0.0.1:0")
        finally:
            if previous is not None:
                signal.signal(signal.SIGINT, previous)
        client = Client(cluster)
    try:
        remote_func = client.scatter(func, broadcast=True, hash=False)
        futures = [client.submit(evaluate_chunk, remote_func, idx, x[idx], pure=False,
                                 key=f"recoverysim-sensitivity-chunk-{int(idx[0])}-{time.time_ns()}")
                   for idx in pending]
        try:
            for fut in as_completed(futures):
                yield fut.result()
        except BaseException:
            import logging

            # Cancelling running tasks makes Dask log warnings about them; the interrupt says it all.
            logging.getLogger("distributed").setLevel(logging.ERROR)
            client.cancel(futures)
            raise
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
