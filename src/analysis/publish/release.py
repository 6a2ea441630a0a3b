"""The protected release: the victim counts that every report of a run slices, protected once.

"Citizens of A exploited in B" is one cell of one grid per CTDC release: citizenship x place
of exploitation over every country (unknown included), with each row's and each column's
total and the grand total. A's profile shows its row, B's profile its column. Protected page
by page, one page could print what another hides; protected here as one table (`protect`:
small cells, then secondary cells and withheld totals, checked by linear programming), every
page shows a cell exactly as the release does, and a total only where the release publishes
it. The release step (notebook 05) builds it; the catalog table `release_places` holds what
a reader may see of it (`CountTable.record`: counts, `<10`, `(s)`), never a hidden value.

A report made with another year range or threshold than the release's cannot slice it: it
protects its own tables and says that it is an exploration outside the audited release.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from analysis import catalog, victims
from analysis import profiles as pr
from analysis.data import releases
from analysis.data.errors import DataError
from analysis.publish import disclosure

TABLE = "release_places"
YEARS = (2002, 2022)  # the registration years that reports publish at their defaults
ROWS, COLUMNS = "citizenship", "exploitation"
AXIS = {"destinations": (ROWS, COLUMNS), "origins": (COLUMNS, ROWS)}  # role: (fixed, place)


def place_grid(frame: pd.DataFrame, release: str, years: Sequence[int] = YEARS) -> pd.Series:
    """Records of one release per citizenship and place of exploitation (unknown as a value),
    registered in `years`: the non-zero cells (a missing cell is a zero, shown as such)."""
    rows = frame[(frame["release"] == release) & frame["year"].between(*years).fillna(False)]
    keys = [rows[c].astype("string").fillna(pr.UNKNOWN).rename(name)
            for c, name in (("citizenship", ROWS), ("exploitation_country", COLUMNS))]  # fmt: skip
    counts = rows.groupby(keys).size().astype("int64")
    return counts[counts > 0].sort_index()


def protect_grid(
    counts: pd.Series, release: str, population: str, threshold: int
) -> disclosure.CountTable:
    """One release's grid protected as one table with its row, column and grand totals;
    `population`: who it counts (`victims.population`)."""
    sums = disclosure.margins(counts, [(ROWS,), (COLUMNS,), ()])
    name = f"Records by citizenship and place of exploitation ({releases.CTDC[release].label})"
    table = disclosure.protect(name, population, counts, sums, threshold)
    table.base = True
    return table


def build(
    frame: pd.DataFrame, years: Sequence[int] = YEARS, threshold: int = disclosure.DEFAULT_THRESHOLD
) -> dict[str, disclosure.CountTable]:
    """The protected grid of every release in `frame` (the cleaned victim records)."""
    found = [r for r in releases.CTDC if r in set(frame["release"].astype(str))]
    return {r: protect_grid(place_grid(frame, r, years), r, victims.population(r, years, frame),
                            threshold) for r in found}  # fmt: skip


def record(tables: dict[str, disclosure.CountTable], years: Sequence[int], threshold: int) -> dict:
    """What the catalog keeps of the release: what a reader sees, never a hidden value."""
    return {"years": [int(years[0]), int(years[-1])], "threshold": int(threshold),
            "tables": {r: t.record() for r, t in tables.items()}}  # fmt: skip


def summary(tables: dict[str, disclosure.CountTable]) -> pd.DataFrame:
    """Per release: records, non-zero cells, small and secondary cells, totals withheld."""
    rows = []
    for release, table in tables.items():
        kinds = table.kinds().value_counts()
        rows.append({"release": releases.CTDC[release].label,
                     "records": int(table.counts.sum()), "cells": len(table.counts),
                     "small": int(kinds.get("small", 0)),
                     "secondary": int(kinds.get("secondary", 0)),
                     "totals": len(table.sums), "withheld": len(table.withheld)})  # fmt: skip
    return pd.DataFrame(rows)


@dataclass
class Released:
    """The release as the catalog holds it (`load`): per CTDC release, its grid's record."""

    years: tuple[int, int]
    threshold: int
    tables: dict[str, dict]

    def covers(self, years: Sequence[int], threshold: int) -> bool:
        """Whether a report with these parameters can slice the release."""
        return (int(years[0]), int(years[-1])) == self.years and int(threshold) == self.threshold

    def slice(
        self, release: str, iso3: str, role: str, counts: pd.Series, name: str, population_: str
    ) -> disclosure.CountTable:
        """A profile's column of the release comparison: the row (destinations) or column
        (origins) of the country in `release`'s grid, over the places of `counts` (its exact
        records per place, zeros included; every place of the grid's row or column must be
        there). Each cell is hidden where the release hides it, and the total is the
        release's. A shown number that differs from `counts` is a DataError: the release is
        older than the victim records."""
        fixed, place = AXIS[role]
        record = self.tables[release]
        at = {d: i for i, d in enumerate(record["dims"])}
        shown = {c["key"][at[place]]: c["shown"] for c in record["cells"]
                 if c["key"][at[fixed]] == iso3}  # fmt: skip
        places = [str(p) for p in counts.index]
        if missing := sorted(set(shown) - set(places)):
            raise ValueError(f"{name}: places of the release missing from the counts: {missing}")
        hidden = []
        for code, n in zip(places, counts.to_numpy(), strict=True):
            text = shown.get(code, 0)
            if isinstance(text, int) and text != int(n):
                raise DataError(
                    f"the protected release ({release}) gives {text} records for "
                    f"{fixed} {iso3}, {place} {code}; the victim records give {int(n)}: "
                    "re-run the release step (python -m analysis run)"
                )
            hidden.append(not isinstance(text, int))
        total = [s["shown"] for s in record["sums"] if s["of"] == {fixed: [iso3]}]
        index = pd.MultiIndex.from_arrays([places], names=["place"])
        table = disclosure.CountTable(
            name, population_, pd.Series(counts.to_numpy(dtype="int64"), index=index),
            pd.Series(hidden, index=index), ({},), self.threshold, ("place",), shared=1,
            withheld={0} if total == [disclosure.SECONDARY] else set(),
        )  # fmt: skip
        table.of = {"population": record["population"], "fixed": {fixed: iso3},
                    "rename": {"place": place}}  # fmt: skip
        return table


def load(folder=None) -> Released:
    """The release that the release step wrote."""
    data = catalog.read_json(TABLE, folder)
    return Released(tuple(data["years"]), int(data["threshold"]), data["tables"])


def write(tables: dict[str, disclosure.CountTable], years: Sequence[int], threshold: int):
    return catalog.write(TABLE, record(tables, years, threshold))
