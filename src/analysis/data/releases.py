"""The CTDC releases and GLOTIP vintages the project reads (listed in mappings/releases.toml):
one table of each, imported by everything that names a release or a vintage."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from analysis.data.errors import DataError, check_entry


@dataclass(frozen=True)
class Release:
    """A CTDC release (`victims.release`) or a GLOTIP vintage (`glotip.vintage`)."""

    name: str  # the value in the processed table
    source: str  # its registry entry
    label: str  # how a report names it
    redacted_below: int = 0  # k of a k-anonymised release; 0: none
    persons: bool = True  # False: generated records (synthetic)


RELEASES_FILE = Path(__file__).resolve().parents[1] / "mappings" / "releases.toml"
KINDS = ("ctdc", "glotip")


def load(path: Path = RELEASES_FILE) -> dict[str, dict[str, Release]]:
    """The releases of each kind, in the file's order."""
    table = tomllib.loads(path.read_text("utf-8"))
    if sorted(table) != sorted(KINDS):
        raise DataError(f"{path}: the tables should be {list(KINDS)}, found {list(table)}")
    for kind, entries in table.items():
        for name, entry in entries.items():
            check_entry(path, f"{kind}.{name}", entry, Release)
    return {kind: {n: Release(n, **e) for n, e in table[kind].items()} for kind in KINDS}


_TABLE = load()
CTDC: dict[str, Release] = _TABLE["ctdc"]
GLOTIP: dict[str, Release] = _TABLE["glotip"]

def inference_allowed(release: str) -> bool:
    """Whether a release's rows are records of persons, so that intervals, tests and models
    mean something (not for the synthetic release)."""
    return CTDC[release].persons if release in CTDC else True


def release_label(release: str) -> str:
    """A CTDC release as a report names it ('CTDC synthetic release (2021)'); any other value as
    it is."""
    known = CTDC.get(str(release))
    return known.label if known else str(release)
