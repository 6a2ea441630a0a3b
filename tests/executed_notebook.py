"""Run one notebook with papermill, as the runner does, for the slow tests that read what it
recorded and what it showed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from analysis.data import paths
from analysis.run import pipeline


@dataclass
class Executed:
    results: dict  # the notebook's results record
    cells: list  # the executed notebook's cells, with their outputs

    def said(self, marker: str, kind: str = "text/markdown") -> str:
        """What the first cell whose source holds `marker` shows (Markdown, or `text/html`)."""
        cell = next(c for c in self.cells if marker in "".join(c["source"]))
        return "".join("".join(o.get("data", {}).get(kind, "")) for o in cell["outputs"])


def execute(name: str, report: str, params: dict, folder: Path) -> Executed:
    """notebooks/<name>.ipynb with `params`, its report (`report`, e.g. a profile's) in `folder`."""
    executed = folder / "out.ipynb"
    outcome = pipeline.execute(
        paths.notebooks_dir() / f"{name}.ipynb", executed, {**params, "report_dir": str(folder)}
    )
    assert outcome.ok, outcome.error
    results = json.loads((folder / "results" / f"{report}.json").read_text())["results"]
    return Executed(results, json.loads(executed.read_text())["cells"])
