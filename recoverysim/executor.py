"""The one process pool every command uses: spawned workers, a bounded queue, a progress bar, no orphans.

- **spawn, not fork**: the parent may hold threads (tqdm's monitor, Dask) that a forked child would inherit
  in a broken state, and spawn behaves the same on every platform.
- **Bounded queue**: at most ``2 * workers`` tasks are submitted ahead, so memory stays flat for any number
  of tasks and an interrupt loses at most that much work.
- **No orphans**: a worker exits when its parent dies, even by ``kill -9``: on Linux the kernel sends it
  SIGKILL (``prctl(PR_SET_PDEATHSIG)``), and everywhere a watchdog thread checks ``os.getppid()`` each second.
- **Single-threaded numerical libraries** in the workers, so K workers on K cores do not oversubscribe them.
- Workers ignore Ctrl-C (the parent cancels them), so an interrupt prints no tracebacks from workers.

With ``workers <= 1`` tasks run in the calling process, in order. Results never depend on the number of
workers: every task is a pure function of its arguments. ``run_tasks(..., scheduler=ADDRESS)`` sends the same
tasks to a Dask cluster instead, with the same results.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any

#: Thread pools in numerical libraries, limited to one thread per worker process (as Dask's nanny does); a
#: value the user has set is kept.
SINGLE_THREAD_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
#: Seconds between two checks of the worker's watchdog.
WATCHDOG_SECONDS = 1.0
#: Tasks submitted ahead per worker.
QUEUE_PER_WORKER = 2
_PR_SET_PDEATHSIG = 1
#: How long to wait for a Dask scheduler before saying it cannot be reached.
SCHEDULER_TIMEOUT = "20s"


def default_workers() -> int:
    """Worker processes when none are asked for: the CPUs this process may use (at least 1)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def resolve_workers(workers: int | None) -> int:
    """``None`` or 0 means :func:`default_workers`; negative is an error."""
    from recoverysim.errors import RecoverysimError

    if workers is None or workers == 0:
        return default_workers()
    if workers < 0:
        raise RecoverysimError(f"--workers must be 0 (all CPUs) or more, got {workers}")
    return int(workers)


def progress_bar(total: int, desc: str, enabled: bool, unit: str = "run", initial: int = 0):
    """The progress bar of every command (on stderr; a disabled bar costs nothing)."""
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, desc=desc, unit=unit, disable=not enabled, file=sys.stderr,
                dynamic_ncols=True, mininterval=0.5, smoothing=0.1)


def _set_parent_death_signal() -> None:
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # pragma: no cover - no prctl: the watchdog remains
        pass


def _watch_parent(parent: int) -> None:
    while True:
        if os.getppid() != parent:
            os._exit(1)  # the parent is gone: nobody will read our results
        time.sleep(WATCHDOG_SECONDS)


def _initialise_worker(parent: int, parent_death_signal: bool) -> None:
    """Run once in every worker before its first task."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops us
    if parent_death_signal:
        _set_parent_death_signal()
    if os.getppid() != parent:  # the parent died before the death signal was armed
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), name="recoverysim-parent-watchdog", daemon=True).start()


@contextlib.contextmanager
def single_threaded_children() -> Iterator[None]:
    """Set :data:`SINGLE_THREAD_ENV` (where unset) while children are started: they copy the environment."""
    added = {k: v for k, v in SINGLE_THREAD_ENV.items() if k not in os.environ}
    os.environ.update(added)
    try:
        yield
    finally:
        for k in added:
            os.environ.pop(k, None)


class WorkerPool:
    """A pool of ``workers`` spawned processes (by default the calling process when ``workers <= 1``).

    Use as a context manager; one pool may run many batches of tasks (calibration keeps one for all its
    loss evaluations). ``parent_death_signal=False`` leaves only the watchdog (used by the tests).
    """

    def __init__(self, workers: int, *, processes: bool | None = None, parent_death_signal: bool = True):
        self.workers = max(1, int(workers))
        self._processes = self.workers > 1 if processes is None else processes
        self._parent_death_signal = parent_death_signal
        self._pool: ProcessPoolExecutor | None = None
        self._env: contextlib.ExitStack | None = None

    @property
    def serial(self) -> bool:
        """Whether tasks run in the calling process."""
        return not self._processes

    def __enter__(self) -> WorkerPool:
        if not self.serial:
            import multiprocessing

            self._env = contextlib.ExitStack()
            # Held for the life of the pool: workers may be started on demand, not only at the first task.
            self._env.enter_context(single_threaded_children())
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=_initialise_worker, initargs=(os.getpid(), self._parent_death_signal))
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close(abandon=exc_type is not None)

    def close(self, abandon: bool = False) -> None:
        """Shut the workers down; ``abandon`` stops running tasks instead of waiting for them."""
        pool, self._pool = self._pool, None
        try:
            if pool is not None:
                if abandon:
                    # The public API waits for running tasks; after an error or Ctrl-C nobody wants them.
                    for process in list(getattr(pool, "_processes", {}).values()):
                        with contextlib.suppress(OSError):
                            process.terminate()
                    pool.shutdown(wait=True, cancel_futures=True)
                else:
                    pool.shutdown(wait=True)
        finally:
            if self._env is not None:
                self._env.close()
                self._env = None

    def worker_pids(self) -> list[int]:
        """Process ids of the started workers (empty when serial)."""
        return [p.pid for p in getattr(self._pool, "_processes", {}).values()] if self._pool else []

    def imap_unordered(self, func: Callable[..., Any], argsets: Iterable[tuple]) -> Iterator[tuple[int, Any]]:
        """Yield ``(index, func(*args))`` as tasks finish, keeping at most ``2 * workers`` submitted."""
        if self.serial:
            for i, args in enumerate(argsets):
                yield i, func(*args)
            return
        if self._pool is None:
            raise RuntimeError("use WorkerPool as a context manager")
        queue = enumerate(argsets)
        running: dict[Future, int] = {}
        try:
            for i, args in queue:
                running[self._pool.submit(func, *args)] = i
                if len(running) >= QUEUE_PER_WORKER * self.workers:
                    break
            while running:
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for fut in finished:
                    i = running.pop(fut)
                    yield i, fut.result()
                    nxt = next(queue, None)
                    if nxt is not None:
                        running[self._pool.submit(func, *nxt[1])] = nxt[0]
        except BaseException:
            for fut in running:
                fut.cancel()
            raise

    def map(self, func: Callable[..., Any], argsets: Iterable[tuple], *,
            on_result: Callable[[int, Any], None] | None = None) -> list[Any]:
        """``[func(*args) for args in argsets]`` in order; ``on_result(i, result)`` is called as each finishes."""
        out: dict[int, Any] = {}
        for i, result in self.imap_unordered(func, argsets):
            out[i] = result
            if on_result is not None:
                on_result(i, result)
        return [out[i] for i in range(len(out))]


def run_tasks(func: Callable[..., Any], argsets: list[tuple], workers: int, *, progress: bool = False,
              desc: str = "running", sizes: list[int] | None = None, unit: str = "run",
              pool: WorkerPool | None = None, scheduler: str | None = None) -> list[Any]:
    """Run every task (in ``pool``, or a pool of ``min(workers, tasks)`` made for the call) with a progress bar.

    ``sizes[i]`` is what task ``i`` advances the bar by (e.g. the runs in a batch); 1 each by default. With
    ``scheduler`` the tasks run on that Dask cluster instead (:func:`run_on_dask`).
    """
    if scheduler is not None:
        return run_on_dask(func, argsets, scheduler, progress=progress, desc=desc, sizes=sizes, unit=unit)
    sizes = sizes or [1] * len(argsets)
    with progress_bar(sum(sizes), desc, progress, unit) as bar:
        def advance(i: int, _result: Any) -> None:
            bar.update(sizes[i])

        if pool is not None:
            return pool.map(func, argsets, on_result=advance)
        with WorkerPool(min(max(1, workers), max(1, len(argsets)))) as own:
            return own.map(func, argsets, on_result=advance)


def check_scheduler_address(address: str) -> None:
    """A Dask scheduler address must look like ``tcp://host:port`` (checked before anything runs)."""
    from urllib.parse import urlsplit

    from recoverysim.errors import RecoverysimError

    try:
        parts = urlsplit(address if "://" in address else f"tcp://{address}")
        port = parts.port
    except ValueError:
        port = None
        parts = None
    if parts is None or not parts.hostname or port is None or " " in address:
        shown = address if len(address) <= 80 else address[:80] + "..."
        raise RecoverysimError(f"--scheduler {shown!r}: not a scheduler address; expected e.g. "
                               "tcp://127.0.0.1:8786")


def dask_client(scheduler: str, timeout: str | None = None):
    """A client of the Dask scheduler at ``scheduler``, or a clear error if it cannot be reached."""
    from distributed import Client

    from recoverysim.errors import RecoverysimError

    try:
        return Client(scheduler, timeout=timeout or SCHEDULER_TIMEOUT)
    except OSError as exc:
        raise RecoverysimError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from exc


def run_on_dask(func: Callable[..., Any], argsets: list[tuple], scheduler: str, *, progress: bool = False,
                desc: str = "running", sizes: list[int] | None = None, unit: str = "run") -> list[Any]:
    """Every task on the Dask cluster at ``scheduler``; results in task order, as :func:`run_tasks` gives them."""
    from distributed import as_completed

    sizes = sizes or [1] * len(argsets)
    client = dask_client(scheduler)
    try:
        futures = [client.submit(func, *args, pure=False, key=f"recoverysim-{desc}-{i}-{time.time_ns()}")
                   for i, args in enumerate(argsets)]
        index = {f.key: i for i, f in enumerate(futures)}
        out: list[Any] = [None] * len(futures)
        with progress_bar(sum(sizes), desc, progress, unit) as bar:
            for fut in as_completed(futures):
                i = index[fut.key]
                out[i] = fut.result()
                bar.update(sizes[i])
        return out
    finally:
        client.close()
