"""Hand-transcribed enforcement tables: US TIP global figures, Eurostat EU headlines, Belarus press.

Each row is a fact copied from a cited page, so nothing is dropped or guessed: a bad value or
column stops the step with an error naming the file, column and rows.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import pandas as pd

from analysis import catalog
from analysis.clean import accounting, glotip
from analysis.data import countries, sources
from analysis.data import population as wpp
from analysis.data.errors import DataError
from analysis.schemas.enforcement import US_TIP_COUNTS

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


def clean_us_tip(raw: pd.DataFrame, path: Path | str = "") -> accounting.Cleaned:
    """One row per year, as the TIP table prints it; labour figures are subsets of the totals."""
    table = pd.DataFrame({col: to_number(raw, col, path) for col in ["year", *US_TIP_COUNTS]})
    table["tip_report_edition"] = raw["tip_report_edition"]
    table["is_secondary"] = raw["tip_report_edition"].str.contains("secondary").astype("boolean")
    table[["source_address", "note"]] = raw[["source_address", "note"]]
    table = catalog.validate("us_tip", table, f"US TIP table ({path})")
    return accounting.Cleaned(table, accounting.empty_quarantine(raw))


# Revised values that the headlines file gives only in a note, transcribed with their citation.
EUROSTAT_REVISIONS = Path(__file__).parents[1] / "mappings" / "eurostat_revisions.csv"


def clean_eurostat(
    raw: pd.DataFrame, path: Path | str = "", revisions: Path = EUROSTAT_REVISIONS
) -> accounting.Cleaned:
    """Long form as transcribed, plus the revisions the file gives only in notes (rows of their
    release); `latest` marks each figure's latest release, the one every comparison uses."""
    added = _eurostat_rows(read_table(revisions, EUROSTAT_COLUMNS), revisions)
    table = pd.concat([_eurostat_rows(raw, path), added], ignore_index=True)
    key = ["year", "geo", "indicator"]
    newest = table.groupby(key)["release_month"].transform("max")
    table["latest"] = (table["release_month"] == newest).astype("boolean")
    table = catalog.validate(
        "eurostat_thb", table, f"Eurostat headlines ({path}, {revisions.name})"
    )
    return accounting.Cleaned(table, accounting.empty_quarantine(raw), transcribed=len(added))


def _eurostat_rows(raw: pd.DataFrame, path: Path | str) -> pd.DataFrame:
    """The rows of one transcribed file, with the release as a month and a secondary flag."""
    release_month = pd.to_datetime(
        raw["release"].str.removesuffix(" release"), format="%b %Y", errors="coerce"
    )
    if release_month.isna().any():
        rows = [int(i) + 2 for i in raw.index[release_month.isna()]]
        raise DataError(f"{path}, column 'release': not like 'Jan 2024 release' in line(s) {rows}")
    hosts = raw["source_address"].map(lambda a: urlparse(a).hostname or "", na_action="ignore")
    return pd.DataFrame(
        {
            "year": to_number(raw, "year", path),
            "geo": raw["geo"],
            "indicator": raw["indicator"],
            "value": to_number(raw, "value", path, "Float64"),
            "unit": raw["unit"],
            "eurostat_table": raw["eurostat_table_named_in_source"],
            "release": raw["release"],
            "release_month": release_month.dt.strftime("%Y-%m").astype("string"),
            "is_secondary": (~hosts.str.endswith(EUROSTAT_HOST)).astype("boolean"),
            "source_address": raw["source_address"],
            "note": raw["note"],
        }
    )


def clean_belarus(raw: pd.DataFrame, path: Path | str = "") -> accounting.Cleaned:
    """Press-quoted figures; indicators mix definitions, so they are kept as named in the source.
    `2007` is one year; `2002-2013` a cumulative figure over a range of years."""
    years = raw["year"].str.extract(r"^(\d{4})(?:-(\d{4}))?$")
    if years[0].isna().any():
        rows = [int(i) + 2 for i in raw.index[years[0].isna()]]
        raise DataError(f"{path}, column 'year': not a year or year range in line(s) {rows}")
    table = pd.DataFrame(
        {
            "year_start": years[0].astype("Int64"),
            "year_end": years[1].fillna(years[0]).astype("Int64"),
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
    table = catalog.validate("belarus_press", table, f"Belarus press figures ({path})")
    return accounting.Cleaned(table, accounting.empty_quarantine(raw))


# --- The small tables against themselves -------------------------------------------------------

ROUNDING = 1.0  # points: shares published to whole per cent add up to 100 within this
EUROSTAT_SHARES = {  # shares of registered victims that make up the whole
    "citizenship shares": ("victims_citizens_of_reporting_country_share",
                           "victims_other_eu_citizens_share", "victims_non_eu_citizens_share"),
    "form shares": ("victims_sexual_exploitation_share", "victims_forced_labour_share",
                    "victims_other_exploitation_share"),
}  # fmt: skip
EUROSTAT_COUNTS = ("victims_sexual_exploitation", "victims_forced_labour",
                   "victims_other_exploitation")  # fmt: skip


def source_checks(eurostat: pd.DataFrame, population=None) -> pd.DataFrame:
    """Every place where Eurostat's parts meet a whole, one row per check and year: shares
    adding up to 100 (at most 100 when one is not published), counts by form within the total
    and, with `population` (WPP), the rate per million against the total."""
    rows = []
    latest = eurostat[eurostat["latest"].fillna(False).astype(bool)]
    wide = latest.pivot_table(index="year", columns="indicator", values="value", aggfunc="first")
    for year, r in wide.iterrows():
        for check, parts in EUROSTAT_SHARES.items():
            known = [float(r[p]) for p in parts if p in r and pd.notna(r[p])]
            if len(known) < 2:
                continue
            total = sum(known)
            full = len(known) == len(parts)
            agrees = abs(total - 100) <= ROUNDING if full else total <= 100 + ROUNDING
            what = "add up to 100" if full else "at most 100 (one part not published)"
            rows.append(("Eurostat", int(year), f"{check} {what}", f"{total:.1f}%", agrees))
        counts = [float(r[c]) for c in EUROSTAT_COUNTS if c in r and pd.notna(r[c])]
        if counts and pd.notna(r.get("registered_victims")):
            total = float(r["registered_victims"])
            rows.append(("Eurostat", int(year), "victims by form within the total",
                         f"{sum(counts):,.0f} of {total:,.0f}", sum(counts) <= total))  # fmt: skip
        rate = r.get("registered_victims_per_million")
        if population is not None and pd.notna(rate) and pd.notna(r.get("registered_victims")):
            eu = population[countries.is_eu27(population["iso3"]).fillna(False).astype(bool)]
            people = float(eu.loc[eu["year"] == year, "population"].sum())
            if people:
                implied = float(r["registered_victims"]) / people * 1e6
                rows.append(("Eurostat", int(year), "rate per million against the total and "
                             "the EU-27 population", f"{rate:.0f} published, {implied:.1f} implied",
                             abs(implied - float(rate)) <= 0.5 + 1e-9))  # fmt: skip
    return pd.DataFrame(rows, columns=["source", "year", "check", "figures", "agrees"])


def checks_summary(checks: pd.DataFrame) -> list[dict]:
    """Per source and check: the years checked and those that disagree (for the quality file)."""
    return [
        {"source": source, "check": check, "years": sorted(int(y) for y in part["year"]),
         "disagree": sorted(int(y) for y in part.loc[~part["agrees"], "year"])}
        for (source, check), part in checks.groupby(["source", "check"], sort=False)
    ]  # fmt: skip


TABLES = {  # output name: (registered source, expected columns, cleaning function)
    "us_tip": ("us_tip_law_enforcement", US_TIP_COLUMNS, clean_us_tip),
    "eurostat_thb": ("eurostat_thb_headlines", EUROSTAT_COLUMNS, clean_eurostat),
    "belarus_press": ("belarus_press", BELARUS_COLUMNS, clean_belarus),
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


def build(
    vintages: list[str] | None = None,
    output_dir: Path | None = None,
    raw_root: Path | None = None,
) -> tuple[dict[str, glotip.Vintage], dict[str, pd.DataFrame], dict]:
    """The whole enforcement step: clean everything, then write (an error leaves earlier
    outputs intact)."""
    vintage_results = glotip.clean_vintages(vintages, raw_root)
    tables, quality = clean_all(raw_root)
    quality = {"glotip": {v: r.quality for v, r in vintage_results.items()}, **quality}
    checks = source_checks(tables["eurostat_thb"], wpp.load(raw_root))
    quality["eurostat_thb"]["consistency"] = checks_summary(checks)
    glotip.write(vintage_results, output_dir)
    for name, table in tables.items():
        catalog.write(name, table, output_dir)
    catalog.write("enforcement_quality", quality, output_dir)
    return vintage_results, tables, quality
