"""The small-cell rule: the one home of everything that decides what a published number may show.

A count of 1 to `threshold - 1` is a small cell. It is shown as `<threshold` (in sentences
"fewer than N") and never plotted or stated as an exact value. Zero is shown as zero (it
concerns nobody). A cell hidden only so that a published total cannot give a small cell away
(secondary suppression) reads `(s)`. A share, and its interval, is hidden whenever its count or
the rest of its total is hidden: a Wilson interval at 0% or 100% gives its n away.

A count table is published as a `CountTable` (`protect`): its secondary cells are chosen, and
checked by linear programming (`analysis.publish.bounds`), so that no shown cell or sum, in
this report or, through shared margins, in another, lets a reader work a small cell out.

Every table, figure, sentence and results JSON of a report goes through these functions, and
`Report.save()` refuses a results file that breaks the rule (`check_results`) and tables that
give a hidden cell away (`exposed_cells`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.publish import bounds

DEFAULT_THRESHOLD = 10
SECONDARY = "(s)"  # the text of a cell hidden to protect another
HIDDEN_SHARE = "suppressed"  # the text of a hidden share
# Keys under which a results JSON holds counts of people: each is checked against the rule.
COUNT_KEYS = frozenset({"count", "total", "records", "explicit", "of", "n", "flagged",
                        "only_eu_explicit", "known", "domestic", "selected",
                        "without_year", "count_lower", "count_upper", "total_lower",
                        "total_upper"})  # fmt: skip
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


def may_be_small(lower, upper, threshold: int = DEFAULT_THRESHOLD):
    """Whether a count known only to lie in [lower, upper] (a sum with a publisher's `<5`
    cell) may be a small cell: its least non-zero value is."""
    least = np.maximum(lower, 1)
    return (least <= upper) & is_small(least, threshold)


def small_text(threshold: int = DEFAULT_THRESHOLD) -> str:
    """How a table names a small cell: '<10'."""
    return f"<{check_threshold(threshold)}"


def fewer_than(threshold: int = DEFAULT_THRESHOLD) -> str:
    """How a sentence names a small cell."""
    return f"fewer than {check_threshold(threshold)}"


def count_words(n: int, threshold: int = DEFAULT_THRESHOLD) -> str:
    """A count as a sentence states it: '1,234', or 'fewer than 10' for a small cell."""
    return fewer_than(threshold) if is_small(n, threshold) else f"{int(n):,}"


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


LINES = {"columns": [("column",)], "rows": [("row",)], "table": [()]}


def hidden_cells(
    counts: pd.DataFrame,
    threshold: int = DEFAULT_THRESHOLD,
    lines: str = "columns",
    also: pd.DataFrame | None = None,
):
    """Cells to hide in a table that publishes the totals of its `lines` (each column, each
    row, or only the whole table): small cells (and `also`, cells hidden for a reason found
    elsewhere), and as many more as `protect` needs so that no total gives a hidden cell away.
    Missing counts are shown blank and count as zero."""
    if lines not in LINES:
        raise ValueError(f"lines must be 'columns', 'rows' or 'table', got {lines!r}")
    grid = counts.astype("float64").fillna(0).astype("int64").to_numpy()
    index = pd.MultiIndex.from_product([range(grid.shape[0]), range(grid.shape[1])],
                                       names=["row", "column"])  # fmt: skip
    cells = pd.Series(grid.ravel(), index=index)
    extra = None
    if also is not None:
        extra = also.reindex(index=counts.index, columns=counts.columns, fill_value=False)
        extra = pd.Series(extra.to_numpy(dtype=bool).ravel(), index=index)
    lines_ = margins(cells, LINES[lines])  # shown by the caller: never withheld
    table = protect("table", "", cells, threshold=threshold, also=extra, shared=lines_)
    hidden = table.hidden.to_numpy().reshape(grid.shape)
    return pd.DataFrame(hidden, index=counts.index, columns=counts.columns)


def hidden_shares(counts: pd.Series, totals: pd.Series, threshold: int = DEFAULT_THRESHOLD):
    """Where a share would reveal a small cell: its count or the rest of its total is small.
    (Missing counts hide nothing: their share is missing anyway.)"""
    small = is_small(counts, threshold) | is_small(totals - counts, threshold)
    return pd.Series(small, index=counts.index).fillna(False).astype(bool)


def share_text(share, lower=None, upper=None, hidden: str = HIDDEN_SHARE, digits: int = 1) -> str:
    """'76.4% (76.1–76.6)' (or '76%' without an interval); `hidden` where the share is missing,
    which is where it would reveal a small cell. The one formatter of every published share."""
    if share is None or pd.isna(share):
        return hidden
    text = f"{100 * share:.{digits}f}%"
    step = 10.0**-digits  # a share that rounds to 0 or 100 but is neither says so
    if share > 0 and float(text[:-1]) == 0:
        text = f"<{step:.{digits}f}%"
    elif share < 1 and float(text[:-1]) == 100:
        text = f">{100 - step:.{digits}f}%"
    if lower is None or upper is None or pd.isna(lower) or pd.isna(upper):
        return text
    return f"{text} ({100 * lower:.{digits}f}–{100 * upper:.{digits}f})"


def share_range_text(low, high, hidden: str = HIDDEN_SHARE, digits: int = 1) -> str:
    """A share known only to lie between `low` and `high`: '74.8–75.4%', or one value where
    both ends read the same; `hidden` where either end is missing."""
    if low is None or high is None or pd.isna(low) or pd.isna(high):
        return hidden
    low_text, high_text = f"{100 * low:.{digits}f}", f"{100 * high:.{digits}f}"
    return f"{low_text}%" if low_text == high_text else f"{low_text}–{high_text}%"


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


# ---------------------------------------------------------------------------------------------
# Protected tables: what a reader sees of a count table, and what they can work out from it
#
# A table is a complete grid of counts over named dimensions (zeros included). What it
# publishes: each cell (a number, `<10`, or `(s)`) and sums of cells (its margins, and margins
# of the same population that other reports publish: a "shared margin"). The record of a table
# (`CountTable.record`) holds exactly that, never a hidden value. Tables with the same
# `population` count the same people, so their common margins are equal: this links the
# tables of a whole run (`feasible_ranges`, used by `analysis audit`).


@dataclass
class CountTable:
    name: str  # the table's title in its report
    population: str  # who is counted, e.g. "CTDC kanon_2021 records"
    counts: pd.Series  # one count per cell, indexed by the dimensions (every combination)
    hidden: pd.Series  # True where the cell is not shown
    sums: tuple[dict, ...] = ()  # published sums: {dimension: values}; a missing one: all
    threshold: int = DEFAULT_THRESHOLD
    partial: tuple[str, ...] = ()  # dimensions whose categories do not cover the population
    shared: int = 0  # the first `shared` sums are published elsewhere too: never withheld
    withheld: set[int] = field(default_factory=set)  # sums not published after all: `(s)`
    # What it counts, where `population` alone does not say (`canonical`): {"population": the
    # whole grid it is part of, "fixed": {dimension: value} it selects, "rename": {its own
    # dimension: the grid's}}. `base`: the complete grid itself (the protected release).
    of: dict | None = None
    base: bool = False
    _system: tuple | None = field(default=None, repr=False, compare=False)

    @property
    def dims(self) -> list[str]:
        return [str(n) for n in self.counts.index.names]

    def kinds(self) -> pd.Series:
        """'shown', 'small' (a `<threshold` cell) or 'secondary' (a `(s)` cell) per cell; a
        zero is always shown."""
        small = is_small(self.counts, self.threshold)
        secondary = self.hidden.to_numpy() & (self.counts.to_numpy() > 0)
        kind = np.where(small, "small", np.where(secondary, "secondary", "shown"))
        return pd.Series(kind, index=self.counts.index)

    def members(self, pattern: dict) -> np.ndarray:
        """Positions of the cells a sum adds up (kept: protection asks for the same sums often)."""
        key = tuple(sorted((d, tuple(str(v) for v in vs)) for d, vs in pattern.items()))
        cache = self.__dict__.setdefault("_members", {})
        if key not in cache:
            levels = self.__dict__.setdefault("_levels", {})
            keep = np.ones(len(self.counts), dtype=bool)
            for dim, values in key:
                if dim not in levels:
                    levels[dim] = self.counts.index.get_level_values(dim).astype(str).to_numpy()
                keep &= np.isin(levels[dim], values)
            cache[key] = np.flatnonzero(keep)
        return cache[key]

    def sum_range(self, pattern: dict) -> tuple[float, float]:
        """The least and the greatest value that the published table leaves for the sum of
        the cells `pattern` selects: a number computed from these alone reveals nothing more."""
        members = self.members(pattern)
        if not self.hidden.iloc[members].any():
            value = float(self.counts.iloc[members].sum())
            return value, value
        state = (tuple(self.hidden.to_numpy()), frozenset(self.withheld))
        if self._system is None or self._system[0] != state:
            self._system = (state, feasible_system([self.record()])[0])
        low, high = self._system[1].sum_range(members)
        return float(low), float(high)

    def determined(self, pattern: dict) -> bool:
        """Whether the published table already fixes the sum of the cells `pattern` selects:
        only then may a number computed from the sum itself (a share, an interval) be shown."""
        return bounds.pinned(*self.sum_range(pattern))

    def _sum_shown(self, k: int) -> int | str:
        if k in self.withheld:
            return SECONDARY
        total = int(self.counts.to_numpy()[self.members(self.sums[k])].sum())
        return small_text(self.threshold) if is_small(total, self.threshold) else total

    def sum_text(self, pattern: dict, words: bool = False) -> str:
        """How the table shows one of its sums: '1,234', '<10' or '(s)' (in a sentence:
        'fewer than 10', 'an undisclosed number')."""
        normal = {d: [str(v) for v in vs] for d, vs in pattern.items()}
        found = [k for k, p in enumerate(self.sums)
                 if {d: [str(v) for v in vs] for d, vs in p.items()} == normal]  # fmt: skip
        if not found:
            raise KeyError(f"{self.name}: publishes no sum of {normal}")
        shown = self._sum_shown(found[0])
        if isinstance(shown, int):
            return f"{shown:,}"
        if not words:
            return shown
        return "an undisclosed number" if shown == SECONDARY else fewer_than(self.threshold)

    def record(self) -> dict:
        """The table as a reader sees it: shown cells and sums, `<N` and `(s)`; no hidden value."""
        small = small_text(self.threshold)

        def shown(value, kind) -> int | str:
            return {"small": small, "secondary": SECONDARY}.get(kind, int(value))

        index = self.counts.index
        keys = [[str(v) for v in (k if isinstance(k, tuple) else (k,))] for k in index]
        kinds = self.kinds()
        cells = [{"key": key, "shown": shown(value, kind)}
                 for key, value, kind in zip(keys, self.counts, kinds, strict=True)]  # fmt: skip
        sums = [{"of": {d: [str(v) for v in vs] for d, vs in pattern.items()},
                 "shown": self._sum_shown(k)} for k, pattern in enumerate(self.sums)]  # fmt: skip
        record = {"name": self.name, "population": self.population,
                  "threshold": self.threshold, "dims": self.dims, "partial": list(self.partial),
                  "cells": cells, "sums": sums}  # fmt: skip
        if self.of:
            record["of"] = self.of
        if self.base:
            record["base"] = True
        return record


def margins(counts: pd.Series, keep: list[tuple[str, ...]]) -> tuple[dict, ...]:
    """The sums a table publishes as margins: for each tuple of dimensions in `keep`, one sum
    per combination of their values (`()`: the grand total)."""
    out = []
    for dims in keep:
        if not dims:
            out.append({})
            continue
        frame = counts.index.to_frame(index=False)[list(dims)].drop_duplicates()
        out += [{d: [v] for d, v in zip(dims, row, strict=True)} for row in frame.itertuples(False)]
    return tuple(out)


def _range_of(shown) -> tuple[float, float] | None:
    """The bounds a published range reads ('1,234–1,246': a figure that holds GLOTIP `<5`
    cells), or None for any other text."""
    if not isinstance(shown, str) or shown.count("–") != 1:
        return None
    low, high = (part.replace(",", "") for part in shown.split("–"))
    return (float(low), float(high)) if low.isdigit() and high.isdigit() else None


def _bounds_of(shown, threshold: int | None = None) -> tuple[float, float]:
    """What a reader knows of a published cell or sum from its text. A cell (one with its
    table's `threshold`) read `(s)` is not small, or it would read `<N`, and not zero, which
    is always shown: at least `threshold`. A withheld sum may be anything; a range, what it
    says."""
    if isinstance(shown, int | np.integer):
        return float(shown), float(shown)
    if shown == SECONDARY:
        return float(threshold or 0), np.inf
    if isinstance(shown, str) and shown.startswith("<"):
        return 1.0, float(int(shown[1:]) - 1)
    if found := _range_of(shown):
        return found
    raise ValueError(
        f"a published cell reads {shown!r}: not a count, '<N', {SECONDARY!r} or a range"
    )


def is_hidden(shown) -> bool:
    """Whether a published cell's text hides its count (`<N` or `(s)`): not a number, nor a
    range that the cell's own published parts leave (a total rebuilt from `<5` cells)."""
    return _hidden_kind(shown) is not None


def _key_columns(record: dict) -> dict[str, np.ndarray]:
    """Each dimension's key of every cell, as text."""
    keys = [[str(k) for k in c["key"]] for c in record["cells"]]
    return {d: np.array([k[j] for k in keys], dtype=object) for j, d in enumerate(record["dims"])}


def _groups(record: dict, common: list[str], kept: dict) -> dict[tuple, list[int]]:
    """The cells of a record per combination of `common` dimensions (kept per record)."""
    key = (id(record), tuple(common))
    if key not in kept:
        at = [record["dims"].index(d) for d in common]
        found: dict[tuple, list[int]] = {}
        for i, cell in enumerate(record["cells"]):
            found.setdefault(tuple(str(cell["key"][j]) for j in at), []).append(i)
        kept[key] = found
    return kept[key]


def canonical(record: dict) -> dict:
    """A record described by what it counts (its `of`): in the population of the whole grid it
    slices, its dimensions renamed to the grid's, and each fixed dimension added to every key
    and sum (and partial: one value of it). "Citizens of A exploited in B" is then one cell
    whichever profile, table or report publishes it. A record without `of` is returned as is."""
    of = record.get("of")
    if not of:
        return record
    rename, fixed = of.get("rename", {}), {d: str(v) for d, v in of.get("fixed", {}).items()}
    dims = [rename.get(d, d) for d in record["dims"]]
    cells = [{**c, "key": [*c["key"], *fixed.values()]} for c in record["cells"]]
    selected = {d: [v] for d, v in fixed.items()}
    sums = [{**s, "of": {**{rename.get(d, d): vs for d, vs in s["of"].items()}, **selected}}
            for s in record["sums"]]  # fmt: skip
    partial = [*(rename.get(d, d) for d in record["partial"]), *fixed]
    plain = {k: v for k, v in record.items() if k != "of"}
    return {**plain, "population": of["population"], "dims": [*dims, *fixed], "cells": cells,
            "sums": sums, "partial": partial}  # fmt: skip


def _linked_dims(a: dict, b: dict) -> list[str] | None:
    """The dimensions over which two records of one population have equal sums, or None when
    they are not linked (a partial dimension of either is not common)."""
    if a["population"] != b["population"]:
        return None
    common = [d for d in a["dims"] if d in b["dims"]]
    if not set(a["partial"]) | set(b["partial"]) <= set(common):
        return None
    return common


def _through_base(bases: list[dict], a: dict, b: dict, common: list[str]) -> bool:
    """Whether two records are both linked to a complete grid (`base`, of their population)
    that holds their common dimensions: their equal sums follow from the grid's, so the pair
    needs no links of its own (this keeps a run with every profile linear in its tables)."""
    if a.get("base") or b.get("base"):
        return False
    return any(
        set(common) <= set(base["dims"])
        and _linked_dims(a, base) is not None and _linked_dims(b, base) is not None
        for base in bases
    )  # fmt: skip


def feasible_system(records: list[dict]) -> tuple[bounds.System, list[list[int]]]:
    """The linear system of a set of table records (each read by what it counts: `canonical`):
    one unknown per cell, within what its text says; each published sum; and, between two
    tables of the same population, equal sums over every combination of their common
    dimensions (partial dimensions must be common)."""
    records = [canonical(r) for r in records]
    system = bounds.System()
    unknowns = []
    for record in records:
        ids = [system.unknown(*_bounds_of(c["shown"], record["threshold"]))
               for c in record["cells"]]  # fmt: skip
        unknowns.append(ids)
        columns = _key_columns(record)
        for total in record["sums"]:
            keep = np.ones(len(ids), dtype=bool)
            for dim, values in total["of"].items():
                keep &= np.isin(columns[dim], values)
            system.add_sum([ids[i] for i in np.flatnonzero(keep)], *_bounds_of(total["shown"]))
    by_population: dict[str, list[int]] = {}
    for i, record in enumerate(records):
        by_population.setdefault(record["population"], []).append(i)
    pairs = [p for group in by_population.values() for p in itertools.combinations(group, 2)]
    bases = {p: [r for r in records if r.get("base") and r["population"] == p]
             for p in by_population}  # fmt: skip
    kept: dict = {}
    for a, b in pairs:
        ra, rb = records[a], records[b]
        common = _linked_dims(ra, rb)
        if common is None or _through_base(bases[ra["population"]], ra, rb, common):
            continue
        groups_a, groups_b = _groups(ra, common, kept), _groups(rb, common, kept)
        partial = bool(ra["partial"] or rb["partial"])
        for combo in sorted(set(groups_a) | set(groups_b)):
            if partial and not (combo in groups_a and combo in groups_b):
                continue
            members = {unknowns[a][i]: 1.0 for i in groups_a.get(combo, [])}
            members.update({unknowns[b][i]: -1.0 for i in groups_b.get(combo, [])})
            system.add_sum(members, 0.0)
    return system, unknowns


def _hidden_kind(shown) -> str | None:
    if isinstance(shown, int | np.integer) or _range_of(shown):
        return None
    return "secondary" if shown == SECONDARY else "small"


def _small_totals_only(record: dict) -> dict:
    """A record as if every non-zero cell were hidden and only its small sums (`<N`) shown."""
    cells = [{**c, "shown": SECONDARY} if isinstance(c["shown"], int) and c["shown"] > 0
             else c for c in record["cells"]]  # fmt: skip
    sums = [t for t in record["sums"] if isinstance(t["shown"], str) and t["shown"] != SECONDARY]
    return {**record, "cells": cells, "sums": sums}


def small_totals_system(records: list[dict]) -> tuple[bounds.System, list[list[int]]]:
    """The linked system of `records` with only their small totals (`_small_totals_only`)."""
    return feasible_system([_small_totals_only(r) for r in records])


def required_range(
    records: list[dict], table: int, cell: int, small: tuple | None = None
) -> tuple[float, float]:
    """The values a small cell must be able to take: 1 .. threshold - 1, as far as the small
    totals (`<N`) of the tables alone allow. (Two small cells of a `<10` total cannot both
    reach 9 whatever else is hidden; a total shown exactly can always be protected.)
    `small`: `small_totals_system(records)`, when the caller keeps it for many cells."""
    system, unknowns = small or small_totals_system(records)
    least, most = bounds.whole_numbers(*system.ranges([unknowns[table][cell]])[0])
    return max(least, 1.0), min(most, records[table]["threshold"] - 1.0)


def is_exposed(
    records: list[dict], table: int, cell: int, low: float, high: float, small=None
) -> bool:
    """`bounds.exposed` for cell `cell` of table `table` of linked `records`, whose feasible
    range is [low, high]; a small cell against its `required_range` (`small`: as there)."""
    record = records[table]
    kind = _hidden_kind(record["cells"][cell]["shown"])
    if not bounds.exposed(low, high, kind, record["threshold"]):
        return False
    if kind == "secondary":
        return True
    return bounds.exposed(low, high, kind, record["threshold"],
                          required_range(records, table, cell, small))  # fmt: skip


def linked_ranges(records: list[dict]) -> tuple[bounds.Ranges, list[list[int]]]:
    """The feasible ranges of the hidden cells of linked `records` (`bounds.Ranges`), settled
    as far as the quick test of `is_exposed` (`bounds.safe_end`, 1 .. threshold - 1) needs,
    with `is_exposed` as its rule; and the unknown of each cell, per record."""
    system, unknowns = feasible_system(records)
    cells = {u: (t, i) for t, (record, ids) in enumerate(zip(records, unknowns, strict=True))
             for i, (cell, u) in enumerate(zip(record["cells"], ids, strict=True))
             if _hidden_kind(cell["shown"]) is not None}  # fmt: skip

    def safe(unknown: int, sign: float, low: float, high: float) -> bool:
        t, i = cells[unknown]
        kind = _hidden_kind(records[t]["cells"][i]["shown"])
        return bounds.safe_end(low, high, sign, kind, records[t]["threshold"])

    small: list = []  # the small totals' system, made once when a cell first needs it

    def rule(unknown: int, low: float, high: float) -> bool:
        def kept():
            if not small:
                small.append(small_totals_system(records))
            return small[0]

        t, i = cells[unknown]
        if _hidden_kind(records[t]["cells"][i]["shown"]) == "small":
            return is_exposed(records, t, i, low, high, kept())
        return is_exposed(records, t, i, low, high)

    return bounds.Ranges(system, cells, safe, rule), unknowns


def _exposed(records: list[dict]) -> list[tuple[int, int, str, float, float]]:
    """Every hidden cell of linked `records` whose feasible range gives too much away
    (`is_exposed`), as (record, cell, kind, low, high). `bounds.Inconsistent` when the
    published numbers cannot all hold."""
    ranges, unknowns = linked_ranges(records)
    # Only a cell that needs a program can fail (as with `System.ranges`): not a fixed one.
    if ranges.broken and any(ranges.lower[u] != ranges.upper[u] for u in ranges.targets):
        raise bounds.Inconsistent("the published numbers cannot all hold")
    exposed = set(ranges.exposed())
    return [(t, i, _hidden_kind(record["cells"][i]["shown"]), *ranges.range(unknown))
            for t, (record, ids) in enumerate(zip(records, unknowns, strict=True))
            for i, unknown in enumerate(ids) if unknown in exposed]  # fmt: skip


def exposed_cells(records: list[dict]) -> list[dict]:
    """Every hidden cell of linked tables whose feasible range gives too much away
    (`is_exposed`), as {table, key, kind, low, high}: the range, never the value.
    `bounds.Inconsistent` when the published numbers cannot all hold."""
    return [{"table": records[t]["name"], "key": records[t]["cells"][i]["key"], "kind": kind,
             "low": low, "high": high} for t, i, kind, low, high in _exposed(records)]  # fmt: skip


def protect(
    name: str,
    population: str,
    counts: pd.Series,
    sums: tuple[dict, ...] = (),
    threshold: int = DEFAULT_THRESHOLD,
    also: pd.Series | None = None,
    partial: tuple[str, ...] = (),
    shared: tuple[dict, ...] = (),
    linked: tuple[dict, ...] = (),
) -> CountTable:
    """A `CountTable` whose hidden cells no published cell or sum gives away, in this table or
    together with `linked`, the records of other reports' tables of the same population.

    Small cells are hidden; a sum with one hidden cell hides its smallest other non-zero cell
    (`_hide_partners`); then each small cell's feasible range is checked (`bounds.exposed`):
    while it is too narrow, the smallest shown non-zero cell of the shortest sum through it is
    hidden too, or, with none left, the shortest of its sums that is not `shared` (published
    elsewhere too) is withheld (`(s)`); with no such sum either, where the path runs through
    `linked` tables, the smallest shown non-zero cell of the table is hidden. Where the sums
    alone would pin it, they are withheld first (`_withhold_sums`). Hiding only widens
    ranges, so a cell once safe stays safe.
    Last, a secondary cell that the published numbers fix anyway is shown again
    (`_show_pinned`). `also` marks cells hidden for a reason found elsewhere.
    """
    check_threshold(threshold)
    counts = counts.astype("int64")
    hidden = pd.Series(is_small(counts, threshold).to_numpy(), index=counts.index)
    kept = np.zeros(len(counts), dtype=bool)  # hidden for a reason found elsewhere: stay so
    if also is not None:
        kept = also.reindex(counts.index, fill_value=False).astype(bool).to_numpy()
        kept = kept & (counts.to_numpy() > 0)  # a zero concerns nobody: always shown
        hidden |= kept
    table = CountTable(name, population, counts, hidden, (*shared, *sums), threshold, partial,
                       len(shared))  # fmt: skip
    groups = [table.members(p) for p in table.sums]
    _hide_partners(table, groups)
    system, _ = feasible_system([table.record(), *linked])
    small = set(np.flatnonzero(is_small(counts, threshold).to_numpy()))
    required: dict = {}  # what each small cell must reach, while the same sums are withheld

    def exposed(where: int) -> bool:
        low, high = system.ranges([where])[0]
        if not bounds.exposed(low, high, "small", threshold):
            return False
        key = (where, frozenset(table.withheld))
        if key not in required:
            required[key] = required_range([table.record(), *linked], 0, where)
        return bounds.exposed(low, high, "small", threshold, required[key])

    for where in sorted(small):
        if exposed(where) and _withhold_sums(table, groups, where, linked):
            system, _ = feasible_system([table.record(), *linked])
        while exposed(where):
            through = [k for k, g in enumerate(groups) if where in g and k not in table.withheld]
            own = [k for k in through if k >= table.shared]
            candidates = _candidates(table, [groups[k] for k in through])
            if not candidates:  # further out: a sum through any hidden cell
                hidden_now = set(np.flatnonzero(table.hidden.to_numpy()))
                candidates = _candidates(table, [g for k, g in enumerate(groups)
                                                 if k not in table.withheld
                                                 and hidden_now.intersection(g)])  # fmt: skip
            if not (candidates or own) and linked:  # a path through a linked table's sums
                candidates = _candidates(table, [np.arange(len(counts))])
            if candidates:
                before = set(np.flatnonzero(table.hidden.to_numpy()))
                table.hidden.iloc[min(candidates, key=lambda i: (counts.iloc[i], i))] = True
                _hide_partners(table, groups)
                for i in set(np.flatnonzero(table.hidden.to_numpy())) - before:
                    system.set_bounds(i, *_bounds_of(SECONDARY, threshold))
                continue
            if not own:
                raise DisclosureError(
                    f"{name}: cell {_key(table.counts.index[where])} cannot be protected: "
                    "the sums published elsewhere give it away"
                )
            table.withheld.add(min(own, key=lambda k: (len(groups[k]), k)))
            system, _ = feasible_system([table.record(), *linked])
    _show_pinned(table, system, small | set(np.flatnonzero(kept)))
    return table


def _withhold_sums(
    table: CountTable, groups: list[np.ndarray], where: int, linked: tuple[dict, ...] = ()
) -> bool:
    """Withhold sums of the table's own (those through the cell first, then the smallest)
    until its sums alone, with every non-zero cell hidden, no longer pin the small cell
    `where`: no hiding of cells could protect it then. Whether any was withheld."""
    changed = False
    while True:
        record = table.record()
        for cell in record["cells"]:
            if isinstance(cell["shown"], int) and cell["shown"] > 0:
                cell["shown"] = SECONDARY
        system, _ = feasible_system([record, *linked])
        if not is_exposed([record, *linked], 0, where, *system.ranges([where])[0]):
            return changed
        own = [k for k in range(table.shared, len(groups))
               if k not in table.withheld and table.counts.iloc[groups[k]].sum() > 0]  # fmt: skip
        if not own:
            raise DisclosureError(
                f"{table.name}: cell {_key(table.counts.index[where])} cannot be protected: "
                "the sums published elsewhere give it away"
            )
        key = {k: (where not in groups[k], table.counts.iloc[groups[k]].sum(), k) for k in own}
        table.withheld.add(min(own, key=key.get))
        changed = True


def _show_pinned(table: CountTable, system: bounds.System, keep: set[int]) -> None:
    """Show again each secondary cell (but those in `keep`) that the published numbers fix
    anyway: hiding it protects nothing, and showing a fixed value changes no range."""
    for where in np.flatnonzero(table.hidden.to_numpy()):
        if where in keep:
            continue
        if bounds.pinned(*system.ranges([where])[0]):
            table.hidden.iloc[where] = False
            system.set_bounds(where, *_bounds_of(int(table.counts.iloc[where])))


def _key(key) -> list:
    return list(key) if isinstance(key, tuple) else [key]


def _candidates(table: CountTable, sums: list[np.ndarray]) -> list[int]:
    """Shown non-zero cells of the shortest of `sums` that has any: where a secondary goes."""
    for size in sorted({len(g) for g in sums}):
        near = {i for g in sums if len(g) == size for i in g}
        found = [i for i in sorted(near) if not table.hidden.iloc[i] and table.counts.iloc[i] > 0]
        if found:
            return found
    return []


def _hide_partners(table: CountTable, sums: list[np.ndarray]) -> None:
    """Until none is left: in a published sum with exactly one hidden cell, which the sum would
    give away by subtraction, hide its smallest shown non-zero cell too (the quick rule;
    `protect`'s range check then catches what it leaves, such as two small cells of a line)."""
    hidden, counts = table.hidden.to_numpy().copy(), table.counts.to_numpy()
    changed = True
    while changed:
        changed = False
        for k, members in enumerate(sums):
            if k in table.withheld or hidden[members].sum() != 1:
                continue
            found = members[~hidden[members] & (counts[members] > 0)]
            if len(found):
                hidden[min(found, key=lambda i: (counts[i], i))] = True
                changed = True
    table.hidden[:] = hidden


# --- Tables published together: cells not shown, sums fixed elsewhere ----------------------


def fixed_sums(table: CountTable, patterns) -> tuple[dict, ...]:
    """The sums of `patterns` that `table` fixes: another table of the same people publishes
    them too (its `shared` sums)."""
    return tuple(p for p in patterns if table.determined(p))


def protect_shown(
    name: str,
    population: str,
    counts: pd.Series,
    shown,
    sums,
    threshold: int,
    shared=(),
    partial: tuple[str, ...] = (),
    linked: tuple[dict, ...] = (),
    beside: tuple[dict, ...] = (),
) -> CountTable:
    """`protect` of a table that shows only some of its cells (`shown`) and its
    `sums`: the others are hidden (`also`) unless the published sums give them away
    (`unshown`). A cell worked out from a sum that protection then withholds is hidden after
    all (and the table protected again). With `linked` (the records of tables of the same
    people published beside it, as they are final), while the table gives away a hidden cell
    of theirs that they keep on their own, it shows less (`_show_less`) and is protected
    again; with `beside` (tables published with it, whose cells hidden only because they are
    not shown may still be shown where the tables fix them: `show_derived`), a small cell."""
    shown = np.broadcast_to(np.asarray(shown, dtype=bool), len(counts)).copy()
    sums, shared, withheld = list(sums), list(shared), set()
    others = [canonical(r) for r in (*linked, *beside)]
    alone = {(t + 1, i) for t, i, *_ in _exposed(others)} if others else set()
    while True:
        published = [*shared, *(p for k, p in enumerate(sums) if k not in withheld)]
        table = protect(
            name, population, counts, tuple(sums), threshold,
            also=unshown(counts, shown, published, threshold), partial=partial,
            shared=tuple(shared), linked=(*linked, *beside),
        )  # fmt: skip
        own = {k - len(shared) for k in table.withheld}
        if not own <= withheld:
            withheld |= own
            continue
        given = [e for e in (_exposed([table.record(), *others]) if others else [])
                 if e[0] > 0 and e[:2] not in alone
                 and (e[0] <= len(linked) or e[2] == "small")]  # fmt: skip
        if not given:
            return table
        t, i = given[0][:2]
        if not _show_less(table, shown, sums, others[t - 1], i):
            raise DisclosureError(
                f"{name}: gives away cell {others[t - 1]['cells'][i]['key']} of "
                f"{others[t - 1]['name']}"
            )
        withheld = set()


def _show_less(table: CountTable, shown: np.ndarray, sums: list, other: dict, cell: int) -> bool:
    """One step to keep cell `cell` of a linked table (`other`, canonical) hidden: of the
    table's cells that add up to it, else to any cell that table hides, the smallest one
    shown is shown no more; with none left, the sum through them that splits by the
    dimensions the tables share (a share's total, say) and counts least is not published.
    Whether a step was left (changes `shown` and `sums`)."""
    own = canonical(table.record())
    common = _linked_dims(own, other)
    if common is None:
        return False
    places = _linked_cells(own, other, common, cell)
    counts = table.counts.to_numpy()
    for adding in places:
        open_ = [j for j in adding if shown[j] and not table.hidden.iloc[j] and counts[j] > 0]
        if open_:
            shown[min(open_, key=lambda j: (counts[j], j))] = False
            return True
    for adding in places:
        splitting = [p for p in sums if set(common) & set(p)
                     and np.isin(table.members(p), adding).any()]  # fmt: skip
        if splitting:
            sums.remove(min(splitting, key=lambda p: counts[table.members(p)].sum()))
            return True
    return False


def _linked_cells(own: dict, other: dict, common: list[str], cell: int) -> list[list[int]]:
    """The cells of a record (`own`) that add up to cell `cell` of a linked one (`other`; both
    canonical), and those that add up to any cell it hides."""
    groups = _groups(own, common, {})

    def combo(i: int) -> tuple:
        return tuple(str(other["cells"][i]["key"][other["dims"].index(d)]) for d in common)

    hidden = [i for i, c in enumerate(other["cells"]) if _hidden_kind(c["shown"])]
    return [groups.get(combo(cell), []),
            sorted({j for i in hidden for j in groups.get(combo(i), [])})]  # fmt: skip


def unshown(counts: pd.Series, shown, sums, threshold: int) -> pd.Series:
    """The cells a table does not show (`shown` False) that no published sum lets a reader
    work out either (a sum, not small, whose other cells are all known; a zero is always
    shown): what `protect` gets as `also`. A cell that can be worked out is recorded as
    shown."""
    levels = {n: counts.index.get_level_values(n).astype(str).to_numpy()
              for n in counts.index.names}  # fmt: skip
    groups = []
    for pattern in sums:
        keep = np.ones(len(counts), dtype=bool)
        for dim, values in pattern.items():
            keep &= np.isin(levels[dim], [str(v) for v in values])
        if not is_small(counts.to_numpy()[keep].sum(), threshold):
            groups.append(np.flatnonzero(keep))
    small = is_small(counts, threshold).to_numpy()
    hidden = (~np.asarray(shown, dtype=bool) | small) & (counts.to_numpy() > 0)  # 0: shown
    changed = True
    while changed:
        changed = False
        for members in groups:
            left = members[hidden[members]]
            if len(left) == 1 and not small[left[0]]:
                hidden[left[0]], changed = False, True
    return pd.Series(hidden & ~small, index=counts.index)


def show_derived(tables: list[CountTable]) -> list[dict]:
    """Show each hidden cell of linked `tables` that their published numbers fix anyway, as
    `protect` does within one table (hiding it protects nothing, showing it changes no
    range): a cell a table does not show may follow from another table's sums. Returns the
    small cells they give away (`exposed_cells`), if any."""
    by_name = {t.name: t for t in tables}
    while exposed := exposed_cells([t.record() for t in tables]):
        small = [e for e in exposed if e["kind"] == "small"]
        if small:
            return small
        for cell in exposed:
            table = by_name[cell["table"]]
            keys = [[str(v) for v in (k if isinstance(k, tuple) else (k,))]
                    for k in table.counts.index]  # fmt: skip
            table.hidden.iloc[keys.index(cell["key"])] = False
    return []


def share_hidden(count, total, threshold: int) -> bool:
    """Whether a share must be hidden: `count` and `total` are (table, pattern) pairs, and the
    share is shown only where the published tables fix both and neither the count nor the rest
    of the total is a small cell."""
    (c_table, c_pattern), (t_table, t_pattern) = count, total
    dims = set(c_table.dims) & set(t_table.dims)
    if not set(c_pattern) | set(t_pattern) <= dims:
        return True  # the table does not break its records down so far
    if not (c_table.determined(c_pattern) and t_table.determined(t_pattern)):
        return True
    n, of = c_table.sum_range(c_pattern)[0], t_table.sum_range(t_pattern)[0]
    return bool(is_small(n, threshold) or is_small(of - n, threshold))


def sum_words(table: CountTable, pattern: dict, words: bool = True) -> str:
    """A sum as a sentence (or, not `words`, a table) states it: as its table shows it where
    it publishes it; else its value where the table fixes it anyway, or 'an undisclosed
    number' ('(s)')."""
    try:
        return table.sum_text(pattern, words=words)
    except KeyError:
        if not set(pattern) <= set(table.dims) or not table.determined(pattern):
            return "an undisclosed number" if words else SECONDARY
    value = int(table.sum_range(pattern)[0])
    if words:
        return count_words(value, table.threshold)
    return suppress(pd.Series([value]), table.threshold).iloc[0]
