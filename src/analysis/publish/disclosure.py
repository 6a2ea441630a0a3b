"""The small-cell rule: the one home of everything that decides what a published number may show.

A count of 1 to `threshold - 1` is a small cell. It is shown as `<threshold` (in sentences
"fewer than N") and never plotted or stated as an exact value. Zero is shown as zero (it
concerns nobody). A cell hidden only so that a published total cannot give a small cell away
(secondary suppression) reads `(s)`. A share, and its interval, is hidden whenever its count or
the rest of its total is hidden: a Wilson interval at 0% or 100% gives its n away.

Every table, figure, sentence and results JSON of a report goes through these functions, and
`Report.save()` refuses a results file that breaks the rule (`check_results`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.proportions import proportion_ci

DEFAULT_THRESHOLD = 10
SECONDARY = "(s)"  # the text of a cell hidden to protect another
HIDDEN_SHARE = "suppressed"  # the text of a hidden share
# Keys under which a results JSON holds counts of people: each is checked against the rule.
COUNT_KEYS = frozenset({"count", "total", "records", "explicit", "of", "n", "flagged",
                        "only_eu_explicit", "known", "domestic", "selected",
                        "without_year"})  # fmt: skip
SHARE_KEYS = ("share", "lower", "upper")


class DisclosureError(ValueError):
    """A number about to be published would reveal a small cell; the message names its key."""


def check_threshold(threshold: int) -> int:
    if threshold < 1:
        raise ValueError(f"the small-cell threshold must be at least 1, got {threshold}")
    return threshold


def is_small(counts, threshold: int = DEFAULT_THRESHOLD):
    """True where a count is a small cell (1 to threshold - 1)."""
    check_threshold(threshold)
    return (counts > 0) & (counts < threshold)


def small_text(threshold: int = DEFAULT_THRESHOLD) -> str:
    """How a table names a small cell: '<10'."""
    return f"<{check_threshold(threshold)}"


def fewer_than(threshold: int = DEFAULT_THRESHOLD) -> str:
    """How a sentence names a small cell."""
    return f"fewer than {check_threshold(threshold)}"


def count_words(n: int, threshold: int = DEFAULT_THRESHOLD) -> str:
    """A count as a sentence states it: '1,234', or 'fewer than 10' for a small cell."""
    return fewer_than(threshold) if is_small(n, threshold) else f"{int(n):,}"


def mask_small(counts, threshold: int = DEFAULT_THRESHOLD):
    """Counts as floats with small cells set to NaN: what a figure may plot."""
    return counts.astype("Float64").mask(is_small(counts, threshold)).astype(float)


def suppress(counts, threshold: int = DEFAULT_THRESHOLD):
    """Counts as display text: small cells become '<threshold', others '1,234'."""
    small = small_text(threshold)

    def label(value) -> str:
        if pd.isna(value):
            return ""
        return small if 0 < value < threshold else f"{int(value):,}"

    if isinstance(counts, pd.DataFrame):
        return counts.apply(lambda col: col.map(label)).astype("string")
    return counts.map(label).astype("string")


def cell_text(counts, hidden=None, threshold: int = DEFAULT_THRESHOLD):
    """Counts as a table shows them: '<threshold' for a small cell, '(s)' for a cell that
    `hidden` marks only to protect another (secondary suppression), else '1,234'."""
    text = suppress(counts, threshold)
    if hidden is None:
        return text
    if isinstance(counts, pd.DataFrame):
        hidden = hidden.reindex_like(counts)
    hidden = hidden.fillna(False).astype(bool)
    small = is_small(counts, threshold)
    small = small.fillna(False) if hasattr(small, "fillna") else small
    return text.mask(hidden & ~small, SECONDARY)


def hidden_cells(
    counts: pd.DataFrame,
    threshold: int = DEFAULT_THRESHOLD,
    lines: str = "columns",
    also: pd.DataFrame | None = None,
):
    """Cells to hide: small cells (and `also`), plus one more in any line whose total is published.

    If a line (each column, each row, or the whole table) holds exactly one hidden cell, its
    published total would give that cell away by subtraction, so the smallest other non-zero
    cell of the line is hidden too (secondary suppression). `also` marks cells hidden for a
    reason found elsewhere (another table of the same report).
    """
    if lines not in ("columns", "rows", "table"):
        raise ValueError(f"lines must be 'columns', 'rows' or 'table', got {lines!r}")
    values = counts.astype("float64")
    hidden = is_small(values, threshold).fillna(False).to_numpy().copy()
    if also is not None:
        hidden |= also.reindex_like(counts).fillna(False).to_numpy(dtype=bool)
    grid = values.to_numpy()
    if lines == "table":
        groups = [np.ones_like(hidden, dtype=bool)]
    elif lines == "columns":
        groups = [np.eye(grid.shape[1], dtype=bool)[j][None, :].repeat(grid.shape[0], 0)
                  for j in range(grid.shape[1])]  # fmt: skip
    else:
        groups = [np.eye(grid.shape[0], dtype=bool)[i][:, None].repeat(grid.shape[1], 1)
                  for i in range(grid.shape[0])]  # fmt: skip
    for line in groups:
        if (hidden & line).sum() == 1:
            candidates = np.where(line & ~hidden & (grid > 0), grid, np.inf)
            if np.isfinite(candidates).any():
                hidden[np.unravel_index(np.argmin(candidates), grid.shape)] = True
    return pd.DataFrame(hidden, index=counts.index, columns=counts.columns)


def suppress_table(
    counts: pd.DataFrame, threshold: int = DEFAULT_THRESHOLD, lines: str = "columns"
):
    """`suppress` with secondary suppression: a cell hidden only to protect a total reads '(s)'."""
    return cell_text(counts, hidden_cells(counts, threshold, lines), threshold)


def hidden_shares(counts: pd.Series, totals: pd.Series, threshold: int = DEFAULT_THRESHOLD):
    """Where a share would reveal a small cell: its count or the rest of its total is small.
    (Missing counts hide nothing: their share is missing anyway.)"""
    small = is_small(counts, threshold) | is_small(totals - counts, threshold)
    return pd.Series(small, index=counts.index).fillna(False).astype(bool)


def suppressed_shares(
    successes, totals, threshold: int = DEFAULT_THRESHOLD, confidence: float = 0.95
) -> pd.DataFrame:
    """`proportion_ci` with the share and interval removed where they would reveal a small cell."""
    table = proportion_ci(successes, totals, confidence)
    hidden = hidden_shares(table["successes"], table["total"], threshold)
    table[list(SHARE_KEYS)] = table[list(SHARE_KEYS)].mask(hidden, axis=0)
    table["suppressed"] = hidden
    return table


def share_text(share, lower=None, upper=None, hidden: str = HIDDEN_SHARE, digits: int = 1) -> str:
    """'76.4% (76.1–76.6)' (or '76%' without an interval); `hidden` where the share is missing,
    which is where it would reveal a small cell. The one formatter of every published share."""
    if share is None or pd.isna(share):
        return hidden
    text = f"{100 * share:.{digits}f}%"
    if lower is None or upper is None or pd.isna(lower) or pd.isna(upper):
        return text
    return f"{text} ({100 * lower:.{digits}f}–{100 * upper:.{digits}f})"


def hidden_share_text(threshold: int = DEFAULT_THRESHOLD) -> str:
    """How a table names a share hidden by the small-cell rule: 'suppressed (<10)'."""
    return f"{HIDDEN_SHARE} (<{check_threshold(threshold)})"


def share_record(
    count, total, share, lower, upper, threshold: int = DEFAULT_THRESHOLD, hidden: bool = False
) -> dict:
    """A share for results JSON, under the one rule: the count and the share are None when the
    count or the rest of the total is a small cell (or `hidden` says so), the total when small."""
    count = None if pd.isna(count) else int(count)
    total = None if pd.isna(total) else int(total)
    if count is not None and total is not None:
        hidden = bool(hidden or is_small(count, threshold) or is_small(total - count, threshold))
    else:
        hidden = True
    record = {
        "count": None if hidden else count,
        "total": None if total is None or is_small(total, threshold) else total,
        "suppressed": hidden,
    }
    for key, value in zip(SHARE_KEYS, (share, lower, upper), strict=True):
        record[key] = None if hidden or pd.isna(value) else float(value)
    return record


def check_results(results, threshold: int = DEFAULT_THRESHOLD, path: str = "") -> list[str]:
    """Every place in a results tree that breaks the rule, as 'key/path=value': a count key
    (`COUNT_KEYS`) holding a small cell, or a record marked `suppressed` that still holds its
    count, share or interval."""
    check_threshold(threshold)
    found = []
    if isinstance(results, dict):
        if results.get("suppressed") is True:
            found += [f"{path}/{k}={results[k]}" for k in ("count", *SHARE_KEYS)
                      if results.get(k) is not None]  # fmt: skip
        for key, value in results.items():
            where = f"{path}/{key}"
            if (
                key in COUNT_KEYS
                and isinstance(value, int | np.integer)
                and not isinstance(value, bool)
            ):
                if 0 < value < threshold:
                    found.append(f"{where}={value}")
            else:
                found += check_results(value, threshold, where)
    elif isinstance(results, list | tuple):
        for i, value in enumerate(results):
            found += check_results(value, threshold, f"{path}[{i}]")
    return found
