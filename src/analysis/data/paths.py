"""Where the project's folders are, whatever the working directory: the root is
`$ANALYSIS_ROOT`, the checkout holding this package, or the nearest parent of the working
directory with a `pyproject.toml` naming thb-analysis.
"""

from __future__ import annotations

import errno
import os
import shutil
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


PROCESSED_ENV = "ANALYSIS_PROCESSED_DIR"  # set by `verify`: its re-execution writes there


def processed_dir() -> Path:
    if env := os.environ.get(PROCESSED_ENV):
        return Path(env).resolve()
    return project_root() / "data" / "processed"


def notebooks_dir() -> Path:
    return project_root() / "notebooks"


def reports_dir() -> Path:
    return project_root() / "reports"


def umask() -> int:
    """The process's umask (from /proc on Linux, which leaves it untouched; elsewhere set and
    restored at once)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def file_mode() -> int:
    """The mode of a new file under the umask: 0644 under umask 022, as open() makes it."""
    return 0o666 & ~umask()


@contextmanager
def atomic_path(dest: Path) -> Iterator[Path]:
    """Yield a temporary path beside `dest`; rename it onto `dest` only if the block succeeds.
    The file follows the umask, so that others can read what a scheduled run wrote."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(
        dir=dest.parent, prefix=f".{dest.stem}.", suffix=f".part{dest.suffix}"
    )
    os.close(fd)
    tmp = Path(name)
    tmp.chmod(file_mode())  # mkstemp makes it 0600; the file gets the mode open() would give
    try:
        yield tmp
        os.replace(tmp, dest)
    except OSError as exc:
        if exc.filename is None and exc.errno in DISK_ERRORS:  # a full disk names no file
            exc.filename = str(tmp)
        raise
    finally:
        tmp.unlink(missing_ok=True)


DISK_ERRORS = {
    errno.ENOSPC: "no space is left on the disk",
    errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "the file system is read-only",
}


def disk_problem(exc: BaseException, writing_in: Path | None = None) -> str | None:
    """One line for an error writing to a full or read-only disk: the folder and the space free
    there; None for any other error."""
    if not isinstance(exc, OSError) or exc.errno not in DISK_ERRORS:
        return None
    folder = Path(exc.filename).parent if exc.filename else (writing_in or Path.cwd())
    while not folder.is_dir() and folder != folder.parent:
        folder = folder.parent
    try:
        free = f"{shutil.disk_usage(folder).free / 2**20:,.1f} MiB free there"
    except OSError:
        free = "free space unknown"
    return f"cannot write in {folder}: {DISK_ERRORS[exc.errno]} ({free})"
