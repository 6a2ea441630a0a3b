"""The published list-overlap tables of multiple systems estimation (source `mse_tables`).

Each table has one 0/1 column per list and a last column of counts: how many cases were seen on
exactly that combination of lists. `analysis.mse.as_table` validates a table; this module only
names the tables and reads them from data/raw.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis.data import sources

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


def _table_info(row: dict[str, str]) -> TableInfo:
    low, high = row["published_low"], row["published_high"]
    return TableInfo(
        row["title"],
        trafficking=row["trafficking"] == "1",
        years=row["years"],
        published=(float(low), float(high)) if low else None,
        published_note=row["published_note"],
    )


with TABLES_FILE.open(encoding="utf-8", newline="") as _fh:
    TABLES = {row["table"]: _table_info(row) for row in csv.DictReader(_fh)}


def file_name(name: str) -> str:
    """The registered file of a table, e.g. 'UKdat_5.csv' (errors and results name it)."""
    return f"{name}.csv"


def read(name: str) -> pd.DataFrame:
    """One registered table as published, e.g. "UKdat_5", unvalidated."""
    return sources.read_csv(sources.raw_path(SOURCE, file_name(name)))
