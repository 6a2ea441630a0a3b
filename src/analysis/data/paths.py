"""Where the project's folders are, independent of the working directory.

Notebooks run from `notebooks/` (JupyterLab) or from anywhere (papermill); both must
find the same `data/` and `reports/`. The root is, in order: `$ANALYSIS_ROOT`, the
checkout that holds this package (editable install), or the nearest parent of the
working directory with a `pyproject.toml` naming thb-analysis.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PROJECT_NAME = "thb-analysis"


def _is_project_root(folder: Path) -> bool:
    pyproject = folder / "pyproject.toml"
    return pyproject.is_file() and f'name = "{PROJECT_NAME}"' in pyproject.read_text()


def project_root() -> Path:
    if env := os.environ.get("ANALYSIS_ROOT"):
        return Path(env).resolve()
    checkout = Path(__file__).resolve().parents[3]
    if _is_project_root(checkout):
        return checkout
    for folder in [Path.cwd().resolve(), *Path.cwd().resolve().parents]:
        if _is_project_root(folder):
            return folder
    raise RuntimeError(
        "Cannot find the thb-analysis project folder: set ANALYSIS_ROOT or run from inside it."
    )


def raw_dir() -> Path:
    return project_root() / "data" / "raw"


def processed_dir() -> Path:
    return project_root() / "data" / "processed"


def notebooks_dir() -> Path:
    return project_root() / "notebooks"


def reports_dir() -> Path:
    return project_root() / "reports"


@contextmanager
def atomic_path(dest: Path) -> Iterator[Path]:
    """Yield a temporary path beside `dest`; rename it onto `dest` only if the block succeeds.

    A crash, an exception or Ctrl-C leaves the previous `dest` as it was.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(
        dir=dest.parent, prefix=f".{dest.stem}.", suffix=f".part{dest.suffix}"
    )
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
