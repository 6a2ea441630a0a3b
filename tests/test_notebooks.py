"""Notebook hygiene (committed clean, parameterised, project kernel, valid nbformat).

The hygiene checks read the JSON directly; only the schema check imports nbformat, whose
jsonschema import alone takes seconds, so it runs in the slow lane.
"""

import json
from pathlib import Path

import pytest

from analysis.run import pipeline, steps

NOTEBOOKS = steps.notebook_paths(Path(__file__).resolve().parents[1] / "notebooks")


def test_there_are_notebooks():
    assert NOTEBOOKS


def source(cell: dict) -> str:
    return "".join(cell["source"])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_committed_clean_and_parameterised(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert [c for c in code if c["outputs"] or c["execution_count"] is not None] == []
    tagged = [c for c in code if "parameters" in c["metadata"].get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged 'parameters'"
    assert nb["metadata"]["kernelspec"]["name"] == pipeline.KERNEL_NAME
    assert nb["metadata"]["language_info"]["name"] == "python"
    if (nb["nbformat"], nb["nbformat_minor"]) < (4, 5):  # cell ids came with nbformat 4.5
        assert not [c for c in nb["cells"] if "id" in c], "cell ids in an nbformat 4.4 notebook"
    first = nb["cells"][0]  # what JupyterLab shows on opening: the title
    assert first["cell_type"] == "markdown" and source(first).startswith("# ")
    assert all("matplotlib.use(" not in source(c) for c in code)


@pytest.mark.slow
def test_notebooks_are_valid_nbformat():
    import nbformat

    for path in NOTEBOOKS:
        nbformat.validate(nbformat.read(path, as_version=4))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_takes_the_report_folder(path):
    assert "report_dir" in steps.notebook_parameters(path)


def test_every_notebook_is_a_declared_step():
    assert [s.notebook for s in steps.STEPS] == [p.stem for p in NOTEBOOKS]


def test_notebook_parameters_are_read_from_the_tagged_cell(tmp_path):
    tagged = 'iso3 = "BLR"  # a country\nyears: list = [2010, 2020]\nx = y = 1'
    cells = [
        {"cell_type": "code", "metadata": {}, "source": ["z = 2"]},
        {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": [tagged]},
    ]
    (tmp_path / "01_x.ipynb").write_text(json.dumps({"cells": cells}))
    assert steps.notebook_parameters(tmp_path / "01_x.ipynb") == {
        "iso3": '"BLR"',
        "years": "[2010, 2020]",
        "x": "1",
        "y": "1",
    }


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_a_report_says_the_same_on_every_run(path):
    """verify compares each page's text with a re-execution's: nothing a notebook shows may
    depend on the clock (the run's log records how long each notebook took)."""
    text = path.read_text(encoding="utf-8")
    for clock in ("perf_counter", "time.time(", "datetime.now", "date.today"):
        assert clock not in text, f"{path.name} reads the clock ({clock})"
