"""A notebook saved from JupyterLab never slips into a scheduled run (`analysis.run.committed`):
a run refuses a notebook that differs from the commit, naming it and the parameters whose
defaults changed, unless asked; then its report's header says so."""

from __future__ import annotations

import json
import subprocess

import pytest
from fixture_dag import run

from analysis.run import committed
from analysis.run.runner import RunError

pytestmark = pytest.mark.usefixtures("dag_catalog")


def git(folder, *args):
    subprocess.run(["git", *args], cwd=folder, check=True, capture_output=True)


@pytest.fixture
def committed_dag(dag):
    git(dag, "init", "-q")
    git(dag, "add", "notebooks")
    git(dag, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "notebooks")
    return dag


def save_from_the_lab(path, old: str, new: str) -> None:
    """What JupyterLab's autosave leaves: a changed default, and outputs."""
    notebook = json.loads(path.read_text())
    cell = next(c for c in notebook["cells"] if "parameters" in c["metadata"].get("tags", []))
    assert old in cell["source"]
    cell["source"] = cell["source"].replace(old, new)
    cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "saved\n"}]
    cell["execution_count"] = 3
    path.write_text(json.dumps(notebook, indent=1))


def test_a_committed_notebook_is_not_a_change(committed_dag):
    notebooks = {p.stem: p for p in (committed_dag / "notebooks").glob("*.ipynb")}
    assert committed.changes(notebooks) == {}


def test_outputs_alone_are_not_a_change_but_a_default_is(committed_dag):
    path = committed_dag / "notebooks" / "01_make.ipynb"
    save_from_the_lab(path, "pause = 0", "pause = 0")
    assert committed.change(path) is None
    save_from_the_lab(path, "value = 1", "value = 2")
    assert committed.change(path) == committed.Change("01_make", ("value",))
    new = committed_dag / "notebooks" / "04_new.ipynb"
    new.write_text(path.read_text())
    assert committed.change(new).text() == "04_new (not committed)"


def test_outside_a_git_checkout_nothing_is_checked(dag):
    save_from_the_lab(dag / "notebooks" / "01_make.ipynb", "value = 1", "value = 2")
    assert committed.changes({"01_make": dag / "notebooks" / "01_make.ipynb"}) == {}


@pytest.mark.slow
def test_a_scheduled_run_refuses_a_notebook_saved_from_the_lab(committed_dag, capsys):
    save_from_the_lab(committed_dag / "notebooks" / "01_make.ipynb", "value = 1", "value = 2")
    with pytest.raises(RunError) as refused:
        run(committed_dag, only=["01_make"])
    message = str(refused.value)
    assert "\n" not in message
    assert "01_make (parameter defaults changed: value)" in message
    assert "--allow-modified" in message
    assert not (committed_dag / "reports").exists() or not any(
        (committed_dag / "reports").glob("20*")
    )
    status, run_dir = run(committed_dag, only=["01_make"], allow_modified=True)
    assert status == 0
    log = capsys.readouterr().err
    assert "running notebooks that differ from the commit (--allow-modified): 01_make" in log
    last = log.strip().splitlines()[-1]  # an --only run names no failure that did not happen
    assert "2 of 3 notebooks not selected" in last and "failed" not in last
    page = (run_dir / "01_make.html").read_text()
    assert "differs from the one in the commit named here" in page
    assert "with other default settings" in page


def test_the_lab_saves_notebooks_without_outputs():
    from analysis.run import lab

    cells = [
        {"cell_type": "code", "outputs": [{"output_type": "stream"}], "execution_count": 4},
        {"cell_type": "markdown", "source": "# Title"},
    ]
    model = {"type": "notebook", "content": {"cells": cells}}
    lab.strip_outputs(model, path="x.ipynb", contents_manager=None)
    assert cells[0]["outputs"] == [] and cells[0]["execution_count"] is None
    assert cells[1] == {"cell_type": "markdown", "source": "# Title"}
    text = {"type": "file", "content": "outputs"}
    lab.strip_outputs(text)
    assert text == {"type": "file", "content": "outputs"}
