"""Schema of `data/processed/victims.parquet`: one row per CTDC record, all releases stacked.

The column lists here are the contract that cleaning (`analysis.clean.ctdc`), the data
dictionary (`analysis/data_dictionary/victims.csv`) and every analysis share.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.data import countries, releases, sources
from analysis.data.errors import DataError, check_rows

RELEASES = list(releases.CTDC)
GENDERS = ["female", "male", "transgender_nonconforming", "unknown"]
AGE_BANDS = ["0-8", "9-17", "18-20", "21-23", "24-26", "27-29", "30-38", "39-47", "48+", "unknown"]
MONTH_BANDS = ["0-12", "13-24", "25-60", "61+"]
DATASOURCES = ["case_management", "hotline"]
YEARS = (2002, 2021)  # years of registration covered by the three releases

MAPPINGS = Path(__file__).resolve().parents[1] / "mappings"
AGE_BAND = pd.CategoricalDtype(AGE_BANDS, ordered=True)
MONTHS = pd.CategoricalDtype(MONTH_BANDS, ordered=True)

# Every raw CTDC flag with its tidy name and group, and the releases that hold it (empty tidy
# name: a k-anon "not specified" flag). Within a group, a row with no flag set has the whole group
# unknown (<NA>) where the release cannot tell 0 from unknown; see analysis.clean.ctdc.
FLAGS_FILE = MAPPINGS / "ctdc_flags.csv"
GROUPS = ["exploitation", "standalone", "control", "labour", "sex", "recruiter"]


def load_flags(path: Path = FLAGS_FILE) -> pd.DataFrame:
    """The flag table, checked. Two raw names may share a tidy name (two releases' spellings
    of one flag), never within one release."""
    table = sources.read_csv(path, dtype="string").fillna("")
    if list(table.columns[:3]) != ["raw", "tidy", "group"] or set(table.columns[3:]) - {*RELEASES}:
        raise DataError(f"{path}: columns should be raw, tidy, group, then releases of {RELEASES}")
    named = table["tidy"] != ""
    checks = {
        "repeated raw name": table.duplicated("raw"),
        f"column 'group' not in {GROUPS}": named != table["group"].isin(GROUPS),
        "one tidy name in two groups": table.groupby("tidy")["group"].transform("nunique") > 1,
    }
    for release in table.columns[3:]:
        checks[f"column {release!r}: not '0' or '1'"] = ~table[release].isin(["0", "1"])
        checks[f"column {release!r}: repeated tidy name"] = (
            named & (table[release] == "1") & table.duplicated(["tidy", release])
        )
    check_rows(path, checks)
    return table


FLAG_TABLE = load_flags()


def _group(name: str) -> list[str]:
    return list(dict.fromkeys(FLAG_TABLE.loc[FLAG_TABLE["group"] == name, "tidy"]))


EXPLOITATION, STANDALONE = _group("exploitation"), _group("standalone")
CONTROL, LABOUR, SEX, RECRUITER = map(_group, ["control", "labour", "sex", "recruiter"])
FLAG_GROUPS = {
    "exploitation": EXPLOITATION,
    "control": CONTROL,
    "labour": LABOUR,
    "sex": SEX,
    "recruiter": RECRUITER,
}
FLAGS = [*EXPLOITATION, *STANDALONE, *CONTROL, *LABOUR, *SEX, *RECRUITER]
FALSE_MEANS = ["not_flagged", "not_flagged_or_unknown"]
# The non-flag columns as a reader names them (each pandera column's title).
TITLES = dict(pd.read_csv(MAPPINGS / "victims_titles.csv", dtype="string").values)


def _minor_matches_age(frame: pd.DataFrame) -> pd.Series:
    """A known age band decides is_minor; the two can never disagree."""
    minor_band = frame["age_band"].isin(["0-8", "9-17"])
    known = frame["age_band"] != "unknown"
    return ~known | frame["is_minor"].eq(minor_band).fillna(False)


def _schema() -> tuple[dict, object]:
    """The pandera columns and schema of the table (built once, on first use)."""
    import pandera.pandas as pa

    iso3 = pa.Check.isin(sorted(set(countries.converter().data["ISO3"].dropna())))

    def text(values: list[str] | None = None, nullable: bool = False) -> pa.Column:
        checks = [pa.Check.isin(values)] if values else []
        return pa.Column("string", checks, nullable=nullable)

    def country() -> pa.Column:
        return pa.Column("string", iso3, nullable=True)

    columns = {
        "release": text(RELEASES),
        "record_id": text(),
        "year": pa.Column("Int64", pa.Check.in_range(*YEARS), nullable=True),
        "datasource": text(DATASOURCES, nullable=True),
        "gender": text(GENDERS),
        "age_band": pa.Column(AGE_BAND),
        "is_minor": pa.Column("boolean", nullable=True),
        "is_minor_at_exploit": pa.Column("boolean", nullable=True),
        "months_trafficked": pa.Column(MONTHS, nullable=True),
        "citizenship": country(),
        "citizenship_un_region": text(nullable=True),
        "citizenship_eu27": pa.Column("boolean", nullable=True),
        "exploitation_country": country(),
        "exploitation_un_region": text(nullable=True),
        "exploitation_eu27": pa.Column("boolean", nullable=True),
        **{flag: pa.Column("boolean", nullable=True) for flag in FLAGS},
        "flag_false_means": text(FALSE_MEANS),
    }
    for name, column in columns.items():
        column.title = TITLES.get(name)
    schema = pa.DataFrameSchema(
        columns,
        checks=[pa.Check(_minor_matches_age, error="is_minor disagrees with age_band")],
        strict=True,
        ordered=True,
        unique=["release", "record_id"],
        name="victims",
    )
    return columns, schema


def __getattr__(name: str):
    """`COLUMNS` and `VICTIMS` (the schema), built on first use: pandera is slow to import."""
    if name in ("COLUMNS", "VICTIMS"):
        globals()["COLUMNS"], globals()["VICTIMS"] = _schema()
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
