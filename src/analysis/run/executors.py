"""Where a run's notebooks execute: a local process pool (default) or a Dask cluster.

Dask workers must see the checkout, data and reports at the same paths and run one task at a
time (`--nthreads 1`): a task sets environment variables for the kernel it starts.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import tempfile
import time
from concurrent.futures import CancelledError, Executor, ProcessPoolExecutor
from pathlib import Path

from analysis.data import paths
from analysis.run import lifetime

LOCAL, DASK = "local", "dask"
EXECUTORS = (LOCAL, DASK)
SCHEDULER_ENV = "ANALYSIS_DASK_SCHEDULER"
CONNECT_TIMEOUT_S = 10
FORWARDED_PREFIX = "ANALYSIS_"  # the project's own settings (folders) go with each task


class ExecutorError(Exception):
    """The executor cannot be had (a scheduler that cannot be reached, no scheduler named)."""


def make(kind: str, jobs: int, scheduler: str | None = None) -> Executor:
    if kind == LOCAL:
        context = multiprocessing.get_context("spawn")
        pool = ProcessPoolExecutor(max(1, jobs), mp_context=context,
                                   initializer=lifetime.worker_setup)  # fmt: skip
        # Start every worker before the pool's manager thread (as under fork): a worker spawned
        # on demand after it is not watched, and its death goes unnoticed until another task
        # ends (CPython 3.11: `submit` wakes the thread before it spawns the worker).
        pool._safe_to_dynamically_spawn_children = False
        return pool
    if kind == DASK:
        return DaskExecutor(scheduler or os.environ.get(SCHEDULER_ENV))
    raise ExecutorError(f"unknown executor {kind!r}; choose one of {', '.join(EXECUTORS)}")


def stop(pool: Executor) -> None:
    """Stop an executor now (a crash, Ctrl-C): the local pool's workers and their kernels end."""
    if isinstance(pool, ProcessPoolExecutor):
        lifetime.stop_pool(pool)
    else:
        pool.shutdown(wait=False, cancel_futures=True)


def tracked(marker: str, fn, *args):
    """Run `fn` in a local worker, its pid noted in `marker` first (`Workers.lost`)."""
    Path(marker).write_text(str(os.getpid()))
    return fn(*args)


class Workers:
    """Which local worker ran which task: a killed worker fails every task in the pool at
    once; only the task whose worker died fails, the others run again (each once)."""

    def __init__(self):
        self.folder: Path | None = None
        self.retried: set[str] = set()
        self.ended: dict = {}  # pid -> the process, of pools replaced after they broke

    def remember(self, pool: ProcessPoolExecutor) -> None:
        """Keep a broken pool's processes before it is shut down (which forgets them)."""
        self.ended.update(getattr(pool, "_processes", None) or {})  # no public handle

    def marker(self, name: str) -> str:
        if self.folder is None:
            self.folder = Path(tempfile.mkdtemp(prefix="thb-workers-"))
        (self.folder / name).unlink(missing_ok=True)
        return str(self.folder / name)

    def lost(self, name: str, pool: ProcessPoolExecutor) -> str:
        """Why the task `name` failed when the pool broke; '' when it only stood beside the
        worker that died (and was not retried yet)."""
        marker = self.folder / name if self.folder else None
        pid = int(marker.read_text()) if marker and marker.is_file() else None
        process = {**self.ended, **(getattr(pool, "_processes", None) or {})}.get(pid)
        code = _exit_code(process)
        ended = (None, -signal.SIGTERM, lifetime.TERMINATED_STATUS)  # by the pool, not killed
        if code in ended and name not in self.retried:
            self.retried.add(name)  # the pool ended it after another worker died
            return ""
        how = f"killed by {signal.Signals(-code).name}" if code and code < 0 else f"exit {code}"
        memory = "; out of memory?" if code == -signal.SIGKILL else ""
        return f"its worker process {pid} died while running it ({how}{memory})"

    def close(self) -> None:
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


def _exit_code(process, wait: float = 3.0) -> int | None:
    """The worker's exit code, waiting a moment: right after the pool broke, a killed worker
    may not be reaped yet and would read None, like a neighbour."""
    if process is None:
        return None
    deadline = time.monotonic() + wait
    while process.exitcode is None and time.monotonic() < deadline:
        time.sleep(0.05)
    return process.exitcode


def _with_environment(values: dict[str, str], fn, *args):
    """Run `fn` on a Dask worker with the submitting process's ANALYSIS_* settings."""
    os.environ.update(values)
    return fn(*args)


class DaskExecutor(Executor):
    """A Dask client's executor; each task carries the runner's ANALYSIS_* variables."""

    def __init__(self, address: str | None):
        if not address:
            raise ExecutorError(
                "the dask executor needs a scheduler: --scheduler tcp://HOST:8786 or "
                f"{SCHEDULER_ENV}"
            )
        import distributed
        from distributed.comm import parse_address, parse_host_port
        from distributed.comm.registry import backends

        try:  # before connecting: a malformed address is a ValueError deep in distributed
            full = address if "://" in address else f"tcp://{address}"  # distributed's default
            scheme, location = parse_address(full, strict=True)
            if scheme not in backends:
                raise ValueError(f"unknown scheme {scheme}://")
            if scheme in ("tcp", "tls", "ws", "wss"):
                parse_host_port(location)
        except ValueError as exc:
            raise ExecutorError(
                f"not a Dask scheduler address: {address!r} ({exc}); expected tcp://HOST:PORT"
            ) from None
        try:
            self.client = distributed.Client(address, timeout=CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError) as exc:
            raise ExecutorError(
                f"cannot reach the Dask scheduler at {address} within {CONNECT_TIMEOUT_S} s"
                f" ({type(exc).__name__})"
            ) from None
        self.address = address
        self.executor = self.client.get_executor(pure=False)

    def submit(self, fn, /, *args, **kwargs):
        forwarded = {k: v for k, v in os.environ.items() if k.startswith(FORWARDED_PREFIX)}
        return self.executor.submit(_with_environment, forwarded, fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.executor.shutdown(wait=wait and not cancel_futures)
        self.client.close()


def task_error(exc: BaseException, pool: Executor | None = None) -> str:
    """What a task whose future raised says: the worker that died, or the scheduler lost."""
    worker = getattr(getattr(exc, "last_worker", None), "address", None)
    if worker:
        return f"the worker {worker} died while running it ({type(exc).__name__})"
    if isinstance(exc, CancelledError) and isinstance(pool, DaskExecutor):
        return (f"the run lost the Dask scheduler at {pool.address} while this notebook was "
                f"on it (CancelledError); run again when it is back")  # fmt: skip
    return paths.disk_problem(exc) or f"{type(exc).__name__}: {exc}"
