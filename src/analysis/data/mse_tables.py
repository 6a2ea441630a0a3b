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
MSETOOLS = "as encoded by Binette and Steorts, 2021"
_NED_PUBLISHED = (42000.0, 58000.0)
_NED_NOTE = ("42,000–58,000 presumed victims over 2010–2015, the pooled table's own population "
             "(van Dijk, Cruyff, van der Heijden and Kragten-Heerdink, 2017, for the Dutch "
             f"National Rapporteur and UNODC; {MSETOOLS}); the same study's yearly figure is "
             "about 6,250")  # fmt: skip
_UK_PUBLISHED = (10000.0, 13000.0)
_UK_NOTE = "10,000–13,000 potential victims in 2013 (Home Office, 2014, B. W. Silverman)"
_NEW_ORLEANS_PUBLISHED = (650.0, 1700.0)
_NEW_ORLEANS_NOTE = ("650–1,700 victims in Greater New Orleans (Bales, Murphy and Silverman, "
                     f"2020; {MSETOOLS})")  # fmt: skip
_WESTERN_PUBLISHED = (1600.0, 3600.0)
_WESTERN_NOTE = ("1,600–3,600 victims at the US Western site (Farrell and colleagues, 2019, for "
                 f"the National Institute of Justice; {MSETOOLS})")  # fmt: skip

TABLES = {
    "UKdat_5": TableInfo("UK 2013, 5 lists", published=_UK_PUBLISHED, published_note=_UK_NOTE),
    "UKdat": TableInfo("UK 2013, 6 lists", published=_UK_PUBLISHED, published_note=_UK_NOTE),
    "Ned_5": TableInfo("Netherlands, 5 lists", years="2010–2015", published=_NED_PUBLISHED,
                       published_note=_NED_NOTE),
    "Ned": TableInfo("Netherlands, 6 lists", years="2010–2015", published=_NED_PUBLISHED,
                     published_note=_NED_NOTE),
    "NewOrl_5": TableInfo("New Orleans, 5 lists", published=_NEW_ORLEANS_PUBLISHED,
                          published_note=_NEW_ORLEANS_NOTE),
    "NewOrl": TableInfo("New Orleans, 8 lists", published=_NEW_ORLEANS_PUBLISHED,
                        published_note=_NEW_ORLEANS_NOTE),
    "Western": TableInfo("US Western site", published=_WESTERN_PUBLISHED,
                         published_note=_WESTERN_NOTE),
    "Korea": TableInfo("Korea"),
    "Kosovo": TableInfo("Kosovo 1999 (killings)", trafficking=False),
    "Artificial_3": TableInfo("artificial example", trafficking=False),
}  # fmt: skip


def file_name(name: str) -> str:
    """The registered file of a table, e.g. 'UKdat_5.csv' (errors and results name it)."""
    return f"{name}.csv"


def read(name: str) -> pd.DataFrame:
    """One registered table as published, e.g. "UKdat_5", unvalidated."""
    return sources.read_csv(sources.raw_path(SOURCE, file_name(name)))
