"""The runner on the fixture DAG of tiny notebooks (`fixture_dag`).

Tests marked `slow` start real kernels; each runs one scenario through several runs. Faults
(signals, tampering, full disks, bad input) are tested in test_faults.py.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import pytest
from fixture_dag import (
    FAIL_ENV,
    STEPS,
    manifest_of,
    results,
    run,
    statuses,
    write_notebook,
)

from analysis.run import runner
from analysis.run.runner import RunError, RunOptions
from analysis.run.steps import Step

pytestmark = pytest.mark.usefixtures("dag_catalog")  # the fixture DAG's tables

# Without kernels.


def test_dependents_follow_reads_and_writes():
    expected = {"01_make": set(), "02_use": {"01_make"}, "03_alone": set()}
    assert runner.dependencies(STEPS) == expected


def test_bad_options_are_refused_before_running(dag):
    with pytest.raises(RunError, match="no notebook named 09_x"):
        run(dag, only=["09_x"])
    with pytest.raises(RunError, match="01_make has no parameter colour"):
        run(dag, parameters={"01_make": {"colour": "red"}})
    with pytest.raises(RunError, match="no notebook declares a parameter 'colour'"):
        runner.resolve_parameters(runner.resolve_steps(dag / "notebooks", STEPS), {"colour": 1})
    plan = runner.resolve_steps(dag / "notebooks", STEPS)
    assert runner.resolve_parameters(plan, {"pause": 1, "01_make.value": 3}) == {
        "01_make": {"pause": 1, "value": 3},
        "03_alone": {"pause": 1},
    }
    with pytest.raises(RunError, match=r"steps read tables the catalog does not declare: \['x'\]"):
        run(dag, (*STEPS[:2], Step("03_alone", reads=("x",))))
    (dag / "notebooks/04_new.ipynb").write_text((dag / "notebooks/03_alone.ipynb").read_text())
    with pytest.raises(RunError, match=r"not declared in analysis/run/steps.py: \['04_new'\]"):
        run(dag)


def test_lock_stops_a_second_run(dag):
    with runner.ReportLock(dag / "reports"), pytest.raises(RunError, match="another run"):
        run(dag)


def test_country_options_of_the_command_line(tmp_path):
    from analysis.run import cli

    listing = tmp_path / "countries.txt"
    listing.write_text("ukr  # Ukraine\n\nMDA\n")
    assert cli._countries(["blr"], str(listing)) == ["BLR", "UKR", "MDA"]
    with pytest.raises(RunError, match="not ISO 3166-1 alpha-3 codes of a country: BY"):
        cli._countries(["BY"], None)
    with pytest.raises(RunError, match="cannot read country list"):
        cli._countries(None, str(tmp_path / "missing.txt"))


def test_slowest_ready_task_starts_first(dag):
    tasks = runner.expand(runner.resolve_steps(dag / "notebooks", STEPS), {})
    pending = runner.Run(RunOptions(), tasks, dag / "reports", None, {})
    assert pending.ready() == ["01_make", "03_alone"]  # no history: 01 heads a longer chain
    assert pending.priority == {"01_make": 2.0, "02_use": 1.0, "03_alone": 1.0}
    history = runner.Run(RunOptions(), tasks, dag / "reports", None, {})
    history.before = {
        "01_make": {"seconds": 1.0},
        "02_use": {"seconds": 3.0},
        "03_alone": {"last_seconds": 5.0},
    }
    assert history.priority == {"01_make": 4.0, "02_use": 3.0, "03_alone": 5.0}
    assert history.ready() == ["03_alone", "01_make"]


def test_fan_out_values_expand_to_one_task_each_and_default_to_the_notebook(dag):
    write_notebook(dag / "notebooks/04_profile.ipynb", 'iso3 = "BLR"\nreport_dir = None', "")
    plan = runner.resolve_steps(dag / "notebooks", (*STEPS, Step("04_profile", fan_out="iso3")))
    expanded = runner.expand(plan, {"iso3": ["UKR", "MDA", "UKR"]})
    assert {n: t.fixed for n, t in expanded.items() if n.startswith("04_")} == {
        "04_profile-UKR": {"iso3": "UKR"},
        "04_profile-MDA": {"iso3": "MDA"},
    }
    assert [n for n in runner.expand(plan, {}) if n.startswith("04_")] == ["04_profile-BLR"]


def test_progress_counts_tasks_and_estimates_the_time_left(capsys):
    progress = runner.Progress(4, jobs=2)
    progress.done("01_make", runner.StepResult("unchanged", reused_from="2026-01-01T000000Z"))
    progress.done("02_use", runner.StepResult("ok", 60.0))
    progress.done("40_profile-DEU", runner.StepResult("ok", 120.0, peak_rss_bytes=310 * 2**20))
    lines = [line.split(" ", 1)[1] for line in capsys.readouterr().err.splitlines()]
    assert lines == [
        "[1/4] 01_make: unchanged, carried over from 2026-01-01T000000Z",
        "[2/4] 02_use: ok in 60.0 s · 60 s left",  # 60 s x 2 left / 2 workers
        "[3/4] 40_profile-DEU: ok in 120.0 s, 310 MiB · 45 s left",  # mean 90 s x 1 left / 2
    ]


def test_a_profile_once_published_stays_until_dropped(dag):
    write_notebook(dag / "notebooks/04_profile.ipynb", 'iso3 = "BLR"\nreport_dir = None', "")
    plan = runner.resolve_steps(dag / "notebooks", (*STEPS, Step("04_profile", fan_out="iso3")))
    before = {f"04_profile-{c}": {"notebook": "04_profile", "fan_out": {"iso3": c}}
              for c in ("BLR", "MDA")}  # fmt: skip
    assert runner.kept_fan_out(plan, {}, {}, {}) == {"iso3": ["BLR"]}  # first run: the default
    assert runner.kept_fan_out(plan, before, {}, {}) == {"iso3": ["BLR", "MDA"]}  # plain run
    asked = {"iso3": ["UKR", "MDA"]}
    assert runner.kept_fan_out(plan, before, asked, {}) == {"iso3": ["UKR", "MDA", "BLR"]}
    assert runner.kept_fan_out(plan, before, {}, {"iso3": ["MDA"]}) == {"iso3": ["BLR"]}
    assert runner.kept_fan_out(plan, before, {}, {"iso3": ["BLR", "MDA"]}) == {"iso3": []}
    # After every profile was dropped, the default does not come back by itself.
    assert runner.kept_fan_out(plan, {}, {}, {}, {"iso3": []}) == {"iso3": []}
    assert runner.kept_fan_out(plan, {}, {"iso3": ["UKR"]}, {}, {"iso3": []}) == {"iso3": ["UKR"]}


def test_a_failed_audit_writes_the_run_but_leaves_latest(tmp_path):
    old, new = tmp_path / "old", tmp_path / ".partial-new"
    old.mkdir()
    new.mkdir()
    (tmp_path / "latest").symlink_to("old")
    runner.publish(new, tmp_path / "new", latest=False)
    assert (tmp_path / "new").is_dir() and not new.exists()
    assert (tmp_path / "latest").resolve() == old.resolve()
    runner.publish(tmp_path / "new", tmp_path / "newer")
    assert (tmp_path / "latest").resolve() == (tmp_path / "newer").resolve()


def test_a_report_without_records_fails_the_audit_of_its_run(dag, capsys):
    tasks = runner.expand(runner.resolve_steps(dag / "notebooks", STEPS), {})
    pending = runner.Run(RunOptions(), tasks, dag / "reports", None, {})
    (pending.partial / "results").mkdir(parents=True)
    (pending.partial / "results/01_make.json").write_text("{}")  # and no 01_make.tables.json
    found = pending.audit(dag / "reports" / pending.run_id)
    assert (found["passed"], found["status"]) == (False, 2)
    assert "no disclosure records (made by a version before the audit)" in found["error"]
    assert found["verdict"].startswith("Disclosure audit could not run: ")
    assert pending.run_id in found["error"] and ".partial" not in found["error"]
    assert "Disclosure audit could not run" in capsys.readouterr().err


def test_a_report_made_before_the_audit_is_not_fresh():
    files = ["10_x.ipynb", "results/10_x.json"]
    assert not runner.has_records({"files": files}, "10_x")
    assert runner.has_records({"files": [*files, "results/10_x.tables.json"]}, "10_x")
    assert runner.has_records({"files": ["02_clean.html"]}, "02_clean")  # it publishes nothing


# The code a notebook's key counts.


def test_code_closure_of_the_real_notebooks():
    notebooks = Path(__file__).resolve().parents[1] / "notebooks"
    hidden = runner.code_hashes(notebooks / "60_hidden_population.ipynb")
    assert "analysis/mse.py" in hidden and "analysis/profiles.py" not in hidden
    profile = runner.code_hashes(notebooks / "40_country_profile.ipynb")
    assert {"analysis/profiles.py", "analysis/publish/maps.py"} <= set(profile)
    for counted in (hidden, profile):  # the same for every notebook
        assert {"requirements.lock", "analysis/data/registry.toml"} <= set(counted)
        assert "analysis/run/templates/thb/index.html.j2" in counted
        assert "analysis/run/runner.py" not in counted


MODULES = {
    "__init__.py": "",
    "alpha.py": "from analysis import beta\n",
    "beta.py": "def later():\n    from .sub import gamma\n",  # inside a function, relative
    "sub/__init__.py": "from .. import delta\n",
    "sub/gamma.py": "import os\nfrom analysis.data.errors import DataError\n",
    "delta.py": "",
    "lone.py": "import alpha\n",  # a top-level name, not the package's
    "data/__init__.py": "",
    "data/errors.py": "",
    "data/table.csv": "a,b\n",
}


@pytest.fixture
def toy(project, monkeypatch) -> Path:
    """A toy `analysis` package that the runner hashes, and a project with a lock file."""
    root = project / "toy" / "analysis"
    for name, source in MODULES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(source)
    (project / "requirements.lock").write_text("pandas==3.0\n")
    monkeypatch.setattr(runner, "PACKAGE_ROOT", root)
    return root


def code_of(project: Path, source: str) -> dict[str, str]:
    notebook = project / "notebook.ipynb"
    write_notebook(notebook, "report_dir = None", source)
    return runner.code_hashes(notebook)


def test_a_notebook_counts_the_modules_it_imports_and_theirs(toy):
    project = toy.parents[1]
    shared = {"analysis/data/table.csv", "requirements.lock"}
    imports_alpha = code_of(project, "%matplotlib inline\nimport analysis.alpha as a")
    assert set(imports_alpha) == shared | {
        "analysis/__init__.py",
        "analysis/alpha.py",
        "analysis/beta.py",
        "analysis/sub/__init__.py",
        "analysis/sub/gamma.py",
        "analysis/delta.py",
        "analysis/data/__init__.py",
        "analysis/data/errors.py",
    }
    imports_lone = code_of(project, "from analysis.lone import something")
    assert set(imports_lone) == shared | {"analysis/__init__.py", "analysis/lone.py"}
    assert set(code_of(project, "import pandas")) == shared
    every_module = {f"analysis/{name}" for name in MODULES if name.endswith(".py")}
    assert set(code_of(project, "this does not parse")) == shared | every_module


def test_editing_a_module_changes_the_key_of_its_importers_only(toy):
    project = toy.parents[1]
    sources = ("import analysis.alpha", "import analysis.lone")

    def changed_since(before: dict) -> dict[str, list[str]]:
        now = {s: code_of(project, s) for s in sources}
        return {s: [f for f in now[s] if now[s][f] != before[s][f]] for s in sources}

    before = {s: code_of(project, s) for s in sources}
    with open(toy / "sub/gamma.py", "a") as module:
        module.write("# edited\n")
    assert changed_since(before) == {sources[0]: ["analysis/sub/gamma.py"], sources[1]: []}
    before = {s: code_of(project, s) for s in sources}
    (toy / "data/table.csv").write_text("a,b\n1,2\n")
    (project / "requirements.lock").write_text("pandas==3.1\n")
    both = ["analysis/data/table.csv", "requirements.lock"]
    assert changed_since(before) == {sources[0]: both, sources[1]: both}


# Real runs (each starts kernels).


@pytest.mark.slow
def test_full_run_then_nothing_changed_then_changes(dag, package, capsys):
    status, first = run(dag)
    assert status == 0
    assert statuses(first) == {"01_make": "ok", "02_use": "ok", "03_alone": "ok"}
    assert (dag / "reports/latest").resolve() == first
    manifest = manifest_of(first)
    for rel in (
        "01_make.html",
        "02_use.ipynb",
        "results/02_use.json",
        "results/02_use.tables.json",
    ):
        assert rel in manifest["outputs"]
    assert results(first, "01_make") == {"made": "s1-1"}
    # The kernel got the step and its declared reads (the guard's environment).
    assert results(first, "02_use") == {"length": 4, "step": "02_use", "reads": ["made"]}
    assert "report_dir" not in manifest["notebooks"]["01_make"]["parameters"]
    assert manifest["notebooks"]["01_make"]["peak_rss_bytes"] > 10 * 2**20
    index = (first / "index.html").read_text()
    assert "01_make.html" in index and manifest["git"] is not None
    page = (first / "01_make.html").read_text()  # titled, with the header line of its run
    assert "<title>01_make</title>" in page and f"Run {first.name}" in page
    assert 'href="index.html"' in page
    # The audit: 02_use's one hidden cell, in no sum and in no other table, may be 1 to 9.
    assert manifest["audit"]["passed"] and manifest["audit"]["hidden_cells"] == 1
    assert (
        "Disclosure audit: 1 table in 2 reports, 1 hidden cell, none recoverable: no hidden count "
        "can be worked out from everything the run publishes."
    ) in index
    # Each notebook's key counts the package modules it imports, directly or not.
    code = {name: set(entry["code"]) for name, entry in manifest["notebooks"].items()}
    assert "analysis/data/paths.py" in code["01_make"] & code["02_use"]
    assert "analysis/data/errors.py" in code["02_use"] - code["01_make"]  # through guard.py
    assert not [f for f in code["03_alone"] if f.endswith(".py")]

    # Nothing changed: no new run folder, and fast.
    start = time.perf_counter()
    status, again = run(dag)
    assert (status, again) == (0, first)
    assert time.perf_counter() - start < 5
    runs = [p for p in (dag / "reports").iterdir() if p.is_dir() and not p.is_symlink()]
    assert [p.name for p in runs if p.name != ".store"] == [first.name]

    # --dry-run says what a run would do and why, and does nothing.
    before = sorted(str(p) for p in (dag / "reports").rglob("*"))
    capsys.readouterr()
    status, same = run(dag, parameters={"01_make": {"value": 2}}, dry_run=True)
    assert (status, same) == (0, first)
    assert capsys.readouterr().out.splitlines() == [
        "01_make: would run (parameters changed: value)",
        f"03_alone: unchanged: would be carried over from {first.name}",
        f"02_use: unchanged: would be carried over from {first.name}, unless 01_make changes its "
        "tables",
        "dry run: 1 of 3 notebooks would run; nothing was executed or written",
    ]
    assert sorted(str(p) for p in (dag / "reports").rglob("*")) == before

    # A parameter changes: 01 re-runs, its output changes, so 02 re-runs; 03 is carried over.
    status, second = run(dag, parameters={"01_make": {"value": 2}})
    assert status == 0 and second != first
    assert statuses(second) == {"01_make": "ok", "02_use": "ok", "03_alone": "unchanged"}
    why = {n: e.get("why") for n, e in manifest_of(second)["notebooks"].items()}
    assert why == {
        "01_make": "parameters changed: value",
        "02_use": "inputs changed: data/processed/made.txt",
        "03_alone": None,
    }
    assert (second / "03_alone.html").read_bytes() == (first / "03_alone.html").read_bytes()
    assert (dag / "data/processed/made.txt").read_text() == "s1-2"

    # An input of 03 and the source of 01 change: those two re-run. 01 writes what it wrote
    # before, so 02 does not.
    (dag / "data/processed/note.txt").write_text("n2")
    nb = dag / "notebooks/01_make.ipynb"
    nb.write_text(nb.read_text().replace("# 01_make", "# 01_make, edited"))
    _, third = run(dag, parameters={"01_make": {"value": 2}})
    assert statuses(third) == {"01_make": "ok", "02_use": "unchanged", "03_alone": "ok"}
    why = {n: e.get("why") for n, e in manifest_of(third)["notebooks"].items()}
    assert why["01_make"] == "the notebook changed"
    assert why["03_alone"] == "inputs changed: data/processed/note.txt"
    # The unchanged 02_use brought its table records along, and the audit read them.
    records = "results/02_use.tables.json"
    assert (third / records).read_bytes() == (second / records).read_bytes()
    assert records in manifest_of(third)["notebooks"]["02_use"]["files"]
    assert manifest_of(third)["audit"]["hidden_cells"] == 1

    # A package module changes: only the notebooks that import it (02 through guard.py).
    errors = package / "data/errors.py"
    errors.write_text(errors.read_text() + "# edited\n")
    _, fourth = run(dag, parameters={"01_make": {"value": 2}})
    assert statuses(fourth) == {"01_make": "unchanged", "02_use": "ok", "03_alone": "unchanged"}
    code_before = manifest_of(third)["notebooks"]["02_use"]["code"]
    code_after = manifest_of(fourth)["notebooks"]["02_use"]["code"]
    assert [f for f in code_after if code_after[f] != code_before[f]] == ["analysis/data/errors.py"]
    assert manifest_of(fourth)["notebooks"]["02_use"]["why"] == (
        "code changed: analysis/data/errors.py"
    )

    # --force re-runs everything.
    _, fifth = run(dag, parameters={"01_make": {"value": 2}}, force=True)
    assert set(statuses(fifth).values()) == {"ok"}


@pytest.mark.slow
def test_a_failure_blocks_dependents_stops_the_run_and_is_retried(dag, monkeypatch):
    monkeypatch.setenv(FAIL_ENV, "01_make")
    status, run_dir = run(dag, jobs=1)
    assert status == 1
    assert statuses(run_dir) == {"01_make": "failed", "02_use": "blocked", "03_alone": "not run"}
    manifest = manifest_of(run_dir)
    assert "ValueError: asked to fail" in manifest["notebooks"]["01_make"]["error"]
    assert manifest["notebooks"]["02_use"]["blocked_by"] == ["01_make"]
    assert "asked to fail" in (run_dir / "01_make.html").read_text()  # rendered with its error
    index = (run_dir / "index.html").read_text()
    assert "failed" in index and "needs 01_make" in index

    # --keep-going finishes the others; the failed notebook runs again though its key is the
    # same.
    status, run_dir = run(dag, jobs=1, keep_going=True)
    assert status == 1
    assert statuses(run_dir) == {"01_make": "failed", "02_use": "blocked", "03_alone": "ok"}

    assert not (dag / "reports/latest").exists()  # latest only points at a complete run

    monkeypatch.delenv(FAIL_ENV)
    status, run_dir = run(dag)
    assert status == 0
    # 03_alone finished in the failed run: taken from the store, not executed again.
    assert statuses(run_dir) == {"01_make": "ok", "02_use": "ok", "03_alone": "unchanged"}
    assert (dag / "reports/latest").resolve() == run_dir


@pytest.mark.slow
def test_any_earlier_run_s_reports_are_reused_from_the_store(dag):
    status, first = run(dag)
    assert status == 0
    made = results(first, "02_use")
    shutil.rmtree(first)  # the run folder and latest are lost; the store keeps their files
    (dag / "reports/latest").unlink()
    status, again = run(dag)
    assert status == 0
    assert set(statuses(again).values()) == {"unchanged"}
    entry = manifest_of(again)["notebooks"]["02_use"]
    assert entry["reused_from"] == (
        f"{first.name} (a run that is not a folder of reports/: its files were kept)"
    )
    assert results(again, "02_use") == made
    # An exploration, then the defaults again: every report of the plain run comes from the
    # store, yet latest held the exploration's, so the run is written and becomes latest.
    status, explored = run(dag, parameters={"03_alone": {"pause": 0.01}})
    assert status == 0 and manifest_of(explored)["notebooks"]["03_alone"]["parameters"]
    status, plain = run(dag)
    assert status == 0 and plain != explored
    assert set(statuses(plain).values()) == {"unchanged"}
    assert manifest_of(plain)["notebooks"]["03_alone"]["parameters"] == {}
    assert (dag / "reports/latest").resolve() == plain


@pytest.mark.slow
def test_a_published_file_edited_in_place_is_never_carried_over_or_restored(dag):
    import stat

    status, first = run(dag)
    assert status == 0
    page = first / "03_alone.html"
    assert stat.S_IMODE(page.stat().st_mode) & 0o222 == 0  # read-only for its owner too
    assert page.stat().st_nlink >= 2  # shared with the store
    with page.open("r+b") as edit:  # in place, as root may (the inode the store shares)
        edit.seek(0)
        edit.write(b"<!-- edited -->")
    status, again = run(dag)
    assert status == 0
    assert statuses(again)["03_alone"] == "ok"  # executed again: neither carried nor restored
    assert manifest_of(again)["notebooks"]["03_alone"]["why"] == (
        f"its published files were edited after run {first.name}"
    )
    assert b"<!-- edited -->" not in (again / "03_alone.html").read_bytes()
    assert {s for n, s in statuses(again).items() if n != "03_alone"} == {"unchanged"}


@pytest.mark.slow
def test_a_report_s_warnings_reach_the_log_the_index_and_its_findings(dag, capsys):
    warning = "Most rows of <script>alert(1)</script> were quarantined."
    body = f"save('03_alone', {{'warnings': [{warning!r}]}})"
    write_notebook(dag / "notebooks/03_alone.ipynb", "pause = 0\nreport_dir = None", body)
    status, first = run(dag)
    assert status == 0
    log = capsys.readouterr().err
    assert f"03_alone: ok with warnings ({warning}) in" in log
    assert "3 executed, 0 unchanged, 1 with warnings, " in log
    entry = manifest_of(first)["notebooks"]["03_alone"]
    assert entry["status"] == "ok" and entry["warnings"] == [warning]
    escaped = "Most rows of &lt;script&gt;alert(1)&lt;/script&gt; were quarantined."
    index = (first / "index.html").read_text()
    assert "ok with warnings</td>" in index and escaped in index and "<script>alert" not in index
    page = (first / "03_alone.html").read_text()
    box = page[page.index('class="thb-findings"') :]
    assert f"<b>Warning.</b> {escaped}" in box[: box.index("</section>")]
    assert "<script>alert" not in page
    (dag / "data/processed/note.txt").write_text("n2")  # 03_alone runs again, the rest not
    status, again = run(dag)
    assert status == 0 and manifest_of(again)["notebooks"]["03_alone"]["warnings"] == [warning]
    assert manifest_of(again)["notebooks"]["01_make"]["status"] == "unchanged"
    status, third = run(dag, only=["01_make"], force=True)
    carried = manifest_of(third)["notebooks"]["03_alone"]
    assert carried["status"] == "unchanged" and carried["warnings"] == [warning]
    assert f"03_alone: unchanged with warnings ({warning}), carried over" in capsys.readouterr().err


@pytest.mark.slow
def test_tables_that_leak_across_reports_fail_the_run_and_latest_stays(dag):
    status, first = run(dag)
    assert status == 0 and manifest_of(first)["audit"]["passed"]
    # 01_make now publishes the total by gender: with 02_use's table (carried over) it pins
    # a hidden cell. The run is written, fails, and latest stays on the first run.
    status, leaked = run(dag, parameters={"01_make": {"publish_total": True}})
    assert status == 1 and leaked != first and (leaked / "index.html").is_file()
    assert (dag / "reports/latest").resolve() == first
    assert statuses(leaked) == {"01_make": "ok", "02_use": "unchanged", "03_alone": "unchanged"}
    found = manifest_of(leaked)["audit"]
    assert found["passed"] is False
    exposed = [(c["report"], c["table"], c["key"]) for c in found["exposed"]]
    assert exposed == [("02_use", "By gender and age", {"gender": "female", "age": "older"})]
    index = (leaked / "index.html").read_text()
    section = index[index.index('<div class="audit-failed">') :].split("</div>")[0]
    assert "Disclosure audit failed" in section
    assert "02_use, table &#39;By gender and age&#39;, cell {gender: female, age: older}" in section
    assert "pinned to one value" in section and not re.search(r"(?<![\d.])3(?![\d.])", section)
    # Back to the parameters of the latest run: nothing to do, latest holds.
    assert run(dag) == (0, first)


PEEK = """
from analysis import catalog
catalog.read("victims")
"""


@pytest.mark.slow
def test_a_notebook_that_reads_an_undeclared_table_fails_naming_step_and_table(dag):
    write_notebook(dag / "notebooks/04_peek.ipynb", "report_dir = None", PEEK)
    steps = (*STEPS, Step("04_peek", reads=("seed",)))
    status, run_dir = run(dag, steps, only=["04_peek"])
    assert status == 1
    assert statuses(run_dir)["04_peek"] == "failed"
    error = manifest_of(run_dir)["notebooks"]["04_peek"]["error"]
    assert "UndeclaredRead: step 04_peek reads table 'victims' but does not declare it" in error


PROFILE = 'save(f"04_profile-{iso3}", {"iso3": iso3})'


@pytest.mark.slow
def test_fan_out_renders_one_report_per_value(dag):
    write_notebook(dag / "notebooks/04_profile.ipynb", 'iso3 = "BLR"\nreport_dir = None', PROFILE)
    steps = (*STEPS, Step("04_profile", fan_out="iso3"))
    status, first = run(dag, steps)  # a plain first run: the notebook's default profile
    assert status == 0 and statuses(first)["04_profile-BLR"] == "ok"
    options = {"only": ["04_profile"], "fan_out": {"iso3": ["UKR", "MDA"]}}
    status, run_dir = run(dag, steps, **options)
    assert status == 0 and (dag / "reports/latest").resolve() == run_dir
    profiles = {n: s for n, s in statuses(run_dir).items() if n.startswith("04_")}
    assert profiles == {"04_profile-UKR": "ok", "04_profile-MDA": "ok",
                        "04_profile-BLR": "unchanged"}  # kept: published once  # fmt: skip
    for iso3 in ("UKR", "MDA"):
        assert (run_dir / f"04_profile-{iso3}.html").is_file()
        assert results(run_dir, f"04_profile-{iso3}") == {"iso3": iso3}
    assert "04_profile-UKR.html" in (run_dir / "index.html").read_text()
    # The same fan-out again, or a plain run: nothing changed, nothing to do.
    assert run(dag, steps, **options) == (0, run_dir)
    assert run(dag, steps) == (0, run_dir)
    status, dropped = run(dag, steps, drop={"iso3": ["MDA"]})
    assert status == 0 and (dag / "reports/latest").resolve() == dropped
    assert {n for n in statuses(dropped) if n.startswith("04_")} == {
        "04_profile-BLR",
        "04_profile-UKR",
    }
    # The default profile dropped with the others stays dropped in the next plain run.
    status, none = run(dag, steps, drop={"iso3": ["BLR", "UKR"]})
    assert status == 0 and manifest_of(none)["fan_out"] == {"iso3": []}
    assert run(dag, steps) == (0, none)


KEPT = """
import os
assert "earlier" not in globals(), "a name from the previous profile is still defined"
earlier = iso3
if iso3 == "MDA":
    raise ValueError("asked to fail")
save(f"04_profile-{iso3}", {"iso3": iso3, "kernel": os.getpid()})
"""


@pytest.mark.slow
def test_the_instances_of_a_fan_out_share_a_cleared_kernel(dag):
    write_notebook(dag / "notebooks/04_profile.ipynb", 'iso3 = "BLR"\nreport_dir = None', KEPT)
    steps = (*STEPS, Step("04_profile", fan_out="iso3"))
    countries = ["UKR", "MDA", "NGA", "DEU"]
    status, run_dir = run(dag, steps, jobs=1, keep_going=True, only=["04_profile"],
                          fan_out={"iso3": countries})  # fmt: skip
    assert status == 1  # MDA failed; the others ran after it in the same kernel
    found = statuses(run_dir)
    assert [found[f"04_profile-{c}"] for c in countries] == ["ok", "failed", "ok", "ok"]
    kernels = {results(run_dir, f"04_profile-{c}")["kernel"] for c in ("UKR", "NGA", "DEU")}
    assert len(kernels) == 1  # one kernel, cleared after each profile
    error = manifest_of(run_dir)["notebooks"]["04_profile-MDA"]["error"]
    assert error == "cell 4: ValueError: asked to fail"  # counted as in a fresh kernel
    executed = json.loads((run_dir / "04_profile-DEU.ipynb").read_text())
    counts = [c["execution_count"] for c in executed["cells"] if c["cell_type"] == "code"]
    assert counts == [1, 2, 3, 4]
