"""Fault injection: every way a run can be stopped, tampered with or fed bad input, and what
the user sees (issue "runs that cannot lie or linger"). Slow tests start kernels of the fixture
DAG (`fixture_dag`); a full or read-only disk is a small tmpfs where the machine allows a mount.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from fixture_dag import (
    STEPS,
    manifest_of,
    results,
    run,
    write_notebook,
)

from analysis.data import sources
from analysis.run import runner
from analysis.run.runner import RunError
from analysis.run.steps import Step

pytestmark = pytest.mark.usefixtures("dag_catalog")  # the fixture DAG's tables

# Bad input: refused before any kernel starts.


def test_a_raw_file_altered_after_fetch_stops_the_run_before_any_kernel(dag, shared_mirror):
    sources.fetch(["belarus_press"], mirror=shared_mirror)
    steps = (*STEPS[:2], Step("03_alone", reads=("note", "raw:belarus_press")))
    path = sources.find_file("belarus_press").path()
    path.write_bytes(path.read_bytes().replace(b"2009", b"2010", 1))
    with pytest.raises(RunError, match=rf"1 raw file\(s\) missing or altered .*{path}.*make data"):
        run(dag, steps)
    assert not (dag / "reports").exists()


# Signals: nothing outlives the runner.


KILL_SCRIPT = """
import sys
from pathlib import Path
from analysis import catalog
from analysis.run import runner
sys.path.insert(0, {tests!r})
from fixture_dag import STEPS, TABLES
catalog.TABLES = TABLES
runner.run(runner.RunOptions(jobs=1, only=["01_make"], parameters={{"01_make": {{"pause": 60}}}}),
           Path({notebooks!r}), STEPS)
"""


@pytest.mark.slow
def test_a_killed_run_leaves_the_previous_report_intact(dag):
    _, first = run(dag)
    before = {p: p.read_bytes() for p in first.rglob("*") if p.is_file()}
    script = KILL_SCRIPT.format(tests=str(Path(__file__).parent), notebooks=str(dag / "notebooks"))
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script)],
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    started = any("01_make: running" in line for line in proc.stderr)
    assert started
    time.sleep(3)  # inside the notebook's pause
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert list((dag / "reports").glob(".partial-*"))  # the killed run's half-written folder
    assert (dag / "reports/latest").resolve() == first
    assert {p: p.read_bytes() for p in first.rglob("*") if p.is_file()} == before
    # The next run clears the partial folder the killed run left.
    status, latest = run(dag, only=["01_make"])
    assert (status, latest) == (0, first)
    assert not list((dag / "reports").glob(".partial-*"))


WAIT = """
import os, time
from analysis.data import paths
(paths.processed_dir() / "pids.txt").write_text(f"{os.getppid()} {os.getpid()}")
time.sleep(60)
"""

STOP_SCRIPT = """
import sys
from pathlib import Path
from analysis import catalog
from analysis.run import lifetime, runner
from analysis.run.steps import Step
sys.path.insert(0, {tests!r})
from fixture_dag import STEPS, TABLES
catalog.TABLES = TABLES
lifetime.handle_sigterm()
try:
    runner.run(runner.RunOptions(jobs=1, only=["05_wait"]), Path({notebooks!r}),
               (*STEPS, Step("05_wait", reads=("seed",))))
except lifetime.Terminated:
    print("terminated", file=sys.stderr)
    sys.exit(lifetime.TERMINATED_STATUS)
"""


def _start_waiting_run(dag: Path) -> tuple[subprocess.Popen, list[int]]:
    """A run of a notebook that sleeps, in a subprocess; the pids of its worker and kernel."""
    write_notebook(dag / "notebooks/05_wait.ipynb", "report_dir = None", WAIT)
    script = STOP_SCRIPT.format(tests=str(Path(__file__).parent), notebooks=str(dag / "notebooks"))
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(script)],
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    pids = dag / "data/processed/pids.txt"
    for _ in range(600):  # the kernel writes its pids once it runs the notebook
        if pids.is_file() and pids.read_text():
            return proc, [int(p) for p in pids.read_text().split()]
        time.sleep(0.1)
    proc.kill()
    raise AssertionError("the waiting notebook never started")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return not (status.is_file() and "State:\tZ" in status.read_text())  # a zombie is gone


def _gone(pids: list[int], seconds: float = 15) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not any(_alive(p) for p in pids):
            return True
        time.sleep(0.2)
    return False


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal: Linux")
def test_workers_and_kernels_end_when_the_runner_is_killed(dag):
    proc, pids = _start_waiting_run(dag)
    os.kill(proc.pid, signal.SIGKILL)  # the runner only, as `kill -9 PID` does
    proc.wait()
    assert _gone(pids), f"worker and kernel {pids} outlived the killed runner"


@pytest.mark.slow
def test_sigterm_stops_the_run_like_ctrl_c(dag):
    _, first = run(dag)
    proc, pids = _start_waiting_run(dag)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143 and "terminated" in err
    assert _gone(pids)
    assert not list((dag / "reports").glob(".partial-*"))  # removed, not left behind
    assert (dag / "reports/latest").resolve() == first


FIGURE = """
import matplotlib.pyplot as plt
plt.rcParams["svg.hashsalt"] = "fixture"  # SVG ids and dates as Report fixes them
fig, ax = plt.subplots(figsize=(3, 2))
ax.bar(["a", "b"], [len(label), 3])
ax.set_title(label)
if report_dir:
    target = Path(report_dir) / "figures" / "01_figure"
    target.mkdir(parents=True)
    fig.savefig(target / "bars.png", metadata={"Software": None})
    fig.savefig(target / "bars.svg", metadata={"Date": None, "Creator": None})
save("01_figure", {"label": label})
"""


@pytest.mark.slow
def test_figures_are_inline_and_verify_catches_an_altered_one(project, package, capsys):
    notebooks = project / "notebooks"
    notebooks.mkdir()
    write_notebook(notebooks / "01_figure.ipynb", 'label = "abc"\nreport_dir = None', FIGURE)
    steps = (Step("01_figure"),)
    _, run_dir = run(project, steps)
    outputs = manifest_of(run_dir)["outputs"]
    assert {"figures/01_figure/bars.png", "figures/01_figure/bars.svg"} <= set(outputs)
    assert results(run_dir, "01_figure") == {"label": "abc"}
    html = (run_dir / "01_figure.html").read_text()
    assert "data:image/png;base64" in html
    assert 'src="http' not in html  # self-contained: no scripts or images from the web

    assert runner.verify(run_dir, jobs=1, notebook_dir=notebooks, steps=steps) == 0
    out = capsys.readouterr().out
    assert "match     figures/01_figure/bars.png" in out and "ALTERED" not in out
    assert "match     01_figure.html" in out  # the published files are hashed first
    published = run_dir / "results/01_figure.json"
    original = published.read_bytes()
    published.write_bytes(original.replace(b"abc", b"abd"))  # tampered after publication
    assert runner.verify(run_dir, jobs=1, notebook_dir=notebooks, steps=steps) == 1
    assert "ALTERED   results/01_figure.json" in capsys.readouterr().out
    published.write_bytes(original)
    figure = run_dir / "figures/01_figure/bars.svg"
    figure.write_text(figure.read_text().replace("</svg>", "<!-- edited --></svg>"))
    manifest = manifest_of(run_dir)
    manifest["outputs"]["figures/01_figure/bars.svg"] = runner.sha256_file(figure)
    (run_dir / "manifest.json").write_text(json.dumps(manifest))
    assert runner.verify(run_dir, jobs=1, notebook_dir=notebooks, steps=steps) == 1
    assert "ALTERED   figures/01_figure/bars.svg" in capsys.readouterr().out


def test_verify_names_a_processed_table_altered_after_the_run(project):
    table = project / "data/processed/us_tip.parquet"
    table.parent.mkdir(parents=True)
    table.write_bytes(b"written by the run")
    manifest = {"outputs": {}, "notebooks": {"02_x": {"processed_outputs": {
        "data/processed/us_tip.parquet": runner.sha256_file(table)}}}}  # fmt: skip
    assert runner._published_states(project, manifest) == {"data/processed/us_tip.parquet": "match"}
    table.write_bytes(b"written by the run, then edited")
    assert runner._published_states(project, manifest) == {
        "data/processed/us_tip.parquet": "ALTERED"
    }
    table.unlink()
    assert set(runner._published_states(project, manifest).values()) == {"MISSING"}


def test_a_damaged_manifest_is_named_and_the_run_starts_afresh(project, capsys):
    run_dir = project / "reports" / "2026-01-01T000000Z"
    run_dir.mkdir(parents=True)
    (run_dir / "manifest.json").write_text('{"notebooks": ')  # cut short
    (project / "reports" / "latest").symlink_to(run_dir.name)
    with pytest.raises(RunError, match=r"manifest\.json is damaged or unreadable"):
        runner.load_manifest(run_dir)
    assert runner.previous_run(project / "reports") == (None, {})
    assert "running as if there were no earlier run" in capsys.readouterr().err
