"""The fixture DAG the runner tests share: three tiny notebooks (01_make writes a table that
02_use reads; 03_alone reads an outside one), their catalog, and helpers to run and inspect.

The notebooks import only light modules (paths, guard) and write their results JSON and
table records with plain json, as `Report.save` writes them. The fixtures `dag`, `package`
and `dag_catalog` (the fixture catalog in place of the real one) are in conftest.py.
"""

from __future__ import annotations

import json
from pathlib import Path

from analysis.catalog import Table
from analysis.run import runner
from analysis.run.runner import RunOptions
from analysis.run.steps import Step

STEPS = (
    Step("01_make", reads=("seed",)),
    Step("02_use", reads=("made",)),
    Step("03_alone", reads=("note",)),
)
TABLES = {  # the fixture DAG's catalog: seed and note come from outside, 01_make writes made
    "seed": Table("seed", "seed.txt", "outside"),
    "note": Table("note", "note.txt", "outside"),
    "made": Table("made", "made.txt", "01_make"),
}
# A lab notebook that overwrites 01_make's table during a run (the faults tests).
LAB_TABLES = {**TABLES, "lab": Table("lab", "lab.txt", "03_lab")}
LAB_STEPS = (
    Step("01_make", reads=("seed",)),
    Step("03_lab", reads=("made",)),
    Step("02_use", reads=("made", "lab")),
)
FAIL_ENV = "FIXTURE_FAIL"  # notebooks named here raise: a failure outside every key

SAVE = """
import json
from pathlib import Path

def save(notebook, results, tables=()):  # results/<notebook>.json and .tables.json, as
    if report_dir:                         # Report.save writes them
        target = Path(report_dir) / "results"
        target.mkdir(parents=True, exist_ok=True)
        written = {"notebook": notebook, "results": results}
        (target / f"{notebook}.json").write_text(json.dumps(written))
        records = {"notebook": notebook, "version": 1, "tables": list(tables)}
        (target / f"{notebook}.tables.json").write_text(json.dumps(records))
"""  # a cell of every fixture notebook


def record(name: str, dims: list[str], cells: dict) -> dict:
    """A table record of the fixture population, as `CountTable.record` writes one."""
    return {"name": name, "population": "people", "threshold": 10, "dims": dims,
            "partial": [], "cells": [{"key": list(k), "shown": v} for k, v in cells.items()],
            "sums": []}  # fmt: skip


# 01_make may publish the total by gender; 02_use publishes gender by age, the third female
# cell hidden. Each alone gives nothing away; together they pin the hidden cell (64 - 61).
BY_GENDER = record("By gender", ["gender"], {("female",): 64, ("male",): 67})
BY_AGE = record(
    "By gender and age",
    ["gender", "age"],
    {("female", "child"): 28, ("female", "adult"): 33, ("female", "older"): "<10",
     ("male", "child"): 40, ("male", "adult"): 12, ("male", "older"): 15},
)  # fmt: skip

MAKE = f"""
import os, time
from analysis.data import paths
seed = (paths.processed_dir() / "seed.txt").read_text().strip()
if "01_make" in os.environ.get("FIXTURE_FAIL", ""):
    raise ValueError("asked to fail")
time.sleep(pause)
(paths.processed_dir() / "made.txt").write_text(f"{{seed}}-{{value}}")
save("01_make", {{"made": f"{{seed}}-{{value}}"}}, [{BY_GENDER!r}] if publish_total else [])
"""

USE = f"""
import os
from analysis.data import guard, paths
made = (paths.processed_dir() / "made.txt").read_text()
reads = sorted(os.environ[guard.READS_ENV].split(","))
save("02_use", {{"length": len(made), "step": guard.running_step(), "reads": reads}},
     [{BY_AGE!r}])
"""

ALONE = "import time\ntime.sleep(pause)"


def write_notebook(path: Path, parameters: str, body: str) -> None:
    """A notebook in nbformat 4.5 written as plain JSON (nbformat takes seconds to import)."""

    def code(source: str, tags: list[str]) -> dict:
        metadata = {"tags": tags}
        return {
            "cell_type": "code",
            "execution_count": None,
            "metadata": metadata,
            "outputs": [],
            "source": source,
        }

    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": f"# {path.stem}"},
        code(parameters, ["parameters"]),
        code(SAVE, []),
        code(body, []),
    ]
    for number, cell in enumerate(cells):
        cell["id"] = f"cell-{number}"
    kernel = {"name": "thb-analysis", "display_name": "P", "language": "python"}
    metadata = {"kernelspec": kernel, "language_info": {"name": "python"}}
    notebook = {"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(notebook, indent=1, sort_keys=True), encoding="utf-8")


def run(dag: Path, steps: tuple[Step, ...] = STEPS, **options) -> tuple[int, Path]:
    options.setdefault("jobs", 2)
    return runner.run(RunOptions(**options), dag / "notebooks", steps)


def manifest_of(run_dir: Path) -> dict:
    return json.loads((run_dir / "manifest.json").read_text())


def statuses(run_dir: Path) -> dict[str, str]:
    return {name: entry["status"] for name, entry in manifest_of(run_dir)["notebooks"].items()}


def results(run_dir: Path, notebook: str) -> dict:
    return json.loads((run_dir / f"results/{notebook}.json").read_text())["results"]
