"""Figures that GLOTIP's `<5` cells leave as ranges, as text ('1,234–1,246'), and their
records for the audit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

GLOTIP_SMALL = 5  # UNODC publishes a count of 1 to 4 as `<5`


def bounds_text(lower, upper, decimals: int = 0) -> str:
    """'1,234', '1,234–1,246', '≥1,234' without an upper bound, '' without a figure."""
    if pd.isna(lower):
        return ""
    if pd.isna(upper):
        return f"≥{lower:,.{decimals}f}"
    a, b = f"{lower:,.{decimals}f}", f"{upper:,.{decimals}f}"
    return a if a == b else f"{a}–{b}"


def format_bounds(lower, upper, decimals: int = 0) -> pd.Series:
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
    """One row per year, one column of `bounds_text` per key; `countries` maps a key to the
    name of a column of its `n_countries`."""
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
    """A figure as a record holds it: the number, `<5`, else the range."""
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
    """GLOTIP figures (`lower`, `upper` per `dims`) and the sums over each of `sums` as a
    reader sees them, for the audit; every dimension is partial."""
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
    """`glotip_record` of country totals; `base`: every total of the export in the years."""
    record = glotip_record(name, f"GLOTIP {vintage}: published country totals", totals,
                           TOTALS_DIMS, sums)  # fmt: skip
    return record | {"base": True} if base else record
