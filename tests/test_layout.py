"""The package's layout: imports go one way along the data flow, and only data/ and clean/
touch raw files. A module that imports against the flow fails here, naming both ends."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "analysis"
NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"

# Each stage may import its own stage and the ones before it, never a later one.
STAGES = ["data", "schemas", "catalog", "clean", "analyses", "publish", "run"]
RAW_ACCESS = {"raw_path", "raw_dir", "cached_parse"}  # the ways to reach data/raw


def stage(module: str) -> str:
    """The stage of a module given as `analysis.x.y`."""
    parts = module.split(".")[1:]
    if not parts or parts[0] == "__main__":
        return "run"
    if parts[0] in STAGES:
        return parts[0]
    return "analyses"  # top-level modules and sub-packages such as definitions/


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imported(tree: ast.AST) -> set[str]:
    """Every `analysis` module a tree imports, at any depth (function-level imports too)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names if a.name.split(".")[0] == "analysis"}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "analysis":
            known = modules()
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                names.add(full if full in known else node.module)
    return names


def against_the_flow(source: str, importer: str) -> list[str]:
    rank = STAGES.index(stage(importer))
    return sorted(
        f"{importer} ({stage(importer)}) imports {name} ({stage(name)})"
        for name in imported(ast.parse(source))
        if STAGES.index(stage(name)) > rank
    )


def test_the_stages_are_folders_or_the_catalog():
    for name in STAGES:
        if name != "analyses":
            assert (PACKAGE / name).is_dir() or (PACKAGE / f"{name}.py").is_file(), name


@pytest.mark.parametrize("module", sorted(modules()))
def test_imports_go_one_way(module):
    assert against_the_flow(modules()[module].read_text(), module) == []


def test_an_import_against_the_flow_is_found():
    source = "def f():\n    from analysis.publish import disclosure\n"
    assert against_the_flow(source, "analysis.victims") == [
        "analysis.victims (analyses) imports analysis.publish.disclosure (publish)"
    ]
    assert against_the_flow("from analysis.data import paths", "analysis.victims") == []


VIEWS = sorted(m for m in modules() if m.startswith("analysis.publish.") and m.endswith("_views"))


@pytest.mark.parametrize("module", VIEWS)
def test_no_views_module_imports_another(module):
    """Each views module serves one notebook; what two share lives in a shared module."""
    others = imported(ast.parse(modules()[module].read_text())) & (set(VIEWS) - {module})
    assert others == set()


def test_the_views_modules_are_found():
    assert len(VIEWS) >= 8 and "analysis.publish.profile_views" in VIEWS


@pytest.mark.parametrize("module", sorted(modules()))
def test_only_data_and_clean_touch_raw_files(module):
    if stage(module) in ("data", "clean", "run"):  # run: fetch, verify and the source check
        return
    tree = ast.parse(modules()[module].read_text())
    used = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    used |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    assert used & RAW_ACCESS == set()


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.stem)
def test_notebooks_use_the_package_not_the_run_machinery(path):
    cells = json.loads(path.read_text())["cells"]
    source = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    assert [m for m in imported(ast.parse(source)) if stage(m) == "run"] == []
