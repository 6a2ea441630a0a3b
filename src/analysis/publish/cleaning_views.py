"""What the cleaning report shows of the victim records: records per release by one coded
column (gender, age band, a form flag), as protected tables.

Each release is its own population (releases are never added together); its tables are
linked to every other report's tables of the same release by the disclosure audit.
"""

from __future__ import annotations

import pandas as pd

from analysis import victims as vic
from analysis.publish import disclosure

ALL_RECORDS = "all records"
FLAG_VALUES = {True: "yes", False: "no"}  # and "unknown" where missing


def flag_column(records: pd.DataFrame, flag: str) -> pd.Series:
    """A form flag as the categories its table shows: yes, no, unknown."""
    return records[flag].map(FLAG_VALUES).astype("string").fillna("unknown")


def release_tables(
    records: pd.DataFrame,
    column: str,
    categories: list[str],
    title: str,
    threshold: int = disclosure.DEFAULT_THRESHOLD,
) -> dict[str, disclosure.CountTable]:
    """Per release: records per category of `column` (every category, zeros included), with
    the release's total published."""
    tables = {}
    for release, part in records.groupby("release", observed=True, sort=True):
        counts = vic.cell_counts(part, {column: categories})
        tables[str(release)] = disclosure.protect(
            f"{title} ({release})", vic.population(str(release)), counts,
            disclosure.margins(counts, [()]), threshold,
        )  # fmt: skip
    return tables


def release_table(tables: dict[str, disclosure.CountTable]) -> pd.DataFrame:
    """The tables as shown: one row per release, one column per category and the total."""
    rows = {}
    for release, table in tables.items():
        text = disclosure.cell_text(table.counts, table.hidden, table.threshold)
        row = dict(zip(table.counts.index.get_level_values(0), text, strict=True))
        row[ALL_RECORDS] = disclosure.count_words(int(table.counts.sum()), table.threshold)
        rows[release] = row
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "release"
    return frame
