"""Processes that end with the runner: nothing it starts outlives it.

Pool workers die with the runner (even by SIGKILL); SIGTERM is handled like Ctrl-C; a worker
that gets SIGTERM kills its kernels first, so none writes into a partial folder once removed.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
from pathlib import Path

PR_SET_PDEATHSIG = 1  # linux/prctl.h
TERMINATED_STATUS = 128 + signal.SIGTERM  # 143, as a shell reports a process ended by SIGTERM


class Terminated(KeyboardInterrupt):
    """The runner received SIGTERM."""


def worker_setup() -> None:
    """A pool worker's initializer: it dies with the runner, and ends its kernels with it."""
    die_with_parent()
    signal.signal(signal.SIGTERM, end_with_children)


def children(pid: int) -> list[int]:
    """The child processes of `pid` started by any of its threads (Linux /proc; else [])."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError, ValueError):
            found += [int(c) for c in (task / "children").read_text().split()]
    return found


def end_with_children(signum, frame) -> None:
    """Kill this process's children (its kernels), wait until they are gone, then exit."""
    kernels = children(os.getpid())
    for pid in kernels:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    for pid in kernels:
        with contextlib.suppress(OSError):  # reaped by its Popen meanwhile: gone already
            os.waitpid(pid, 0)
    os._exit(128 + signum)


def die_with_parent() -> None:
    """Have this process killed when its parent ends (Linux; elsewhere nothing happens)."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() == 1:  # the parent ended before the request took effect
        os._exit(1)


def _raise_terminated(signum, frame) -> None:
    raise Terminated()


def handle_sigterm() -> None:
    """From now on SIGTERM raises `Terminated` in the main thread."""
    signal.signal(signal.SIGTERM, _raise_terminated)


def stop_pool(pool, timeout: float = 5.0) -> None:
    """Stop a ProcessPoolExecutor now: cancel what has not started and end its workers
    (SIGTERM, then SIGKILL after `timeout` seconds)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())  # no public handle
    pool.shutdown(wait=False, cancel_futures=True)  # forgets its processes: taken before
    for process in processes:
        with contextlib.suppress(OSError):
            process.terminate()
    for process in processes:
        process.join(timeout)
        if process.is_alive():
            process.kill()
            process.join(timeout)
