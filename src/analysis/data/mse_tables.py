"""The published list-overlap tables of multiple systems estimation (source `mse_tables`).

Each table has one 0/1 column per list and a last column of counts: how many cases were seen on
exactly that combination of lists. `analysis.mse.as_table` validates a table; this module only
names the tables and reads them from data/raw.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis.data import sources
from analysis.data.errors import check_rows

SOURCE = "mse_tables"


@dataclass(frozen=True)
class TableInfo:
    """What a published table is, and a published estimate to hold a result against."""

    title: str
    trafficking: bool = True  # False: a methods benchmark
    years: str = ""  # the years pooled, where several (MSE assumes a closed population)
    published: tuple[float, float] | None = None  # low and high of a published estimate
    published_note: str = ""  # what the published estimate is, and who published it


# Each table is held against the published range for that same table where one exists, as
# encoded by Binette and Steorts (2021, "On the Reliability of Multiple Systems Estimation for
# the Quantification of Modern Slavery"; repository OlivierBinette/MSETools,
# analyses/real_data/real_data_analysis.Rmd, `published_estimates`), citing the study behind it.
TABLES_FILE = Path(__file__).resolve().parents[1] / "mappings" / "mse_tables.csv"


def load_tables(path: Path = TABLES_FILE) -> dict[str, TableInfo]:
    table = sources.read_csv(path, dtype="string").fillna("")
    low, high = table["published_low"], table["published_high"]
    checks = {
        "repeated table": table.duplicated("table"),
        "column 'trafficking' not 0 or 1": ~table["trafficking"].isin(["0", "1"]),
        "published_low and published_high: one without the other": (low == "") != (high == ""),
    }
    for column in (low, high):
        number = pd.to_numeric(column, errors="coerce")
        checks[f"column {column.name!r} not a number"] = (column != "") & number.isna()
    check_rows(path, checks)
    return {
        row.table: TableInfo(
            row.title,
            trafficking=row.trafficking == "1",
            years=row.years,
            published=(float(row.published_low), float(row.published_high))
            if row.published_low
            else None,
            published_note=row.published_note,
        )
        for row in table.itertuples()
    }


TABLES = load_tables()


def file_name(name: str) -> str:
    """The registered file of a table, e.g. 'UKdat_5.csv' (errors and results name it)."""
    return f"{name}.csv"


def read(name: str) -> pd.DataFrame:
    """One registered table as published, e.g. "UKdat_5", unvalidated."""
    return sources.read_csv(sources.raw_path(SOURCE, file_name(name)))
