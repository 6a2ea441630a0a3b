"""The published list-overlap tables of multiple systems estimation (source `mse_tables`).

Each table has one 0/1 column per list and a last column of counts: how many cases were seen on
exactly that combination of lists. `analysis.mse.as_table` validates a table; this module only
names the tables and reads them from data/raw.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analysis.data import sources

SOURCE = "mse_tables"


@dataclass(frozen=True)
class TableInfo:
    """What a published table is: a title for reports, and whether it holds trafficking or
    modern-slavery cases (False: a methods benchmark)."""

    title: str
    trafficking: bool = True


TABLES = {
    "UKdat_5": TableInfo("UK 2013, 5 lists"),
    "UKdat": TableInfo("UK 2013, 6 lists"),
    "Ned_5": TableInfo("Netherlands, 5 lists"),
    "Ned": TableInfo("Netherlands, 6 lists"),
    "NewOrl_5": TableInfo("New Orleans, 5 lists"),
    "NewOrl": TableInfo("New Orleans, 8 lists"),
    "Western": TableInfo("US Western site"),
    "Korea": TableInfo("Korea"),
    "Kosovo": TableInfo("Kosovo 1999 (killings)", trafficking=False),
    "Artificial_3": TableInfo("artificial example", trafficking=False),
}


def file_name(name: str) -> str:
    """The registered file of a table, e.g. 'UKdat_5.csv' (errors and results name it)."""
    return f"{name}.csv"


def read(name: str) -> pd.DataFrame:
    """One registered table as published, e.g. "UKdat_5", unvalidated."""
    return sources.read_csv(sources.raw_path(SOURCE, file_name(name)))
