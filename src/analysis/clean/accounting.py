"""Row accounting for cleaning steps: every raw row ends up either cleaned or quarantined."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analysis.data.errors import DataError


@dataclass
class Cleaned:
    """A cleaning step's result: the tidy table and the rejected raw rows with a reason each."""

    table: pd.DataFrame
    quarantine: pd.DataFrame  # raw columns as text, plus `source_row` and `reason`
    transcribed: int = 0  # rows added from a table transcribed in the project, with citations


def quarantine(raw: pd.DataFrame, mask: pd.Series, reason: str) -> pd.DataFrame:
    """The raw rows selected by `mask`, as text, with their 0-based data-row number and a reason."""
    rows = raw.loc[mask].astype("string")
    return rows.assign(source_row=rows.index.astype("int64"), reason=reason).reset_index(drop=True)


def empty_quarantine(raw: pd.DataFrame) -> pd.DataFrame:
    return quarantine(raw, pd.Series(False, index=raw.index), "")


def counts(values: pd.Series) -> dict[str, int]:
    """Rows per distinct value, in the order of the values, for a quality record."""
    return {str(k): int(v) for k, v in values.value_counts().sort_index().items()}


def missingness(frame: pd.DataFrame) -> dict[str, float]:
    """Share of missing values per column, rounded to 4 decimals."""
    return {col: round(float(share), 4) for col, share in frame.isna().mean().items()}


def summarise(name: str, rows_in: int, cleaned: Cleaned) -> dict:
    """Rows in (and transcribed), out and quarantined by reason; an error if any row is
    unaccounted for."""
    by_reason = cleaned.quarantine["reason"].value_counts().sort_index()
    rows_out, rows_quarantined = len(cleaned.table), int(by_reason.sum())
    if rows_out + rows_quarantined != rows_in + cleaned.transcribed:
        added = f" and {cleaned.transcribed} transcribed" if cleaned.transcribed else ""
        raise DataError(f"{name}: {rows_in} raw rows{added} but {rows_out} cleaned + "
                        f"{rows_quarantined} quarantined")  # fmt: skip
    return {
        "rows_in": rows_in,
        "rows_transcribed": cleaned.transcribed,
        "rows_out": rows_out,
        "rows_quarantined": rows_quarantined,
        "quarantined_by_reason": {str(k): int(v) for k, v in by_reason.items()},
        "missingness": missingness(cleaned.table),
    }


def check_columns(found: list[str], expected: list[str], place: str, layout: str) -> None:
    """A DataError naming the missing and unexpected columns unless `found` is `expected`."""
    if found != expected:
        missing = [c for c in expected if c not in found]
        unexpected = [c for c in found if c not in expected]
        raise DataError(
            f"{place}: columns differ from the {layout}; missing {missing}, unexpected "
            f"{unexpected} (expected, in order: {expected})"
        )
