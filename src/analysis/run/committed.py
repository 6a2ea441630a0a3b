"""Notebooks as committed: a scheduled run executes what the commit it names holds.

JupyterLab autosaves into the tracked notebook, so a run refuses a notebook whose cells differ
from HEAD unless asked (`--allow-modified`); then its log and report header say so.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from analysis.data import paths
from analysis.run.steps import parameters_of


@dataclass(frozen=True)
class Change:
    """How a notebook differs from the committed one."""

    notebook: str  # file stem
    parameters: tuple[str, ...] = ()  # parameters whose default changed (or that came or went)
    new: bool = False  # not in the commit at all

    def text(self) -> str:
        """'10_victim_trends (parameter defaults changed: year_min, year_max)'."""
        if self.new:
            return f"{self.notebook} (not committed)"
        if self.parameters:
            return f"{self.notebook} (parameter defaults changed: {', '.join(self.parameters)})"
        return f"{self.notebook} (cells changed)"

    def header(self) -> str:
        """What the report's header says of it, in words for a reader."""
        return (
            "Made from a notebook that differs from the one in the commit named here"
            + (", with other default settings" if self.parameters else "")
            + ": not a scheduled report."
        )


def changed(now: dict, then: dict) -> list[str]:
    """The keys whose values differ between two mappings."""
    return sorted(k for k in set(now) | set(then) if now.get(k) != then.get(k))


def _git(*args: str) -> subprocess.CompletedProcess:
    root = paths.project_root()
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)


def _sources(cells: list[dict]) -> list[tuple[str, str]]:
    return [(c["cell_type"], "".join(c.get("source", ""))) for c in cells]


def change(path: Path) -> Change | None:
    """How the notebook at `path` differs from the committed one; None when it does not."""
    relative = path.resolve().relative_to(paths.project_root().resolve()).as_posix()
    shown = _git("show", f"HEAD:{relative}")
    if shown.returncode:
        return Change(path.stem, new=True)
    now, then = (json.loads(text)["cells"] for text in (path.read_text("utf-8"), shown.stdout))
    if _sources(now) == _sources(then):
        return None
    return Change(path.stem, tuple(changed(parameters_of(now), parameters_of(then))))


def changes(notebooks: dict[str, Path]) -> dict[str, Change]:
    """The notebooks (stem: path) that differ from the commit; none outside a git checkout or
    for notebooks outside the project (a test's fixture notebooks)."""
    root = paths.project_root().resolve()
    inside = {stem: path for stem, path in notebooks.items() if path.resolve().is_relative_to(root)}
    if not inside or _git("rev-parse", "--verify", "HEAD").returncode:
        return {}
    found = {stem: change(path) for stem, path in inside.items()}
    return {stem: c for stem, c in found.items() if c is not None}
