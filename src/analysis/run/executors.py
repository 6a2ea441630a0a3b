"""Where a run's notebooks execute: a local process pool (default) or a Dask cluster.

Both give a `concurrent.futures` executor whose `submit(fn, *args)` the runner calls.
`distributed` is imported only when the Dask executor is chosen. Dask workers must see the
checkout, the data and the reports folder at the same paths, with the same environment
(README, "Running on a cluster"); each worker runs one notebook at a time (`--nthreads 1`),
since a task sets environment variables for the kernel it starts.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import Executor, ProcessPoolExecutor

from analysis.data import paths
from analysis.run import lifetime

LOCAL, DASK = "local", "dask"
EXECUTORS = (LOCAL, DASK)
SCHEDULER_ENV = "ANALYSIS_DASK_SCHEDULER"
CONNECT_TIMEOUT_S = 10
FORWARDED_PREFIX = "ANALYSIS_"  # the project's own settings (folders) go with each task


class ExecutorError(Exception):
    """The executor cannot be had (a scheduler that cannot be reached, no scheduler named)."""


def scheduler_address(given: str | None) -> str | None:
    return given or os.environ.get(SCHEDULER_ENV) or None


def make(kind: str, jobs: int, scheduler: str | None = None) -> Executor:
    if kind == LOCAL:
        context = multiprocessing.get_context("spawn")
        return ProcessPoolExecutor(max(1, jobs), mp_context=context,
                                   initializer=lifetime.die_with_parent)  # fmt: skip
    if kind == DASK:
        return DaskExecutor(scheduler_address(scheduler))
    raise ExecutorError(f"unknown executor {kind!r}; choose one of {', '.join(EXECUTORS)}")


def stop(pool: Executor) -> None:
    """Stop an executor now (a crash, Ctrl-C): the local pool's workers and their kernels end."""
    if isinstance(pool, ProcessPoolExecutor):
        lifetime.stop_pool(pool)
    else:
        pool.shutdown(wait=False, cancel_futures=True)


def _with_environment(values: dict[str, str], fn, *args):
    """Run `fn` on a Dask worker with the submitting process's ANALYSIS_* settings."""
    os.environ.update(values)
    return fn(*args)


class DaskExecutor(Executor):
    """`distributed.Client(address).get_executor(pure=False)`, connected within
    CONNECT_TIMEOUT_S; each task carries the runner's ANALYSIS_* variables to its worker."""

    def __init__(self, address: str | None):
        if not address:
            raise ExecutorError(
                "the dask executor needs a scheduler: --scheduler tcp://HOST:8786 or "
                f"{SCHEDULER_ENV}"
            )
        import distributed

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


def task_error(exc: BaseException) -> str:
    """A task's future raised instead of returning: what its failed entry says. A worker
    that died (Dask's KilledWorker) is named."""
    worker = getattr(getattr(exc, "last_worker", None), "address", None)
    if worker:
        return f"the worker {worker} died while running it ({type(exc).__name__})"
    return paths.disk_problem(exc) or f"{type(exc).__name__}: {exc}"
