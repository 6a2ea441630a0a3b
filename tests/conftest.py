"""Shared fixtures. Tests that read real data go through the registry (data/raw, fetched from the
mirror before the suite runs); they fail, never skip, when a file is missing."""

from __future__ import annotations

import fcntl
import importlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")  # tests draw without a screen; notebooks keep their inline backend
# Where PYTHONDONTWRITEBYTECODE is set (this machine, CI), pytest would rewrite every test
# module and Python compile the package anew on every run: keep their bytecode caches (in
# __pycache__ folders, which git ignores).
sys.dont_write_bytecode = False


@pytest.fixture
def project(tmp_path, monkeypatch):
    """An empty project folder that analysis.data.paths resolves to (for CLI and runner tests)."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "thb-analysis"\n')
    monkeypatch.setenv("ANALYSIS_ROOT", str(tmp_path))
    return tmp_path


@pytest.fixture
def as_step(monkeypatch):
    """Act as a kernel the runner started: `as_step(name, *reads)` sets the step's environment
    (analysis.data.guard); without a call, no step is running."""
    from analysis.data import guard

    def start(name: str, *reads: str) -> None:
        for key, value in guard.environment(name, reads).items():
            monkeypatch.setenv(key, value)

    monkeypatch.delenv(guard.STEP_ENV, raising=False)
    monkeypatch.delenv(guard.READS_ENV, raising=False)
    return start


@pytest.fixture
def no_mirror(monkeypatch):
    monkeypatch.delenv("ANALYSIS_DATA_MIRROR", raising=False)


CHECKOUT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def shared_mirror() -> str:
    """The real mirror folder ($ANALYSIS_DATA_MIRROR, or ../shared/data beside the checkout)."""
    folder = os.environ.get("ANALYSIS_DATA_MIRROR") or CHECKOUT.parent / "shared" / "data"
    return os.path.abspath(folder)


@pytest.fixture(scope="session", autouse=True)
def processed_tables():
    """The cleaned tables the analysis tests read, and the protected release the profiles
    slice, built from the registered raw data when any is missing (a fresh clone has none) by
    the same functions the cleaning and release notebooks call.
    A cleaning module is imported only then: test files that need none (the runner's, say)
    do not pay for pandera."""
    from analysis import catalog

    # One builder at a time: the fast lane runs on several workers (`-n auto`), each with this
    # fixture, and a fresh clone has no table yet.
    lock_path = Path(tempfile.gettempdir()) / f"thb-analysis-tests-{os.getuid()}.lock"
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _build_missing_tables(catalog)


def _build_missing_tables(catalog) -> None:
    for step, module in (
        ("01_clean_victims", "analysis.clean.ctdc"),
        ("02_clean_enforcement", "analysis.clean.enforcement_tables"),
    ):
        if not all(t.location().is_file() for t in catalog.written_by(step)):
            importlib.import_module(module).build()
    if not catalog.table("release_places").location().is_file():  # what the reports slice
        from analysis.publish import release_set

        release_set.build(catalog.read("victims"), glotip=catalog.read("glotip")).write()


# The runner's fixture DAG (tests/fixture_dag.py), for the runner, fault and Dask tests.


@pytest.fixture
def dag_catalog(monkeypatch):
    """The fixture DAG's catalog in place of the real one (`pytestmark` of the runner tests)."""
    import fixture_dag

    from analysis import catalog

    monkeypatch.setattr(catalog, "TABLES", fixture_dag.TABLES)


@pytest.fixture
def package(tmp_path, monkeypatch) -> Path:
    """A copy of the analysis package that the runner hashes, so tests can edit modules
    (the kernels still import the installed package)."""
    from analysis.run import runner

    copy = tmp_path / "code" / "analysis"
    shutil.copytree(runner.PACKAGE_ROOT, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(runner, "PACKAGE_ROOT", copy)
    return copy


@pytest.fixture
def dag(project, package, dag_catalog):
    """A project with the fixture DAG's notebooks (`fixture_dag`) and its outside tables."""
    from fixture_dag import ALONE, MAKE, USE, write_notebook

    notebooks = project / "notebooks"
    notebooks.mkdir()
    make = "value = 1\npause = 0\npublish_total = False\nreport_dir = None"
    write_notebook(notebooks / "01_make.ipynb", make, MAKE)
    write_notebook(notebooks / "02_use.ipynb", "report_dir = None", USE)
    write_notebook(notebooks / "03_alone.ipynb", "pause = 0\nreport_dir = None", ALONE)
    (project / "data/processed").mkdir(parents=True)
    (project / "data/processed/seed.txt").write_text("s1")
    (project / "data/processed/note.txt").write_text("n1")
    return project
