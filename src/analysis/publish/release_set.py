"""Everything the release step protects, as one linked set: each release's grid and margins,
and at their defaults the trends, definitions and profile reports' tables, each protected with
what came before it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from analysis.definitions import mapping, shares
from analysis.publish import definition_views, disclosure, profile_views, victim_views
from analysis.publish import release as rel


@dataclass
class ReleaseSet:
    years: tuple[int, int]
    threshold: int
    grids: dict[str, disclosure.CountTable]  # per CTDC release
    margins: dict[str, dict[str, disclosure.CountTable]]  # column -> release -> table
    selections: list  # [(key, {part: table})]: the trends report's; none without K-anon
    named: dict[str, disclosure.CountTable]  # the definitions report's: grids, EU-only tables
    compared: list = ()  # [(key, {destination: table})]: the trends report's against GLOTIP
    profiles: list = ()  # [(key, {part: table})]: each country profile's breakdowns and maps

    def reports(self) -> dict[str, list[disclosure.CountTable]]:
        return {"trends": [t for _, p in [*self.selections, *self.compared] for t in p.values()],
                "definitions": list(self.named.values()),
                "profiles": [t for _, p in self.profiles for t in p.values()]}  # fmt: skip

    def tables(self) -> list[disclosure.CountTable]:
        margins = [t for by in self.margins.values() for t in by.values()]
        held = [t for found in self.reports().values() for t in found]
        return [*self.grids.values(), *margins, *held]

    def hidden(self, part: str) -> int:
        return sum(int((t.kinds() != "shown").sum()) for t in self.reports()[part])

    def write(self, folder=None):
        held = {"trends": list(self.selections), "trends_glotip": list(self.compared),
                "definitions": [({"threshold": self.threshold}, self.named)],
                "profiles": list(self.profiles)}  # fmt: skip
        return rel.write(self.grids, self.years, self.threshold, self.margins, held, folder)


def build(
    records: pd.DataFrame,
    years: Sequence[int] = rel.YEARS,
    threshold: int = 10,
    glotip: pd.DataFrame | None = None,
) -> ReleaseSet:
    """The set from the victim records of every release and the GLOTIP table."""
    span = (int(years[0]), int(years[-1]))
    grids = rel.build(records, span, threshold)
    margins = rel.build_margins(records, threshold)
    so_far = rel.Released.of(rel.record(grids, span, threshold, margins))
    selections, compared = victim_views.default_selection(records, threshold, so_far, glotip)
    categories = mapping.load_mapping()
    named = shares.ctdc_named_counts(records, categories)
    grids_named, _ = definition_views.named_grids(named, records, threshold, so_far)
    eu_only = shares.eu_only_counts(records, categories)
    _, _, eu_tables = definition_views.eu_only_published(eu_only, threshold, grids_named)
    parts = [(r, t) for r, t in eu_only[eu_only["recorded_in_release"]]
             .groupby(["release", "first_explicit_in"], sort=False).groups]  # fmt: skip
    grids_named |= {definition_views.eu_only_part(r, t): table
                    for (r, t), table in zip(parts, eu_tables, strict=True)}  # fmt: skip
    profiles = profile_views.default_parts(records, so_far)
    return ReleaseSet(span, threshold, grids, margins, selections, grids_named, compared, profiles)
