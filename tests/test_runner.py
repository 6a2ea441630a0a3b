"""The runner on a small fixture DAG of tiny notebooks (each starts a real kernel)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nbformat
import pytest

from analysis import catalog
from analysis.catalog import Table
from analysis.run import runner
from analysis.run.runner import RunError, RunOptions
from analysis.run.steps import Step

STEPS = (
    Step("01_make", reads=("seed",)),
    Step("02_use", reads=("made",)),
    Step("03_alone"),
)
TABLES = {  # the fixture DAG's catalog: seed.txt comes from outside, 01_make writes made.txt
    "seed": Table("seed", "seed.txt", "outside"),
    "made": Table("made", "made.txt", "01_make"),
}

MAKE = """
from analysis.data import paths
from analysis.publish.report import Report
seed = (paths.processed_dir() / "seed.txt").read_text().strip()
if fail:
    raise ValueError("asked to fail")
time.sleep(pause)
(paths.processed_dir() / "made.txt").write_text(f"{seed}-{value}")
report = Report("01_make", report_dir)
report.record("made", f"{seed}-{value}")
report.save()
"""

USE = """
import matplotlib.pyplot as plt
from analysis.data import paths
from analysis.publish.report import Report
made = (paths.processed_dir() / "made.txt").read_text()
fig, ax = plt.subplots(figsize=(3, 2))
ax.bar(["a", "b"], [len(made), 3])
ax.set_title(made)
report = Report("02_use", report_dir)
report.figure(fig, "bars")
report.record("length", len(made))
report.save()
"""


def write_notebook(path: Path, parameters: str, body: str) -> None:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(parameters)
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [
        nbformat.v4.new_markdown_cell(f"# {path.stem}"),
        cell,
        nbformat.v4.new_code_cell(body),
    ]
    nb.metadata["kernelspec"] = {"name": "thb-analysis", "display_name": "P", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nbformat.write(nb, path)


@pytest.fixture
def package(monkeypatch):
    """A stand-in for the analysis package's hash, which tests can change."""
    state = {"hash": "package-v1"}
    monkeypatch.setattr(runner, "package_hash", lambda: state["hash"])
    return state


@pytest.fixture(autouse=True)
def tables(monkeypatch):
    monkeypatch.setattr(catalog, "TABLES", TABLES)


@pytest.fixture
def dag(project, package):
    notebooks = project / "notebooks"
    notebooks.mkdir()
    write_notebook(
        notebooks / "01_make.ipynb",
        "value = 1\nfail = False\npause = 0\nreport_dir = None\nimport time",
        MAKE,
    )
    write_notebook(notebooks / "02_use.ipynb", "report_dir = None", USE)
    alone = "fail = False\nreport_dir = None"
    write_notebook(notebooks / "03_alone.ipynb", alone, "assert not fail")
    (project / "data/processed").mkdir(parents=True)
    (project / "data/processed/seed.txt").write_text("s1")
    return project


def run(dag: Path, **options) -> tuple[int, Path]:
    options.setdefault("jobs", 2)
    return runner.run(RunOptions(**options), dag / "notebooks", STEPS)


def statuses(run_dir: Path) -> dict[str, str]:
    manifest = json.loads((run_dir / "manifest.json").read_text())
    return {name: entry["status"] for name, entry in manifest["notebooks"].items()}


def test_dependents_follow_reads_and_writes():
    expected = {"01_make": set(), "02_use": {"01_make"}, "03_alone": set()}
    assert runner.dependencies(STEPS) == expected


def test_full_run_then_nothing_changed_then_changes(dag, package):
    status, first = run(dag)
    assert status == 0
    assert statuses(first) == {"01_make": "ok", "02_use": "ok", "03_alone": "ok"}
    assert (dag / "reports/latest").resolve() == first
    manifest = json.loads((first / "manifest.json").read_text())
    for rel in ("01_make.html", "02_use.ipynb", "results/02_use.json", "figures/02_use/bars.png"):
        assert rel in manifest["outputs"]
    assert json.loads((first / "results/01_make.json").read_text())["results"] == {"made": "s1-1"}
    html = (first / "02_use.html").read_text()
    assert "data:image/png;base64" in html
    assert 'src="http' not in html  # self-contained: no scripts or images from the web
    assert "report_dir" not in manifest["notebooks"]["01_make"]["parameters"]
    assert manifest["notebooks"]["01_make"]["peak_rss_bytes"] > 10 * 2**20
    index = (first / "index.html").read_text()
    assert "01_make.html" in index and manifest["git"] is not None

    # Nothing changed: no new run folder, and fast.
    start = time.perf_counter()
    status, again = run(dag)
    assert (status, again) == (0, first)
    assert time.perf_counter() - start < 5
    assert len([p for p in (dag / "reports").iterdir() if p.is_dir() and not p.is_symlink()]) == 1

    # A parameter changes: 01 re-runs, its output changes, so 02 re-runs; 03 is carried over.
    status, second = run(dag, parameters={"01_make": {"value": 2}})
    assert status == 0 and second != first
    assert statuses(second) == {"01_make": "ok", "02_use": "ok", "03_alone": "unchanged"}
    assert (second / "03_alone.html").read_bytes() == (first / "03_alone.html").read_bytes()
    assert (dag / "data/processed/made.txt").read_text() == "s1-2"

    # An input changes: 01 and 02 again.
    (dag / "data/processed/seed.txt").write_text("s2")
    _, third = run(dag, parameters={"01_make": {"value": 2}})
    assert statuses(third) == {"01_make": "ok", "02_use": "ok", "03_alone": "unchanged"}

    # The source of one notebook changes: only that one.
    nb = dag / "notebooks/03_alone.ipynb"
    nb.write_text(nb.read_text().replace("# 03_alone", "# 03_alone, edited"))
    _, fourth = run(dag, parameters={"01_make": {"value": 2}})
    assert statuses(fourth) == {"01_make": "unchanged", "02_use": "unchanged", "03_alone": "ok"}

    # The analysis package changes: everything re-runs.
    package["hash"] = "package-v2"
    _, fifth = run(dag, parameters={"01_make": {"value": 2}})
    assert set(statuses(fifth).values()) == {"ok"}

    # --force re-runs everything.
    _, sixth = run(dag, parameters={"01_make": {"value": 2}}, force=True)
    assert set(statuses(sixth).values()) == {"ok"}


def test_failure_skips_dependents_and_stops_without_keep_going(dag):
    status, run_dir = run(dag, jobs=1, parameters={"01_make": {"fail": True}})
    assert status == 1
    assert statuses(run_dir) == {"01_make": "failed", "02_use": "blocked", "03_alone": "not run"}
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert "ValueError: asked to fail" in manifest["notebooks"]["01_make"]["error"]
    assert manifest["notebooks"]["02_use"]["blocked_by"] == ["01_make"]
    assert "asked to fail" in (run_dir / "01_make.html").read_text()  # rendered with its error
    index = (run_dir / "index.html").read_text()
    assert "failed" in index and "needs 01_make" in index


def test_keep_going_finishes_the_others(dag):
    status, run_dir = run(dag, jobs=1, keep_going=True, parameters={"01_make": {"fail": True}})
    assert status == 1
    assert statuses(run_dir) == {"01_make": "failed", "02_use": "blocked", "03_alone": "ok"}


def test_a_failed_notebook_is_retried_next_time(dag):
    run(dag, parameters={"03_alone": {"fail": True}}, keep_going=True)
    status, run_dir = run(dag)
    assert status == 0
    assert statuses(run_dir)["03_alone"] == "ok"


def test_bad_options_are_refused_before_running(dag):
    with pytest.raises(RunError, match="no notebook named 09_x"):
        run(dag, only=["09_x"])
    with pytest.raises(RunError, match="01_make has no parameter colour"):
        run(dag, parameters={"01_make": {"colour": "red"}})
    with pytest.raises(RunError, match="no notebook declares a parameter 'colour'"):
        runner.resolve_parameters(runner.resolve_steps(dag / "notebooks", STEPS), {"colour": 1})
    plan = runner.resolve_steps(dag / "notebooks", STEPS)
    assert runner.resolve_parameters(plan, {"fail": True, "01_make.value": 3}) == {
        "01_make": {"fail": True, "value": 3},
        "03_alone": {"fail": True},
    }
    (dag / "notebooks/04_new.ipynb").write_text((dag / "notebooks/03_alone.ipynb").read_text())
    with pytest.raises(RunError, match=r"not declared in analysis/steps.py: \['04_new'\]"):
        run(dag)


def test_lock_stops_a_second_run(dag):
    with runner.ReportLock(dag / "reports"), pytest.raises(RunError, match="another run"):
        run(dag)


KILL_SCRIPT = """
import sys
from pathlib import Path
from analysis import catalog
from analysis.catalog import Table
from analysis.run import runner
sys.path.insert(0, {tests!r})
from test_runner import STEPS
runner.run(runner.RunOptions(jobs=1, parameters={{"01_make": {{"pause": 60}}}}),
           Path({notebooks!r}), STEPS)
"""


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
    for line in proc.stderr:
        if "01_make: running" in line:
            break
    time.sleep(3)  # inside the notebook's pause
    import os

    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert (dag / "reports/latest").resolve() == first
    assert {p: p.read_bytes() for p in first.rglob("*") if p.is_file()} == before
    # The next run clears the partial folder the killed run left.
    status, _ = run(dag)
    assert status == 0
    assert not list((dag / "reports").glob(".partial-*"))


def test_verify_matches_a_fresh_run_and_catches_an_altered_figure(dag, capsys):
    _, run_dir = run(dag)
    assert runner.verify(run_dir, jobs=2, notebook_dir=dag / "notebooks", steps=STEPS) == 0
    out = capsys.readouterr().out
    assert "match     figures/02_use/bars.png" in out and "MISMATCH" not in out
    figure = run_dir / "figures/02_use/bars.svg"
    figure.write_text(figure.read_text().replace("</svg>", "<!-- edited --></svg>"))
    manifest = json.loads((run_dir / "manifest.json").read_text())
    manifest["outputs"]["figures/02_use/bars.svg"] = runner.sha256_file(figure)
    (run_dir / "manifest.json").write_text(json.dumps(manifest))
    assert runner.verify(run_dir, jobs=2, notebook_dir=dag / "notebooks", steps=STEPS) == 1
    assert "MISMATCH  figures/02_use/bars.svg" in capsys.readouterr().out


PROFILE = """
from analysis.publish.report import Report
report = Report(f"04_profile-{iso3}", report_dir)
report.record("iso3", iso3)
report.save()
"""


def test_fan_out_renders_one_report_per_value(dag):
    write_notebook(dag / "notebooks/04_profile.ipynb", 'iso3 = "BLR"\nreport_dir = None', PROFILE)
    steps = (*STEPS, Step("04_profile", fan_out="iso3"))
    options = RunOptions(jobs=2, only=["04_profile"], fan_out={"iso3": ["BLR", "UKR", "MDA"]})
    status, run_dir = runner.run(options, dag / "notebooks", steps)
    assert status == 0
    profiles = {n: s for n, s in statuses(run_dir).items() if n.startswith("04_")}
    assert profiles == {"04_profile-BLR": "ok", "04_profile-UKR": "ok", "04_profile-MDA": "ok"}
    for iso3 in ("BLR", "UKR", "MDA"):
        assert (run_dir / f"04_profile-{iso3}.html").is_file()
        recorded = json.loads((run_dir / f"results/04_profile-{iso3}.json").read_text())
        assert recorded["results"] == {"iso3": iso3}
    assert "04_profile-UKR.html" in (run_dir / "index.html").read_text()
    # The same fan-out again: nothing changed, nothing to do.
    assert runner.run(options, dag / "notebooks", steps) == (0, run_dir)
    # Without values, the notebook's default value: one profile, BLR.
    plan = runner.resolve_steps(dag / "notebooks", steps)
    assert [n for n in runner.expand(plan, {}) if n.startswith("04_")] == ["04_profile-BLR"]


def test_country_options_of_the_command_line(tmp_path):
    from analysis.run import cli

    listing = tmp_path / "countries.txt"
    listing.write_text("ukr  # Ukraine\n\nMDA\n")
    assert cli._countries(["blr"], str(listing)) == ["BLR", "UKR", "MDA"]
    with pytest.raises(RunError, match="not ISO 3166 alpha-3 codes: BY"):
        cli._countries(["BY"], None)
    with pytest.raises(RunError, match="cannot read country list"):
        cli._countries(None, str(tmp_path / "missing.txt"))


def test_slowest_ready_task_starts_first(dag):
    tasks = runner.expand(runner.resolve_steps(dag / "notebooks", STEPS), {})
    pending = runner.Run(RunOptions(), tasks, dag / "reports")
    assert pending.ready() == ["01_make", "03_alone"]  # no history: 01 heads a longer chain
    assert pending.priority == {"01_make": 2.0, "02_use": 1.0, "03_alone": 1.0}
    history = runner.Run(RunOptions(), tasks, dag / "reports")
    history.before = {
        "01_make": {"seconds": 1.0},
        "02_use": {"seconds": 3.0},
        "03_alone": {"last_seconds": 5.0},
    }
    assert history.priority == {"01_make": 4.0, "02_use": 3.0, "03_alone": 5.0}
    assert history.ready() == ["03_alone", "01_make"]
