"""The CTDC releases and GLOTIP vintages the project reads: one table of each, imported by
everything that names a release or a vintage."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Release:
    """A CTDC release (`victims.release`) or a GLOTIP vintage (`glotip.vintage`)."""

    name: str  # the value in the processed table
    source: str  # its registry entry
    label: str  # how a report names it
    redacted_below: int = 0  # k-anonymised: sets of fewer records are redacted (k), 0: none
    persons: bool = True  # False: its rows are generated records, not persons (synthetic)


CTDC: dict[str, Release] = {
    r.name: r
    for r in (
        Release("synthetic_2021", "ctdc_synthetic_2021", "CTDC synthetic release (2021)",
                persons=False),
        Release("kanon_2021", "ctdc_kanon_2021", "CTDC K-anonymised release (2021)", 11),
        Release("global_2020", "ctdc_global_2020", "CTDC Global Dataset (2020)"),
    )
}

GLOTIP: dict[str, Release] = {
    r.name: r
    for r in (
        Release("2025", "glotip_2025", "UNODC GLOTIP export of 14 April 2025"),
        Release("2023", "glotip_2023", "UNODC GLOTIP export of 30 May 2023"),
    )
}


def inference_allowed(release: str) -> bool:
    """Whether a release's rows are records of persons, so that intervals, tests and models
    mean something (not for the synthetic release)."""
    return CTDC[release].persons if release in CTDC else True
