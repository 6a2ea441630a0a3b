"""Small-cell suppression and proportions with confidence intervals.

Suppression rule (one rule for every published table and figure): a count of 1 to
`threshold - 1` is a small cell. It is shown as `<threshold` and never plotted as an exact
value. Zero is shown as zero (it concerns nobody). A share is suppressed when its numerator
or the rest of its denominator is a small cell, since the share and the total would reveal it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

DEFAULT_THRESHOLD = 10


def is_small(counts: pd.Series | pd.DataFrame, threshold: int = DEFAULT_THRESHOLD):
    """True where a count is a small cell (1 to threshold - 1)."""
    if threshold < 1:
        raise ValueError(f"the small-cell threshold must be at least 1, got {threshold}")
    return (counts > 0) & (counts < threshold)


def mask_small(counts: pd.Series | pd.DataFrame, threshold: int = DEFAULT_THRESHOLD):
    """Counts as floats with small cells set to NaN: what a figure may plot."""
    return counts.astype("Float64").mask(is_small(counts, threshold)).astype(float)


def suppress(counts: pd.Series | pd.DataFrame, threshold: int = DEFAULT_THRESHOLD):
    """Counts as display text: small cells become '<threshold', others '1,234'."""

    def label(value) -> str:
        if pd.isna(value):
            return ""
        return f"<{threshold}" if 0 < value < threshold else f"{int(value):,}"

    is_small(counts, threshold)  # validates the threshold
    if isinstance(counts, pd.DataFrame):
        return counts.apply(lambda col: col.map(label)).astype("string")
    return counts.map(label).astype("string")


def proportion_ci(
    successes, totals, confidence: float = 0.95, method: str = "wilson"
) -> pd.DataFrame:
    """Share with its confidence interval (Wilson by default; 'beta' is Clopper-Pearson)."""
    both_series = isinstance(successes, pd.Series) and isinstance(totals, pd.Series)
    if both_series and not successes.index.equals(totals.index):
        raise ValueError("successes and totals must have the same index")
    successes = pd.Series(successes, dtype="float64")
    totals = pd.Series(np.asarray(totals, dtype="float64"), index=successes.index)
    if ((successes < 0) | (successes > totals)).any():
        bad = successes.index[(successes < 0) | (successes > totals)].tolist()
        raise ValueError(f"successes must lie between 0 and the total; rows {bad}")
    valid = totals > 0
    lower = pd.Series(np.nan, index=successes.index)
    upper = pd.Series(np.nan, index=successes.index)
    if valid.any():
        low, high = proportion_confint(
            successes[valid], totals[valid], alpha=1 - confidence, method=method
        )
        lower[valid], upper[valid] = low, high
    share = (successes / totals).where(valid)
    return pd.DataFrame(
        {"successes": successes, "total": totals, "share": share, "lower": lower, "upper": upper}
    )


def suppressed_shares(
    successes, totals, threshold: int = DEFAULT_THRESHOLD, confidence: float = 0.95
) -> pd.DataFrame:
    """`proportion_ci` with the share and interval removed where they would reveal a small cell."""
    table = proportion_ci(successes, totals, confidence)
    hidden = is_small(table["successes"], threshold) | is_small(
        table["total"] - table["successes"], threshold
    )
    table[["share", "lower", "upper"]] = table[["share", "lower", "upper"]].mask(hidden, axis=0)
    table["suppressed"] = hidden
    return table


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
    text = suppress(counts, threshold)
    secondary = hidden_cells(counts, threshold, lines) & ~is_small(counts, threshold).fillna(False)
    return text.mask(secondary, "(s)")


def share_text(share, lower=None, upper=None, hidden: str = "suppressed", digits: int = 1) -> str:
    """'76.4% (76.1–76.6)' (or '76%' without an interval); `hidden` where the share is missing,
    which is where it would reveal a small cell. The one formatter of every published share."""
    if share is None or pd.isna(share):
        return hidden
    text = f"{100 * share:.{digits}f}%"
    if lower is None or upper is None or pd.isna(lower) or pd.isna(upper):
        return text
    return f"{text} ({100 * lower:.{digits}f}–{100 * upper:.{digits}f})"


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
    for key, value in (("share", share), ("lower", lower), ("upper", upper)):
        record[key] = None if hidden or pd.isna(value) else float(value)
    return record
