"""Options of the report checks: `--run-dir DIR` (or $ANALYSIS_RUN_DIR) names the run folder
whose pages the browser test and the text scan check; without it those tests skip."""

from __future__ import annotations

import pytest
from report_pages import NO_RUN, report_names, run_folder


def pytest_addoption(parser):
    parser.addoption(
        "--run-dir", default=None, help="run folder whose reports the report checks read"
    )


def pytest_generate_tests(metafunc):
    """`report`: one test per page of the run folder, named by its file."""
    if "report" not in metafunc.fixturenames:
        return
    run = run_folder(metafunc.config)
    if run is None:
        skipped = pytest.param(None, id="no-run-folder", marks=pytest.mark.skip(reason=NO_RUN))
        metafunc.parametrize("report", [skipped])
        return
    if not run.is_dir():
        raise pytest.UsageError(f"run folder {run} does not exist")
    names = report_names(run)
    metafunc.parametrize("report", [run / name for name in names], ids=names)


@pytest.fixture(scope="session")
def run_dir(pytestconfig):
    run = run_folder(pytestconfig)
    if run is None:
        pytest.skip(NO_RUN)
    return run
