"""The one table formatter: every table of a report as a reader sees it ('–' for missing,
yes/no, 1,234, shares as per cent, years as 2019, text such as '<10' as is, names in words)."""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html import escape

import numpy as np
import pandas as pd

MISSING = "–"
WRAP_STYLE = "overflow-x:auto;max-width:100%;margin:0.5rem 0 1rem 0"
TABLE_CLASS = "thb-table"
_TERM = re.compile(r"C\((?P<var>[^),]+).*?\)\[T\.(?P<level>[^\]]+)\]|(?P<plain>[^:]+)")


def words(name) -> str:
    """A column name as words ('rows_quarantined' → 'rows quarantined'; a tuple: ' – ')."""
    if isinstance(name, tuple):
        return " – ".join(words(part) for part in name if str(part) != "")
    return str(name).replace("_", " ").strip()


def listed(items: list[str], conjunction: str = "and") -> str:
    """Items as a sentence lists them: 'a, b and c' ('' for none)."""
    if len(items) < 2:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def _is_missing(value) -> bool:
    return pd.api.types.is_scalar(value) and bool(pd.isna(value))


def number_text(value, digits: int = 1) -> str:
    """Whole numbers as 1,234, others with `digits` decimals; missing as '–'."""
    if _is_missing(value):
        return MISSING
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}"
    value = float(value)
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    if value.is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:,.{digits}f}"


def percent_text(value, digits: int = 1) -> str:
    """A share (0–1) as per cent; missing as '–'; text (a range, 'suppressed') as is."""
    if isinstance(value, str) or _is_missing(value):
        return cell_text(value)
    return f"{float(value):.{digits}%}"


def is_year_column(name) -> bool:
    """A column of years ('year', 'year_start', 'first reference year')."""
    return "year" in words(name).lower().split()


def year_text(value) -> str:
    """A year as written: 2019 (no thousands separator); anything else as `cell_text`."""
    if isinstance(value, numbers.Number) and float(value).is_integer():
        return str(int(value))
    return cell_text(value)


def cell_text(value, digits: int = 1) -> str:
    """Any cell as text: numbers by `number_text`, booleans as yes/no, text as is."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | np.bool_ | numbers.Number) or _is_missing(value):
        return number_text(value, digits)
    return str(value)


def model_term(
    term: str,
    references: Mapping[str, str] | None = None,
    names: Mapping[str, str] | None = None,
) -> str:
    """A patsy term in words: 'C(destination)[T.IDN]' → 'destination IDN (against USA)';
    `names` gives words for variables and levels."""
    if term == "Intercept":
        return "baseline (all reference categories)"
    references, names = references or {}, names or {}
    parts = []
    for piece in term.split(":"):
        match = _TERM.fullmatch(piece.strip())
        if match is None or match.group("plain"):
            parts.append(names.get(piece.strip(), words(piece.strip())))
            continue
        var, level = match.group("var").strip(), match.group("level")
        text = f"{names.get(var, words(var))} {names.get(level, level)}"
        if var in references:
            text += f" (against {names.get(references[var], references[var])})"
        parts.append(text)
    return " × ".join(parts)


@dataclass
class Table:
    """A DataFrame as a reader sees it (see the module docstring)."""

    frame: pd.DataFrame
    caption: str = ""
    shares: Sequence[str] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    index: bool = False
    digits: int = 1
    share_digits: int = 1
    note: str = ""  # a line under the table (a key to its marks, say)
    link: str = ""  # set by `Report.show_table`: the table's CSV in the run folder

    def shown(self) -> pd.DataFrame:
        """The table as text (what the HTML and the CSV hold)."""
        frame = self.frame.reset_index() if self.index else self.frame
        text = pd.DataFrame(index=range(len(frame)))
        for position, column in enumerate(frame.columns):
            values = frame.iloc[:, position]
            if column in self.shares:
                cells = [percent_text(v, self.share_digits) for v in values]
            elif is_year_column(column) or is_year_column(self.labels.get(column, "")):
                cells = [year_text(v) for v in values]
            else:
                cells = [cell_text(v, self.digits) for v in values]
            text[position] = cells
        text.columns = [self.labels.get(c, words(c)) for c in frame.columns]
        return text

    def html(self) -> str:
        text = self.shown()
        numeric = [self._numeric(text.iloc[:, k]) for k in range(text.shape[1])]
        # Numbers right, text left (the notebook style sheet would right-align every cell).
        align = [f'style="text-align:{"right" if num else "left"}"' for num in numeric]
        head = "".join(
            f"<th {a}>{escape(str(c))}</th>" for c, a in zip(text.columns, align, strict=True)
        )
        rows = []
        for row in text.itertuples(index=False):
            cells = "".join(f"<td {a}>{escape(v)}</td>" for v, a in zip(row, align, strict=True))
            rows.append(f"<tr>{cells}</tr>")
        caption = f"<caption>{escape(self.caption)}</caption>" if self.caption else ""
        body = (f'<table class="{TABLE_CLASS}">{caption}<thead><tr>{head}</tr></thead>'
                f"<tbody>{''.join(rows)}</tbody></table>")  # fmt: skip
        under = [escape(self.note)] if self.note else []
        if self.link:
            under.append(f'<a href="{escape(self.link)}">table as CSV</a>')
        foot = f"<p><small>{' · '.join(under)}</small></p>" if under else ""
        return f'<div style="{WRAP_STYLE}">{body}</div>{foot}'

    @staticmethod
    def _numeric(column: pd.Series) -> bool:
        """Right-align a column of numbers (as text: '1,234', '<10', '74.8%', '–', '14 (7%)')."""
        pattern = re.compile(r"^[<>≥≤−+\-–]?[\d,.\s%–−-]*%?( \([\d,.]+%\))?$|^\(s\)$")
        cells = [c for c in column if c != MISSING]
        return bool(cells) and all(pattern.match(c) for c in cells)

    def _repr_html_(self) -> str:
        return self.html()
