"""Hand-transcribed enforcement tables: US TIP global figures, Eurostat EU headlines, Belarus press.

Each row of these files is a fact copied from a cited page, so nothing is dropped or guessed:
a value that does not parse, or a column that is missing or renamed, stops the step with an
error naming the file, column and rows. The tables keep their source address, edition or
release and note columns, and say whether a row comes from a secondary source.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import pandas as pd

from analysis import catalog
from analysis.clean import accounting, glotip
from analysis.data import sources
from analysis.data.errors import DataError
from analysis.schemas.enforcement import (
    BELARUS,
    EUROSTAT,
    US_TIP,
    US_TIP_COUNTS,
    validate,
)

US_TIP_SOURCE = "us_tip_law_enforcement"
EUROSTAT_SOURCE = "eurostat_thb_headlines"
BELARUS_SOURCE = "belarus_press"

US_TIP_COLUMNS = ["year", *US_TIP_COUNTS, "tip_report_edition", "source_address", "note"]
EUROSTAT_COLUMNS = ["year", "geo", "indicator", "value", "unit", "eurostat_table_named_in_source",
                    "release", "source_address", "note"]  # fmt: skip
BELARUS_COLUMNS = ["year", "period", "indicator", "value", "value_qualifier", "unit",
                   "reported_by", "source_address", "note"]  # fmt: skip
EUROSTAT_HOST = "europa.eu"  # rows from other hosts quote Eurostat second-hand


def read_table(path: Path, columns: list[str]) -> pd.DataFrame:
    """Read a transcribed CSV as text, with exactly the expected columns in order."""
    frame = sources.read_csv(path, dtype="string")
    accounting.check_columns(list(frame.columns), columns, str(path), "expected layout")
    return frame.apply(lambda col: col.str.strip())


def to_number(frame: pd.DataFrame, column: str, path: Path, dtype: str = "Int64") -> pd.Series:
    """A numeric column; blanks stay <NA>, any other text is an error naming the rows."""
    text = frame[column]
    number = pd.to_numeric(text, errors="coerce")
    bad = text.notna() & number.isna()
    if dtype == "Int64":
        bad |= number.notna() & (number % 1 != 0)
    if bad.any():
        rows = [int(i) + 2 for i in frame.index[bad]]  # +2: header line, 1-based
        raise DataError(
            f"{path}, column {column!r}: not a number in line(s) {rows} ({text[bad].tolist()[:5]})"
        )
    return number.astype(dtype)


def is_secondary_address(address: pd.Series, host: str) -> pd.Series:
    hosts = address.map(lambda a: urlparse(a).hostname or "", na_action="ignore")
    return (~hosts.str.endswith(host)).astype("boolean")


def clean_us_tip(raw: pd.DataFrame, path: Path | str = "") -> accounting.Cleaned:
    """One row per year, as the TIP table prints it; labour figures are subsets of the totals."""
    table = pd.DataFrame({"year": to_number(raw, "year", path)})
    for col in US_TIP_COUNTS:
        table[col] = to_number(raw, col, path)
    table["tip_report_edition"] = raw["tip_report_edition"]
    table["is_secondary"] = raw["tip_report_edition"].str.contains("secondary").astype("boolean")
    table["source_address"] = raw["source_address"]
    table["note"] = raw["note"]
    table = validate(table, US_TIP, f"US TIP table ({path})")
    return accounting.Cleaned(table, accounting.empty_quarantine(raw))


# Revised values that the headlines file gives only in a note, transcribed with their citation.
EUROSTAT_REVISIONS = Path(__file__).parents[1] / "mappings" / "eurostat_revisions.csv"


def clean_eurostat(
    raw: pd.DataFrame, path: Path | str = "", revisions: Path = EUROSTAT_REVISIONS
) -> accounting.Cleaned:
    """Long form as transcribed, with the revisions that the file gives only in notes (their
    own rows, of their release); each figure's latest release is marked `latest`, the one
    every comparison uses; older releases stay as the vintage record."""
    added = _eurostat_rows(read_table(revisions, EUROSTAT_COLUMNS), revisions)
    table = pd.concat([_eurostat_rows(raw, path), added], ignore_index=True)
    key = ["year", "geo", "indicator"]
    newest = table.groupby(key)["release_month"].transform("max")
    table["latest"] = (table["release_month"] == newest).astype("boolean")
    table = validate(table, EUROSTAT, f"Eurostat headlines ({path}, {revisions.name})")
    return accounting.Cleaned(table, accounting.empty_quarantine(raw), transcribed=len(added))


def _eurostat_rows(raw: pd.DataFrame, path: Path | str) -> pd.DataFrame:
    """The rows of one transcribed file, with the release as a month and a secondary flag."""
    release_month = pd.to_datetime(
        raw["release"].str.removesuffix(" release"), format="%b %Y", errors="coerce"
    )
    if release_month.isna().any():
        rows = [int(i) + 2 for i in raw.index[release_month.isna()]]
        raise DataError(f"{path}, column 'release': not like 'Jan 2024 release' in line(s) {rows}")
    table = pd.DataFrame(
        {
            "year": to_number(raw, "year", path),
            "geo": raw["geo"],
            "indicator": raw["indicator"],
            "value": to_number(raw, "value", path, "Float64"),
            "unit": raw["unit"],
            "eurostat_table": raw["eurostat_table_named_in_source"],
            "release": raw["release"],
            "release_month": release_month.dt.strftime("%Y-%m").astype("string"),
            "is_secondary": is_secondary_address(raw["source_address"], EUROSTAT_HOST),
            "source_address": raw["source_address"],
            "note": raw["note"],
        }
    )
    return table


def split_years(raw: pd.DataFrame, path: Path | str = "") -> tuple[pd.Series, pd.Series]:
    """`2007` is one year; `2002-2013` is a cumulative figure over a range of years."""
    parts = raw["year"].str.extract(r"^(\d{4})(?:-(\d{4}))?$")
    bad = parts[0].isna()
    if bad.any():
        rows = [int(i) + 2 for i in raw.index[bad]]
        raise DataError(f"{path}, column 'year': not a year or year range in line(s) {rows}")
    start = parts[0].astype("Int64")
    return start, parts[1].fillna(parts[0]).astype("Int64")


def clean_belarus(raw: pd.DataFrame, path: Path | str = "") -> accounting.Cleaned:
    """Press-quoted figures; indicators mix definitions, so they are kept as named in the source."""
    year_start, year_end = split_years(raw, path)
    table = pd.DataFrame(
        {
            "year_start": year_start,
            "year_end": year_end,
            "period": raw["period"],
            "indicator": raw["indicator"],
            "value": to_number(raw, "value", path),
            "value_qualifier": raw["value_qualifier"],
            "unit": raw["unit"],
            "reported_by": raw["reported_by"],
            "source_address": raw["source_address"],
            "note": raw["note"],
        }
    )
    table = validate(table, BELARUS, f"Belarus press figures ({path})")
    return accounting.Cleaned(table, accounting.empty_quarantine(raw))


TABLES = {  # output name: (registered source, expected columns, cleaning function)
    "us_tip": (US_TIP_SOURCE, US_TIP_COLUMNS, clean_us_tip),
    "eurostat_thb": (EUROSTAT_SOURCE, EUROSTAT_COLUMNS, clean_eurostat),
    "belarus_press": (BELARUS_SOURCE, BELARUS_COLUMNS, clean_belarus),
}


def clean_all(raw_root: Path | None = None) -> tuple[dict[str, pd.DataFrame], dict]:
    """Clean the three tables; return them and their row accounting, writing nothing."""
    tables, quality = {}, {}
    for name, (source, columns, clean) in TABLES.items():
        path = sources.raw_path(source, raw_root=raw_root)
        raw = read_table(path, columns)
        cleaned = clean(raw, path)
        tables[name] = cleaned.table
        quality[name] = accounting.summarise(name, len(raw), cleaned) | {
            "file": path.name,
            "source": source,
        }
    return tables, quality


def write(tables: dict[str, pd.DataFrame], output_dir: Path | None = None) -> None:
    for name, table in tables.items():
        catalog.write(name, table, output_dir)


def write_quality(quality: dict, output_dir: Path | None = None) -> Path:
    """The row accounting of every enforcement source in one JSON file."""
    return catalog.write("enforcement_quality", quality, output_dir)


def build(
    vintages: list[str] | None = None,
    output_dir: Path | None = None,
    raw_root: Path | None = None,
) -> tuple[dict[str, glotip.Vintage], dict[str, pd.DataFrame], dict]:
    """The whole enforcement step: clean everything first, then write every output.

    Any error is raised before the first write, so earlier outputs stay intact.
    """
    vintage_results = glotip.clean_vintages(vintages, raw_root)
    tables, quality = clean_all(raw_root)
    quality = {"glotip": {v: r.quality for v, r in vintage_results.items()}, **quality}
    glotip.write(vintage_results, output_dir)
    write(tables, output_dir)
    write_quality(quality, output_dir)
    return vintage_results, tables, quality
