"""Figures that published ranges leave open (GLOTIP's `<5` cells, 1 to 4), as text: the
range, '1,234–1,246', or the number when exact; `glotip_record` describes them for the audit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

GLOTIP_SMALL = 5  # UNODC publishes a count of 1 to 4 as `<5`


def bounds_text(lower, upper, decimals: int = 0) -> str:
    """'1,234' when exact, '1,234–1,246' when suppressed cells leave a range, '≥1,234' without
    an upper bound, '' when there is no figure."""
    if pd.isna(lower):
        return ""
    if pd.isna(upper):
        return f"≥{lower:,.{decimals}f}"
    a, b = f"{lower:,.{decimals}f}", f"{upper:,.{decimals}f}"
    return a if a == b else f"{a}–{b}"


def format_bounds(lower, upper, decimals: int = 0) -> pd.Series:
    """`bounds_text` for each pair of a column of lower and a column of upper bounds."""
    lower = pd.Series(lower, dtype="Float64")
    upper = pd.Series(upper, dtype="Float64", index=lower.index)
    labels = [bounds_text(lo, hi, decimals) for lo, hi in zip(lower, upper, strict=True)]
    return pd.Series(labels, index=lower.index, dtype="string")


def bounds_table(
    frame: pd.DataFrame,
    key_col: str,
    years: Sequence[int],
    keys: Sequence[str],
    labels: Mapping[str, str] | None = None,
    bounds: tuple[str, str] = ("lower", "upper"),
    decimals: int = 0,
    countries: Mapping[str, str] | None = None,
    drop_empty: bool = True,
) -> pd.DataFrame:
    """One row per year, one text column per key of `key_col` (named by `labels`): the figure,
    or its range where `<5` cells took part, '' where there is none. `countries` maps a key to
    the name of a column holding its `n_countries` next to it."""
    years = list(years)
    labels, countries = labels or {}, countries or {}
    table = pd.DataFrame(index=pd.Index(years, name="year"))
    lower, upper = bounds
    for key in keys:
        part = frame[frame[key_col] == key]
        if repeated := sorted(part.loc[part["year"].duplicated(), "year"].unique()):
            raise ValueError(f"{key_col} {key!r} has more than one row for year(s) {repeated}")
        part = part.set_index("year").reindex(years)
        table[labels.get(key, key)] = format_bounds(part[lower], part[upper], decimals).to_numpy()
        if key in countries:
            n = part["n_countries"].astype("Int64").astype("string").fillna("0")
            table[countries[key]] = n.to_numpy()
    if drop_empty:
        shown = [labels.get(k, k) for k in keys]
        table = table[(table[shown] != "").any(axis=1)]
    return table


def _shown(lower, upper, cell: bool = True):
    """A figure as a table record holds it: the number, `<5` for such a cell, else the range."""
    if lower == upper:
        return int(lower)
    if cell and (lower, upper) == (1, GLOTIP_SMALL - 1):
        return f"<{GLOTIP_SMALL}"
    return bounds_text(lower, upper)


def glotip_record(
    name: str,
    population: str,
    cells: pd.DataFrame,
    dims: Sequence[str],
    sums: Sequence[Sequence[str]] = (),
) -> dict:
    """GLOTIP figures as a reader sees them, for the disclosure audit (as
    `disclosure.CountTable.record`): each figure of `cells` (`lower`, `upper` per combination
    of `dims`) and the sum over each group of each list of dims in `sums`. Every dimension is
    partial (a report shows some countries and years)."""
    dims = list(dims)
    rows = cells.dropna(subset=["lower"]).sort_values(dims)
    keys = rows[dims].astype(str).to_numpy().tolist()
    bounds = zip(keys, rows["lower"], rows["upper"], strict=True)
    record_cells = [{"key": key, "shown": _shown(int(lo), int(hi))} for key, lo, hi in bounds]
    record_sums = []
    for by in sums:
        for group, part in rows.groupby(list(by), sort=True):
            group = group if isinstance(group, tuple) else (group,)
            record_sums.append({"of": {d: [str(v)] for d, v in zip(by, group, strict=True)},
                                "shown": _shown(int(part["lower"].sum()),
                                                int(part["upper"].sum()), cell=False)})  # fmt: skip
    return {"name": name, "population": population, "threshold": GLOTIP_SMALL, "dims": dims,
            "partial": dims, "cells": record_cells, "sums": record_sums}  # fmt: skip


TOTALS_DIMS = ("indicator", "sex", "iso3", "year")


def country_totals_record(
    name: str,
    vintage: str,
    totals: pd.DataFrame,
    sums: Sequence[Sequence[str]] = (),
    base: bool = False,
) -> dict:
    """`glotip_record` of published country totals: one population per export. `base`: every
    total of the export in the report's years, to which the others are linked."""
    record = glotip_record(name, f"GLOTIP {vintage}: published country totals", totals,
                           TOTALS_DIMS, sums)  # fmt: skip
    return record | {"base": True} if base else record
