"""The CTDC releases and GLOTIP vintages the project reads (listed in mappings/releases.toml):
one table of each, imported by everything that names a release or a vintage."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Release:
    """A CTDC release (`victims.release`) or a GLOTIP vintage (`glotip.vintage`)."""

    name: str  # the value in the processed table
    source: str  # its registry entry
    label: str  # how a report names it
    redacted_below: int = 0  # k of a k-anonymised release; 0: none
    persons: bool = True  # False: generated records (synthetic)


_TABLE = tomllib.loads(
    (Path(__file__).resolve().parents[1] / "mappings" / "releases.toml").read_text("utf-8")
)
CTDC: dict[str, Release] = {name: Release(name, **r) for name, r in _TABLE["ctdc"].items()}
GLOTIP: dict[str, Release] = {name: Release(name, **r) for name, r in _TABLE["glotip"].items()}


def inference_allowed(release: str) -> bool:
    """Whether a release's rows are records of persons, so that intervals, tests and models
    mean something (not for the synthetic release)."""
    return CTDC[release].persons if release in CTDC else True


def release_label(release: str) -> str:
    """A CTDC release as a report names it ('CTDC synthetic release (2021)'); any other value as
    it is."""
    known = CTDC.get(str(release))
    return known.label if known else str(release)
