"""What the running step may read: the runner puts the step and its declared reads in the
kernel's environment, and every read of a table or raw source calls `check_read`. Without a
runner (JupyterLab, tests) every read is allowed.
"""

from __future__ import annotations

import os

from analysis.data.errors import DataError

STEP_ENV = "ANALYSIS_STEP"
READS_ENV = "ANALYSIS_READS"  # catalog names and `raw:<source>`, comma-separated


class UndeclaredRead(DataError):
    """A step read a table or raw source that its declaration in analysis/run/steps.py lacks,
    or wrote a table that the catalog gives to another step."""


def environment(step: str, reads: tuple[str, ...] | list[str]) -> dict[str, str]:
    """The variables the runner sets for a kernel that executes `step`."""
    return {STEP_ENV: step, READS_ENV: ",".join(reads)}


def running_step() -> str | None:
    return os.environ.get(STEP_ENV) or None


def check_read(name: str) -> None:
    """Refuse a read of `name` (a catalog name or `raw:<source>`) the running step lacks."""
    step = running_step()
    if step is None:
        return
    declared = set(filter(None, os.environ.get(READS_ENV, "").split(",")))
    if name in declared or (name.startswith("raw:") and "raw:*" in declared):
        return
    what = f"raw source {name[4:]!r}" if name.startswith("raw:") else f"table {name!r}"
    raise UndeclaredRead(
        f"step {step} reads {what} but does not declare it: add {name!r} to its reads in "
        "analysis/run/steps.py"
    )
