"""Schemas of the enforcement tables: GLOTIP (long form), US TIP, Eurostat and Belarus.

`analysis.catalog.validate` checks a table against the schema the catalog names for it.
"""

from __future__ import annotations

import pandas as pd

from analysis.data import countries, releases

INDICATOR_NAMES = {  # the three headline indicators by short key
    "victims": "Detected trafficking victims",
    "prosecuted": "Persons prosecuted",
    "convicted": "Persons convicted",
}
INDICATORS = [
    *INDICATOR_NAMES.values(),
    "Persons brought into formal contact",
    "Offences of trafficking in persons",
]
DIMENSIONS = ["Total", "by form of exploitation", "by citizenship", "by country of repatriation"]
SEXES = ["Total", "Female", "Male", "Other", "Unknown"]
AGES = ["Total", "0 to 17 years", "18 years or over", "Unknown"]
VINTAGES = list(releases.GLOTIP)
CATEGORY_KINDS = ["country", "nationals", "foreigners", "stateless", "unknown", "region", "total",
                  "other", "unmapped"]  # fmt: skip
DIFF_STATUSES = ["added", "dropped", "revised", "unchanged"]
# How cleaning resolved a GLOTIP row that contradicts the export (`clean.glotip.check_totals`).
GLOTIP_CHECKS = ["total rebuilt from its parts", "total below its parts",
                 "no total for its country and year"]  # fmt: skip

US_TIP_COUNTS = [
    "prosecutions",
    "prosecutions_labor",
    "convictions",
    "convictions_labor",
    "victims_identified",
    "victims_identified_labor",
    "new_or_amended_legislation",
]
EUROSTAT_UNITS = ["persons", "percent", "per million inhabitants"]
BELARUS_QUALIFIERS = ["more than", "approximately"]


def _iso3_codes() -> list[str]:
    return sorted(set(countries.converter().data["ISO3"].dropna()))


def _bounds_agree(frame: pd.DataFrame) -> pd.Series:
    """A published count has lower == value == upper; a suppressed one has no value but bounds."""
    published = ~frame["is_suppressed"]
    exact = (frame["lower"] == frame["value"]) & (frame["upper"] == frame["value"])
    return (published & exact.fillna(False)) | (
        frame["is_suppressed"]
        & frame["value"].isna()
        & (frame["lower"] >= 1)
        & (frame["lower"] <= frame["upper"])
    )


def _schemas() -> dict[str, object]:
    """The pandera schemas of the enforcement tables (built once, on first use)."""
    import pandera.pandas as pa

    def _text(values: list[str] | None = None, nullable: bool = False) -> pa.Column:
        return pa.Column("string", [pa.Check.isin(values)] if values else [], nullable=nullable)

    def _count(nullable: bool = True) -> pa.Column:
        return pa.Column("Int64", pa.Check.ge(0), nullable=nullable)

    GLOTIP = pa.DataFrameSchema(
        {
            "iso3": pa.Column("string", pa.Check.isin(_iso3_codes())),
            "country": _text(),
            "year": pa.Column("Int64", pa.Check.in_range(2000, 2030)),
            "indicator": _text(INDICATORS),
            "dimension": _text(DIMENSIONS),
            "category": _text(nullable=True),
            "sex": _text(SEXES),
            "age": _text(AGES),
            "value": _count(),
            "is_suppressed": pa.Column("boolean"),
            "lower": _count(nullable=False),
            "upper": _count(nullable=False),
            "vintage": _text(VINTAGES),
            "source_row": pa.Column("int64", pa.Check.ge(0)),
            "category_iso3": pa.Column("string", pa.Check.isin(_iso3_codes()), nullable=True),
            "category_kind": _text(CATEGORY_KINDS, nullable=True),
            "n_parts": pa.Column("Int64", pa.Check.ge(1)),
            "check": _text(GLOTIP_CHECKS, nullable=True),
        },
        checks=[
            pa.Check(_bounds_agree, error="value, is_suppressed and lower/upper disagree"),
            pa.Check(
                lambda f: f["category_iso3"].isna() | (f["category_kind"] == "country"),
                error="category_iso3 set for a non-country category",
            ),
        ],
        unique=["iso3", "year", "indicator", "dimension", "category", "sex", "age", "vintage"],
        strict=True,
        ordered=True,
    )

    GLOTIP_VINTAGE_DIFF = pa.DataFrameSchema(
        {
            "indicator": _text(INDICATORS),
            "dimension": _text(DIMENSIONS),
            "status": _text(DIFF_STATUSES),
            "cells": _count(nullable=False),
            "countries": _count(nullable=False),
            "first_year": pa.Column("Int64"),
            "last_year": pa.Column("Int64"),
        },
        unique=["indicator", "dimension", "status"],
        strict=True,
    )

    _CITATION = {
        "source_address": pa.Column("string", pa.Check.str_startswith("http")),
        "note": _text(nullable=True),
    }

    US_TIP = pa.DataFrameSchema(
        {
            "year": pa.Column("Int64", pa.Check.in_range(2000, 2030), unique=True),
            **{col: _count() for col in US_TIP_COUNTS},
            "tip_report_edition": _text(),
            "is_secondary": pa.Column("boolean"),
            **_CITATION,
        },
        checks=[
            pa.Check(
                lambda f: (
                    (f["prosecutions_labor"] <= f["prosecutions"]).fillna(True)
                    & (f["convictions_labor"] <= f["convictions"]).fillna(True)
                    & (f["victims_identified_labor"] <= f["victims_identified"]).fillna(True)
                ),
                error="a labour figure exceeds its total (labour figures are subsets)",
            )
        ],
        strict=True,
        ordered=True,
    )

    EUROSTAT = pa.DataFrameSchema(
        {
            "year": pa.Column("Int64", pa.Check.in_range(2000, 2030)),
            "geo": _text(["EU27_2020"]),
            "indicator": _text(),
            "value": pa.Column("Float64", pa.Check.ge(0)),
            "unit": _text(EUROSTAT_UNITS),
            "eurostat_table": _text(nullable=True),
            "release": pa.Column("string", pa.Check.str_matches(r"^[A-Z][a-z]{2} \d{4} release$")),
            "release_month": pa.Column("string", pa.Check.str_matches(r"^\d{4}-\d{2}$")),
            "is_secondary": pa.Column("boolean"),
            **_CITATION,
            "latest": pa.Column("boolean"),  # the figure's latest release: what comparisons use
        },
        checks=[
            pa.Check(
                lambda f: (f["unit"] != "percent") | (f["value"] <= 100),
                error="a percentage above 100",
            ),
            pa.Check(
                lambda f: (
                    f[f["latest"]].groupby(["year", "geo", "indicator"]).size().eq(1).all()
                    & f.groupby(["year", "geo", "indicator"])["latest"].any().all()
                ),
                error="not exactly one latest release per year, area and indicator",
            ),
        ],
        unique=["year", "geo", "indicator", "release"],
        strict=True,
        ordered=True,
    )

    BELARUS = pa.DataFrameSchema(
        {
            "year_start": pa.Column("Int64", pa.Check.in_range(1990, 2030)),
            "year_end": pa.Column("Int64", pa.Check.in_range(1990, 2030)),
            "period": _text(),
            "indicator": _text(),
            "value": _count(nullable=False),
            "value_qualifier": _text(BELARUS_QUALIFIERS, nullable=True),
            "unit": _text(),
            "reported_by": _text(),
            **_CITATION,
        },
        checks=[
            pa.Check(lambda f: f["year_start"] <= f["year_end"], error="year_start after year_end")
        ],
        unique=["year_start", "year_end", "period", "indicator"],
        strict=True,
        ordered=True,
    )

    return {
        "GLOTIP": GLOTIP,
        "GLOTIP_VINTAGE_DIFF": GLOTIP_VINTAGE_DIFF,
        "US_TIP": US_TIP,
        "EUROSTAT": EUROSTAT,
        "BELARUS": BELARUS,
    }


SCHEMAS = ("GLOTIP", "GLOTIP_VINTAGE_DIFF", "US_TIP", "EUROSTAT", "BELARUS")


def __getattr__(name: str):
    """The pandera schemas, built on first use: importing pandera takes half a second."""
    if name in SCHEMAS:
        globals().update(_schemas())
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
