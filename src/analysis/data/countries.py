"""Country codes, UN regions and EU membership, on top of country_converter.

Workaround (country_converter 1.3.2 with pandas 3): `CountryConverter()` fails to construct
("first argument must be string or compiled pattern") because pandas 3 turns the empty ISO2
and regex cells of its bundled table into NaN. We read the same table ourselves with empty
strings kept and pass it in. Remove `_country_table` once a fixed upstream release is locked.
"""

from __future__ import annotations

import logging
import re
from functools import cache
from pathlib import Path

import country_converter as coco
import pandas as pd

# coco logs every unmatched value; the cleaning steps count them instead.
logging.getLogger("country_converter").setLevel(logging.ERROR)

INT_COLUMNS = ["ISOnumeric", "UNcode", "FAOcode", "GBDcode", "EURO", "UN", "UNmember",
               "obsolete", "GEOnumeric"]  # fmt: skip


def _country_table() -> pd.DataFrame:
    table = pd.read_csv(
        Path(coco.__file__).with_name("country_data.tsv"),
        sep="\t",
        dtype=object,
        keep_default_na=False,  # "NA" is Namibia
        na_values=[""],
        encoding="utf-8",
    )
    table[["ISO2", "regex"]] = table[["ISO2", "regex"]].fillna("")
    return table.astype({col: "Int64" for col in INT_COLUMNS})


@cache
def converter() -> coco.CountryConverter:
    return coco.CountryConverter(country_data=_country_table())


CODE_SHAPE = {"ISO2": "[A-Z]{2}", "ISO3": "[A-Z]{3}"}


def to_iso3(values: pd.Series, src: str = "ISO2") -> pd.Series:
    """ISO3 per code (ISO2, ISO3, ...); <NA> where the input is missing or matches no country."""
    values = values.astype("string")
    known = set(converter().data["ISO3"])
    # coco matches ISO2 codes by regex, so a 3-letter code would match a fragment (GBR -> BRA).
    shape = CODE_SHAPE.get(src)
    lookup = {}
    for value in values.dropna().unique():
        if shape and not re.fullmatch(shape, value):
            lookup[value] = None
            continue
        iso3 = converter().convert(value, src=src, to="ISO3", not_found=None)
        # not_found=None echoes the input; an ambiguous name gives a list: both unmatched.
        lookup[value] = iso3 if isinstance(iso3, str) and iso3 in known else None
    return values.map(lookup).astype("string")


@cache
def _attribute(to: str) -> dict[str, str]:
    table = converter().data[["ISO3", to]].dropna()
    return dict(zip(table["ISO3"], table[to], strict=True))


def un_region(iso3: pd.Series) -> pd.Series:
    """UN M49 sub-region name (e.g. 'Eastern Europe') per ISO3 code; <NA> when unknown."""
    return iso3.astype("string").map(_attribute("UNregion")).astype("string")


def is_eu27(iso3: pd.Series) -> pd.Series:
    """EU membership as of 2020 (EU27_2020), as a nullable boolean; <NA> for missing codes."""
    members = set(_attribute("EU27"))
    iso3 = iso3.astype("string")
    return iso3.isin(members).astype("boolean").mask(iso3.isna())


def name(iso3: pd.Series) -> pd.Series:
    """Short English name per ISO3 code."""
    return iso3.astype("string").map(_attribute("name_short")).astype("string")


def names(codes) -> list[str]:
    """Names for a reader: the code itself where it has no name (a test fixture's 'AAA')."""
    codes = pd.Series(list(codes), dtype="string")
    return name(codes).fillna(codes).tolist()


# --- Population codes (UN WPP 2024 via Our World in Data) -------------------------------------
# WPP/OWID codes Kosovo as OWID_KOS (country_converter and the World Bank use XKX) and keeps
# Taiwan as TWN; its other OWID_ codes are aggregates (OWID_WRL). Handled here, once.
WPP_CODES = {"OWID_KOS": "XKX"}


def wpp_to_iso3(codes: pd.Series) -> pd.Series:
    """ISO3 per WPP/OWID code: Kosovo OWID_KOS -> XKX; aggregates (OWID_*, blank) -> <NA>."""
    codes = codes.astype("string").replace(WPP_CODES)
    return codes.where(codes.str.fullmatch("[A-Z]{3}").fillna(False)).astype("string")
