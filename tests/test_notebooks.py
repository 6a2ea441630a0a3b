"""Notebook hygiene (committed clean, parameterised, project kernel) and a real execution."""

from pathlib import Path

import nbformat
import pytest

from analysis.run import steps

NOTEBOOKS = steps.notebook_paths(Path(__file__).resolve().parents[1] / "notebooks")


def test_there_are_notebooks():
    assert NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_committed_clean_and_parameterised(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [c for c in code if c.outputs or c.execution_count is not None] == []
    tagged = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged 'parameters'"
    assert nb.metadata["kernelspec"]["name"] == steps.KERNEL_NAME
    assert nb.metadata["language_info"]["name"] == "python"
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    assert all("matplotlib.use(" not in c.source for c in code)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_takes_the_report_folder(path):
    assert "report_dir" in steps.notebook_parameters(path)


def test_every_notebook_is_a_declared_step():
    assert [s.notebook for s in steps.STEPS] == [p.stem for p in NOTEBOOKS]


def test_notebook_parameters_are_read_from_the_tagged_cell(tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(
        'iso3 = "BLR"  # a country\nyears: list = [2010, 2020]\nx = y = 1'
    )
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_code_cell("z = 2"), cell]
    nbformat.write(nb, tmp_path / "01_x.ipynb")
    assert steps.notebook_parameters(tmp_path / "01_x.ipynb") == {
        "iso3": '"BLR"',
        "years": "[2010, 2020]",
        "x": "1",
        "y": "1",
    }
