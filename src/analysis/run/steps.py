"""The notebook DAG, declared in one place: which notebook reads what.

What a step writes comes from the catalog; a notebook that reads anything its step does not
declare fails in a run (`analysis.data.guard.UndeclaredRead`).
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from pathlib import Path

from analysis import catalog


@dataclass(frozen=True)
class Step:
    notebook: str  # file stem in notebooks/
    reads: tuple[str, ...] = ()
    fan_out: str | None = None  # a parameter: one report per value (`run --country ...`)
    # Typical seconds on the 2-core development machine (runs of December 2026): with no
    # history, a cold run still starts the longest chain first.
    seconds: float = 1.0

    @property
    def raw_sources(self) -> list[str]:
        return [r.removeprefix("raw:") for r in self.reads if r.startswith("raw:")]

    @property
    def processed_inputs(self) -> list[str]:
        return [r for r in self.reads if not r.startswith("raw:")]

    @property
    def writes(self) -> list[str]:
        return [t.name for t in catalog.written_by(self.notebook)]


CTDC = ("raw:ctdc_synthetic_2021", "raw:ctdc_kanon_2021", "raw:ctdc_global_2020")
ENFORCEMENT = (
    "raw:glotip_2025",
    "raw:glotip_2023",
    "raw:us_tip_law_enforcement",
    "raw:eurostat_thb_headlines",
    "raw:belarus_press",
    "raw:un_wpp2024_population",  # the Eurostat rate per million against its total
)

STEPS: tuple[Step, ...] = (
    Step("00_data_sources", reads=("raw:*",), seconds=5),
    Step("01_clean_victims", reads=CTDC, seconds=20),
    Step("02_clean_enforcement", reads=ENFORCEMENT, seconds=16),
    Step("05_release", reads=("victims", "glotip"), seconds=15),
    Step("10_victim_trends", reads=("victims", "glotip", "release_places"), seconds=43),
    Step("15_global_profile", reads=("raw:un_wpp2024_population", "glotip"), seconds=14),
    Step(
        "20_enforcement_trends",
        reads=("raw:un_wpp2024_population", "glotip", "us_tip", "eurostat_thb"),
        seconds=15,
    ),
    Step("30_definitions", reads=("victims", "glotip", "release_places"), seconds=19),
    Step(
        "40_country_profile",
        reads=(
            "raw:un_wpp2024_population",
            "raw:natural_earth_110m",
            "victims",
            "glotip",
            "release_places",
        ),
        fan_out="iso3",
        seconds=10,
    ),
    Step(
        "50_claims_check",
        reads=("raw:euroradio_2009", "victims", "glotip", "us_tip", "belarus_press"),
        seconds=5,
    ),
    Step("60_hidden_population", reads=("raw:mse_tables", "glotip"), seconds=56),
)


def dependencies(steps: tuple[Step, ...] = STEPS) -> dict[str, set[str]]:
    """For each notebook, the notebooks that write something it reads."""
    writer = {path: s.notebook for s in steps for path in s.writes}
    return {s.notebook: {writer[r] for r in s.processed_inputs if r in writer} for s in steps}


def notebook_paths(folder: Path) -> list[Path]:
    """The pipeline's notebooks in a folder, in name order (their numeric prefix)."""
    return sorted(folder.glob("[0-9][0-9]_*.ipynb"))


def notebook_parameters(notebook: Path) -> dict[str, str]:
    """Each name assigned in the cell tagged `parameters`, with its default's source text
    (json and ast: importing papermill takes seconds, and a run with nothing to do should not)."""
    return parameters_of(json.loads(notebook.read_text(encoding="utf-8"))["cells"])


def parameters_of(cells: list[dict]) -> dict[str, str]:
    """`notebook_parameters` of a notebook's cells."""
    tagged = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if not tagged:
        return {}
    source = "".join(tagged[0]["source"])
    found = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    found[target.id] = ast.get_source_segment(source, node.value)
    return found
