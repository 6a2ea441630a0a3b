"""Fault injection: every way a run can be stopped, tampered with or fed bad input, and what
the user sees (issue "runs that cannot lie or linger"). Slow tests start kernels of the fixture
DAG (`fixture_dag`); a full or read-only disk is a small tmpfs where the machine allows a mount.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fixture_dag import (
    STEPS,
    manifest_of,
    results,
    run,
    write_notebook,
)

from analysis.data import paths, sources
from analysis.run import cli, runner
from analysis.run.runner import RunError
from analysis.run.steps import Step

# Bad input: refused before any kernel starts.


@pytest.fixture
def sigterm_handler():
    """cli.main installs a SIGTERM handler; the test process gets its own back."""
    previous = signal.getsignal(signal.SIGTERM)
    yield
    signal.signal(signal.SIGTERM, previous)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "--jobs", "0"], "at least 1 notebook at once, got 0"),
        (["run", "--jobs", "-1"], "at least 1 notebook at once, got -1"),
        (["run", "--jobs", "two"], "expected a whole number, got 'two'"),
        (["run", "-p", "min_cell=[1"], "min_cell: cannot read the value '[1'"),
        (["run", "-p", "min_cell"], "expected key=value"),
    ],
)
@pytest.mark.usefixtures("sigterm_handler")
def test_bad_command_lines_end_in_one_line_before_anything_runs(argv, message, capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(argv)
    assert stop.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.usefixtures("sigterm_handler")
def test_bad_parameters_and_countries_are_refused_before_any_kernel(tmp_path, capsys):
    assert cli.main(["run", "-p", "min_cell=abc"]) == 1
    assert "parameter min_cell must be a whole number like its default 10; got 'abc'" in (
        capsys.readouterr().err
    )
    assert cli.main(["run", "--country", "XXX"]) == 1
    assert "not ISO 3166-1 alpha-3 codes of a country: XXX" in capsys.readouterr().err
    params = tmp_path / "params.yaml"
    params.write_text("1: 5\n")
    assert cli.main(["run", "--params", str(params)]) == 1
    assert "parameter names are text; got 1" in capsys.readouterr().err
    params.write_text("10_victim_trends:\n  2: x\n")
    assert cli.main(["run", "--params", str(params)]) == 1
    assert "10_victim_trends: parameter names are text; got 2" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("data", "codes"),
    [
        ("BLR\nukr # Ukraine\n".encode("utf-16"), ["BLR", "UKR"]),
        ("\ufeffBLR\nUKR\n".encode(), ["BLR", "UKR"]),
        (b"BLR\r\nUKR\r\n", ["BLR", "UKR"]),
    ],
    ids=["utf-16", "utf-8 with a byte-order mark", "windows line ends"],
)
def test_a_country_file_is_read_in_the_encodings_editors_save(tmp_path, data, codes):
    listed = tmp_path / "countries.txt"
    listed.write_bytes(data)
    assert cli._countries(None, str(listed)) == codes


@pytest.mark.usefixtures("sigterm_handler")
def test_a_country_file_that_is_not_text_is_one_line(tmp_path, capsys):
    listed = tmp_path / "countries.txt"
    listed.write_bytes(b"BLR\n\xa0\xff\x00\n")
    assert cli.main(["run", "--country-file", str(listed)]) == 1
    err = capsys.readouterr().err
    assert f"cannot read country list {listed}: not UTF-8 or UTF-16 text (byte 4)" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


@pytest.mark.usefixtures("sigterm_handler")
def test_sigterm_ends_the_command_with_143_and_one_line(monkeypatch, capsys):
    from analysis.run import lifetime

    def terminated(options):
        raise lifetime.Terminated()

    monkeypatch.setattr(runner, "run", terminated)
    assert cli.main(["run", "--only", "00_data_sources"]) == 143
    assert capsys.readouterr().err.strip() == (
        "terminated: nothing was published; earlier outputs are intact"
    )


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


def _start_waiting_run(dag: Path, write: bool = True) -> tuple[subprocess.Popen, list[int]]:
    """A run of a notebook that sleeps (`write`: as it is), in a subprocess; the pids of its
    worker and kernel."""
    if write:
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


KILLED_WORKER_SCRIPT = """
import sys
from pathlib import Path
from analysis import catalog
from analysis.run import runner
from analysis.run.steps import Step
sys.path.insert(0, {tests!r})
from fixture_dag import STEPS, TABLES
catalog.TABLES = TABLES
status, _ = runner.run(
    runner.RunOptions(jobs=2, only=["05_wait", "03_alone"], keep_going=True,
                      parameters={{"03_alone": {{"pause": 30}}}}),
    Path({notebooks!r}), (*STEPS, Step("05_wait", reads=("seed",))))
sys.exit(status)
"""


@pytest.mark.slow
def test_a_worker_killed_mid_run_fails_its_notebook_at_once_and_the_run_goes_on(dag):
    write_notebook(dag / "notebooks/05_wait.ipynb", "report_dir = None", WAIT)
    script = KILLED_WORKER_SCRIPT.format(
        tests=str(Path(__file__).parent), notebooks=str(dag / "notebooks")
    )
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(script)],
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    pids = dag / "data/processed/pids.txt"
    for _ in range(600):  # the kernel writes its pids once it runs the notebook
        if pids.is_file() and pids.read_text():
            break
        time.sleep(0.1)
    worker = int(pids.read_text().split()[0])
    os.kill(worker, signal.SIGKILL)  # as the OOM killer does
    killed = time.monotonic()
    lines = []
    for line in proc.stderr:
        lines.append(line)
        if "05_wait: FAILED" in line:
            assert time.monotonic() - killed < 15  # not when 03_alone ends (30 s)
            assert (
                f"05_wait: FAILED after 0.0 s: its worker process {worker} died while running "
                "it (killed by SIGKILL; out of memory?)"
            ) in line
    log = "".join(lines)
    assert proc.wait() == 1, log  # the run's whole log when it is not a failed run
    assert "05_wait: FAILED" in log and "Traceback" not in log, log
    # 03_alone's worker was ended with the broken pool: it runs again, once, and finishes.
    assert "03_alone: running again (a worker beside it was lost)" in log
    assert "03_alone: ok in" in log


WRITING = """
import os, time
from pathlib import Path
from analysis.data import paths
(paths.processed_dir() / "pids.txt").write_text(f"{os.getppid()} {os.getpid()}")
for i in range(600):  # a notebook that keeps writing into its run's folder
    target = Path(report_dir or ".") / "results"
    target.mkdir(parents=True, exist_ok=True)
    (target / "05_wait.json").write_text(str(i))
    time.sleep(0.05)
"""


@pytest.mark.slow
def test_no_kernel_writes_into_a_stopped_run_s_folder(dag):
    write_notebook(dag / "notebooks/05_wait.ipynb", "report_dir = None", WRITING)
    proc, pids = _start_waiting_run(dag, write=False)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=60)
    assert not any(_alive(p) for p in pids)  # the kernel ended before the runner did
    time.sleep(3)  # a kernel left behind would have made the folder again by now
    assert not list((dag / "reports").glob(".partial-*"))


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


# Data that look like HTML: shown as text in every page.

PAYLOAD = "<script>alert(1)</script><img src=x onerror=alert(2)>"
INJECTED = f"""
import pandas as pd
from IPython.display import Markdown, display
from analysis.publish.tables import Table
payload = {PAYLOAD!r}
display(Markdown(f"Press note: {{payload}} for **Belarus**"))
frame = pd.DataFrame({{"citizenship": [payload], "records": [12]}})
display(Table(frame, caption=f"Records by {{payload}}", note=payload))
save("03_alone", {{"headline": [f"Label {{payload}}"], "warnings": [f"Column {{payload}}"]}})
"""


@pytest.mark.slow
def test_html_in_the_data_is_text_in_the_report_and_the_index(dag):
    write_notebook(dag / "notebooks/03_alone.ipynb", "pause = 0\nreport_dir = None", INJECTED)
    status, run_dir = run(dag)
    assert status == 0
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;"
    for page in (run_dir / "03_alone.html", run_dir / "index.html"):
        text = page.read_text(encoding="utf-8")
        assert "<script>alert" not in text and "<img src=x" not in text, page.name
        assert escaped in text, page.name
    report = (run_dir / "03_alone.html").read_text(encoding="utf-8")
    assert report.count(escaped) >= 5  # the note, the table cell, caption, note, warning


# Tampering: verify, the manifest.


def _figure_run(project: Path) -> tuple[Path, tuple[Step, ...], Path]:
    """A run of one notebook that draws a figure: its notebook folder, steps and run folder."""
    notebooks = project / "notebooks"
    notebooks.mkdir()
    write_notebook(notebooks / "01_figure.ipynb", 'label = "abc"\nreport_dir = None', FIGURE)
    steps = (Step("01_figure"),)
    _, run_dir = run(project, steps)
    return notebooks, steps, run_dir


@pytest.mark.slow
def test_figures_are_inline_and_verify_catches_an_altered_one(project, package, capsys):
    notebooks, steps, run_dir = _figure_run(project)
    outputs = manifest_of(run_dir)["outputs"]
    assert {"figures/01_figure/bars.png", "figures/01_figure/bars.svg"} <= set(outputs)
    assert results(run_dir, "01_figure") == {"label": "abc"}
    html = (run_dir / "01_figure.html").read_text()
    assert "data:image/png;base64" in html
    assert 'src="http' not in html  # self-contained: no scripts or images from the web

    assert runner.verify(run_dir, jobs=1, notebook_dir=notebooks, steps=steps) == 0
    out = capsys.readouterr().out
    assert "1 of 1 reports match on re-execution" in out and "ALTERED" not in out
    assert "match" not in out.replace("1 reports match", "")  # no line per matching file
    published = run_dir / "results/01_figure.json"
    original = published.read_bytes()
    published.chmod(0o644)  # published read-only: a tamperer makes it writable first
    published.write_bytes(original.replace(b"abc", b"abd"))  # tampered after publication
    assert runner.verify(run_dir, jobs=1, notebook_dir=notebooks, steps=steps) == 1
    out = capsys.readouterr().out
    assert "ALTERED   results/01_figure.json (published file, edited" in out
    published.write_bytes(original)
    figure = run_dir / "figures/01_figure/bars.svg"
    figure.chmod(0o644)
    figure.write_text(figure.read_text().replace("</svg>", "<!-- edited --></svg>"))
    manifest = manifest_of(run_dir)
    manifest["outputs"]["figures/01_figure/bars.svg"] = runner.sha256_file(figure)
    (run_dir / "manifest.json").chmod(0o644)
    (run_dir / "manifest.json").write_text(json.dumps(manifest))
    assert runner.verify(run_dir, jobs=1, notebook_dir=notebooks, steps=steps) == 1
    out = capsys.readouterr().out
    assert "ALTERED   01_figure: figures/01_figure/bars.svg" in out
    assert "0 of 1 reports match on re-execution, 1 ALTERED" in out


@pytest.mark.slow
def test_verify_names_an_edited_index_and_a_file_the_run_did_not_publish(project, package, capsys):
    notebooks, steps, run_dir = _figure_run(project)
    assert "index.html" in manifest_of(run_dir)["outputs"]  # it states the audit's verdict
    index = run_dir / "index.html"
    index.chmod(0o644)
    index.write_text(index.read_text().replace("none recoverable", "all fine"))
    (run_dir / "tables").mkdir(exist_ok=True)
    (run_dir / "tables/extra.html").write_text("<script>alert(1)</script>")
    assert runner.verify(run_dir, jobs=1, notebook_dir=notebooks, steps=steps) == 1
    out = capsys.readouterr().out
    assert "ALTERED   index.html (published file, edited or removed after the run)" in out
    assert "EXTRA     tables/extra.html (not published by the run: added after it)" in out
    assert "1 of 1 reports match on re-execution; 2 published files edited, removed or added" in out


# A view whose table a reader sees changes, while no results file does.
CLAIMS = """
import importlib.util, os
from analysis.publish import claims_views  # what the runner counts as this notebook's code
spec = importlib.util.spec_from_file_location("views", os.environ["FIXTURE_VIEWS"])
views = importlib.util.module_from_spec(spec)
spec.loader.exec_module(views)  # the runner's copy of the package, which the test edits
date = getattr(views, "FIXTURE_DATE", "2009-10-30")
print(f"claim dated {date}")
if report_dir:
    target = Path(report_dir) / "tables" / "01_claims"
    target.mkdir(parents=True)
    (target / "claims.csv").write_text(f"claim,date\\nrecords,{date}\\n")
save("01_claims", {"claims": 1})
"""


@pytest.mark.slow
def test_verify_names_a_view_change_that_alters_a_table_but_no_result(
    project, package, capsys, monkeypatch
):
    notebooks = project / "notebooks"
    notebooks.mkdir()
    write_notebook(notebooks / "01_claims.ipynb", "report_dir = None", CLAIMS)
    views = package / "publish" / "claims_views.py"
    monkeypatch.setenv("FIXTURE_VIEWS", str(views))
    steps = (Step("01_claims"),)
    status, run_dir = run(project, steps)
    assert status == 0
    assert runner.verify(run_dir, jobs=1, notebook_dir=notebooks, steps=steps) == 0
    capsys.readouterr()
    views.write_text(views.read_text() + '\nFIXTURE_DATE = "2009-11-30"\n')
    assert runner.verify(run_dir, jobs=1, notebook_dir=notebooks, steps=steps) == 1
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if x.startswith("ALTERED   01_claims:"))
    assert "tables/01_claims/claims.csv" in line and "01_claims.html (text)" in line
    assert "results/" not in line
    assert line.endswith("code changed since the run: analysis/publish/claims_views.py")
    assert "the re-executed run is kept for comparison: " in out
    kept = Path(out.split("kept for comparison: ")[1].split()[0])
    assert "2009-11-30" in (kept / "tables/01_claims/claims.csv").read_text()


@pytest.mark.slow
def test_a_run_below_the_safe_threshold_is_not_published_unless_asked(project, package, capsys):
    notebooks = project / "notebooks"
    notebooks.mkdir()
    write_notebook(notebooks / "01_count.ipynb", "min_cell = 10\nreport_dir = None", "x = 1")
    steps = (Step("01_count"),)
    status, run_dir = run(project, steps, parameters={"01_count": {"min_cell": 2}})
    assert status == 0 and not (project / "reports/latest").exists()
    log = capsys.readouterr().err
    assert "are not safe to publish (01_count); --publish-below-threshold" in log
    index = (run_dir / "index.html").read_text()
    assert index.index("Not safe to publish: 1 report of this run") < index.index("Run ")
    _, again = run(project, steps, parameters={"01_count": {"min_cell": 2}}, force=True,
                   publish_below_threshold=True)  # fmt: skip
    assert (project / "reports/latest").resolve() == again


LAB = """
from analysis.data import paths
(paths.processed_dir() / "made.txt").write_text("written in the lab")  # not through the run
(paths.processed_dir() / "lab.txt").write_text("lab")
"""


@pytest.mark.slow
def test_a_table_changed_under_a_run_fails_its_readers_and_is_not_published(
    dag, monkeypatch, capsys
):
    """01_make writes made.txt; then, as a researcher's notebook in JupyterLab would, 03_lab
    overwrites it; 02_use, which reads it, fails naming the table, and latest does not move."""
    from fixture_dag import LAB_STEPS, LAB_TABLES

    from analysis import catalog

    monkeypatch.setattr(catalog, "TABLES", LAB_TABLES)
    write_notebook(dag / "notebooks/03_lab.ipynb", "report_dir = None", LAB)
    (dag / "notebooks/03_alone.ipynb").unlink()
    status, run_dir = run(dag, LAB_STEPS, jobs=1)
    assert status == 1 and not (dag / "reports/latest").exists()
    manifest = manifest_of(run_dir)
    use = manifest["notebooks"]["02_use"]
    assert use["status"] == "failed"
    assert use["error"].startswith("data/processed/made.txt (written by 01_make) changed during")
    assert "JupyterLab" in use["error"]
    log = capsys.readouterr().err
    assert "latest is not made: data/processed/made.txt (written by 01_make) changed" in log


def test_verify_names_a_processed_table_altered_after_the_run(project):
    table = project / "data/processed/us_tip.parquet"
    table.parent.mkdir(parents=True)
    table.write_bytes(b"written by the run")
    run_dir = project / "reports/2026-01-01T000000Z"
    run_dir.mkdir(parents=True)
    manifest = {"outputs": {}, "notebooks": {"02_x": {"processed_outputs": {
        "data/processed/us_tip.parquet": runner.sha256_file(table)}}}}  # fmt: skip
    assert runner._published_states(run_dir, manifest) == {"data/processed/us_tip.parquet": "match"}
    table.write_bytes(b"written by the run, then edited")
    assert runner._published_states(run_dir, manifest) == {
        "data/processed/us_tip.parquet": "ALTERED"
    }
    table.unlink()
    assert set(runner._published_states(run_dir, manifest).values()) == {"MISSING"}


def test_a_damaged_manifest_is_named_and_the_run_starts_afresh(project, capsys):
    run_dir = project / "reports" / "2026-01-01T000000Z"
    run_dir.mkdir(parents=True)
    (run_dir / "manifest.json").write_text('{"notebooks": ')  # cut short
    (project / "reports" / "latest").symlink_to(run_dir.name)
    with pytest.raises(RunError, match=r"manifest\.json is damaged or unreadable"):
        runner.load_manifest(run_dir)
    assert runner.previous_run(project / "reports") == (None, {})
    assert "running as if there were no earlier run" in capsys.readouterr().err


# Disks: full or read-only.


@contextmanager
def small_disk(folder: Path, size: str = "96k") -> Iterator[Path]:
    """A tmpfs of `size` mounted on `folder` (skips where the machine allows no mount)."""
    folder.mkdir(parents=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                             capture_output=True, text=True)  # fmt: skip
    if mounted.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


def complete_files(folder: Path) -> list[Path]:
    """Every JSON and notebook file under `folder`; each must parse (none cut short)."""
    found = [p for p in folder.rglob("*") if p.suffix in (".json", ".ipynb")]
    for path in found:
        json.loads(path.read_text(encoding="utf-8"))
    return found


@pytest.mark.slow
def test_a_full_disk_fails_the_run_naming_the_folder_and_keeps_nothing_half_written(dag, capsys):
    with small_disk(dag / "full") as root:
        try:
            status, run_dir = run(dag, reports_root=root)
        except OSError as exc:  # the run's own files did not fit either
            problem = paths.disk_problem(exc)
            assert problem and "no space is left on the disk" in problem and str(root) in problem
        else:
            assert status == 1
            errors = [e.get("error", "") for e in manifest_of(run_dir)["notebooks"].values()]
            assert any(f"cannot write in {root}" in e and "no space is left" in e for e in errors)
        assert not (root / "latest").exists()
        assert not list(root.glob(".partial-*"))
        complete_files(root)
        assert not list(root.rglob("*.part*"))


def test_a_read_only_reports_folder_stops_the_run_before_any_kernel(dag):
    with small_disk(dag / "ro") as root:
        subprocess.run(["mount", "-o", "remount,ro", str(root)], check=True)
        with pytest.raises(OSError) as raised:
            run(dag, reports_root=root)
    assert paths.disk_problem(raised.value).startswith(
        f"cannot write in {root}: the file system is read-only ("
    )


@pytest.mark.usefixtures("sigterm_handler")
def test_a_full_or_read_only_disk_is_one_line_on_the_command_line(tmp_path, monkeypatch, capsys):
    failed = OSError(errno.EROFS, "Read-only file system", str(tmp_path / "reports" / ".lock"))
    monkeypatch.setattr(cli, "_cmd_run", lambda args: (_ for _ in ()).throw(failed))
    assert cli.main(["run"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: cannot write in {tmp_path}: the file system is read-only (")
    assert err.endswith("MiB free there); nothing was published, earlier outputs are intact")
    assert "\n" not in err and "Traceback" not in err
    unnamed = OSError(errno.ENOSPC, "No space left on device")  # a write() names no file
    monkeypatch.setattr(cli, "_cmd_run", lambda args: (_ for _ in ()).throw(unnamed))
    assert cli.main(["run"]) == 1
    reports = paths.reports_dir()
    assert capsys.readouterr().err.startswith(
        f"error: cannot write in {reports}: no space is left on the disk ("
    )
    other = OSError(errno.EACCES, "Permission denied", str(tmp_path / "x"))
    monkeypatch.setattr(cli, "_cmd_run", lambda args: (_ for _ in ()).throw(other))
    with pytest.raises(PermissionError):  # not a disk problem: not dressed up as one
        cli.main(["run"])
