"""UN World Population Prospects 2024 (Our World in Data export): population by ISO3 and year,
the denominator of every rate (UNODC uses WPP too). A year takes the WPP estimate (1950-2023)
where there is one, else the medium-variant projection, and says which (`variant`).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.data import countries, sources
from analysis.data.errors import DataError

SOURCE = "un_wpp2024_population"
COLUMNS = {
    "Entity": "entity",
    "Code": "code",
    "Year": "year",
    "population__sex_all__age_all__variant_estimates": "estimate",
    "population__sex_all__age_all__variant_medium": "medium",
}


def read_raw(path: Path | None = None) -> pd.DataFrame:
    """The OWID export as text-safe columns (Namibia's code is NAM, but read safely anyway)."""
    path = path or sources.raw_path(SOURCE)
    frame = sources.read_csv(path, dtype={"Entity": "string", "Code": "string"})
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(
            f"{path}: missing column(s) {missing}; expected the OWID 'Population, with UN "
            f"projections' export with columns {list(COLUMNS)}"
        )
    return frame[list(COLUMNS)].rename(columns=COLUMNS)


def tidy(raw: pd.DataFrame, path: Path | str = "") -> pd.DataFrame:
    """One row per ISO3 and year: population (persons) and the WPP variant it comes from."""
    iso3 = countries.wpp_to_iso3(raw["code"])
    rows = raw[iso3.notna()].assign(iso3=iso3[iso3.notna()])
    population = rows["estimate"].fillna(rows["medium"])
    variant = pd.Series("estimate", index=rows.index, dtype="string").where(
        rows["estimate"].notna(), "medium"
    )
    bad = population.isna() | (population <= 0)
    if bad.any():
        lines = [int(i) + 2 for i in rows.index[bad][:10]]
        raise DataError(f"{path}: no positive population in line(s) {lines} (iso3, year)")
    table = pd.DataFrame(
        {
            "iso3": rows["iso3"],
            "year": rows["year"].astype("Int64"),
            "population": population.round().astype("Int64"),
            "variant": variant,
        }
    )
    repeated = table.duplicated(["iso3", "year"], keep=False)
    if repeated.any():
        keys = table.loc[repeated, ["iso3", "year"]].drop_duplicates().head(5).values.tolist()
        raise DataError(f"{path}: more than one row for iso3/year {keys}")
    return table.sort_values(["iso3", "year"], ignore_index=True)


def load(raw_root: Path | None = None) -> pd.DataFrame:
    """Population by ISO3 and year from the registered, checksum-verified WPP file."""
    path = sources.raw_path(SOURCE, raw_root=raw_root)
    return tidy(read_raw(path), path)


def lookup(population: pd.DataFrame, iso3: pd.Series, year: pd.Series) -> pd.Series:
    """Population for each (iso3, year) pair, <NA> where WPP has none."""
    keyed = population.set_index(["iso3", "year"])["population"]
    index = pd.MultiIndex.from_arrays([iso3.astype("string"), year.astype("Int64")])
    return pd.Series(keyed.reindex(index).to_numpy(), index=iso3.index, dtype="Int64")
