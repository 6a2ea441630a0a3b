"""The protected release: the victim counts that every report of a run slices, protected once.

"Citizens of A exploited in B" is one cell of one grid per CTDC release (citizenship x place
of exploitation, with row, column and grand totals); A's profile shows its row, B's its column.
Protected page by page, one page could print what another hides; protected here as one table,
every page shows a cell exactly as the release does. The catalog table `release_places` holds
what a reader may see of it, never a hidden value. A report with other years or another
threshold protects its own tables and says that it is an exploration outside the release.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from analysis import catalog, victims
from analysis import profiles as pr
from analysis.data import releases
from analysis.data.errors import DataError
from analysis.publish import disclosure

TABLE = "release_places"
EXPLORATION = (
    "An exploration outside the run's protected release: this report counts other records "
    "or uses another small-cell threshold than the release, so its tables are protected here, "
    "on their own."
)
YEARS = (2002, 2022)  # the registration years that reports publish at their defaults
ROWS, COLUMNS = "citizenship", "exploitation"
AXIS = {"destinations": (ROWS, COLUMNS), "origins": (COLUMNS, ROWS)}  # role: (fixed, place)


def place_grid(frame: pd.DataFrame, release: str, years: Sequence[int] = YEARS) -> pd.Series:
    """Records of one release per citizenship and place of exploitation: the non-zero cells."""
    rows = frame[(frame["release"] == release) & frame["year"].between(*years).fillna(False)]
    keys = [rows[c].astype("string").fillna(pr.UNKNOWN).rename(name)
            for c, name in (("citizenship", ROWS), ("exploitation_country", COLUMNS))]  # fmt: skip
    counts = rows.groupby(keys).size().astype("int64")
    return counts[counts > 0].sort_index()


def protect_grid(
    counts: pd.Series, release: str, population: str, threshold: int
) -> disclosure.CountTable:
    sums = disclosure.margins(counts, [(ROWS,), (COLUMNS,), ()])
    name = f"Records by citizenship and place of exploitation ({releases.CTDC[release].label})"
    table = disclosure.protect(name, population, counts, sums, threshold)
    table.base = True
    return table


def build(
    frame: pd.DataFrame, years: Sequence[int] = YEARS, threshold: int = disclosure.DEFAULT_THRESHOLD
) -> dict[str, disclosure.CountTable]:
    found = [r for r in releases.CTDC if r in set(frame["release"].astype(str))]
    return {r: protect_grid(place_grid(frame, r, years), r, victims.population(r, years, frame),
                            threshold) for r in found}  # fmt: skip


# The whole release by one coded column: what each release holds, as the release report
# shows it; the reports that publish sums of the same records (10, 30) take these as published.
FLAGS = {
    "is_sexual_exploit": "sexual exploitation",
    "is_forced_labour": "forced labour",
    "is_other_exploit": "other forms of exploitation",
}
MARGINS = {**FLAGS, "gender": "gender", "age_band": "age band", "age_group": "age group"}


def margin_counts(frame: pd.DataFrame, column: str) -> dict[str, pd.Series]:
    if column == "age_group" and column not in frame:
        frame = frame.assign(age_group=victims.age_group(frame))
    if column in FLAGS:
        flag = frame[column].map({True: "yes", False: "no"}).astype("string").fillna("unknown")
        frame = frame.assign(**{column: flag})
        categories = ["yes", "no", "unknown"]
    else:
        categories = victims.DOMAINS[column]
    return {str(r): victims.cell_counts(part, {column: categories})
            for r, part in frame.groupby("release", observed=True, sort=True)}  # fmt: skip


def margin_tables(
    frame: pd.DataFrame, column: str, threshold: int = disclosure.DEFAULT_THRESHOLD
) -> dict[str, disclosure.CountTable]:
    return {release: disclosure.protect(f"Records by {MARGINS[column]} ({release})",
                                        victims.population(release), counts,
                                        disclosure.margins(counts, [()]), threshold)
            for release, counts in margin_counts(frame, column).items()}  # fmt: skip


def build_margins(
    frame: pd.DataFrame, threshold: int = disclosure.DEFAULT_THRESHOLD
) -> dict[str, dict[str, disclosure.CountTable]]:
    return {column: margin_tables(frame, column, threshold) for column in MARGINS}


Reports = dict[str, Sequence[tuple[dict, dict[str, disclosure.CountTable]]]]


def _key(key: dict) -> str:
    return json.dumps(key, sort_keys=True)


def record(
    tables: dict[str, disclosure.CountTable],
    years: Sequence[int],
    threshold: int,
    margins: dict[str, dict[str, disclosure.CountTable]] | None = None,
    reports: Reports | None = None,
) -> dict:
    """What the catalog keeps of the release: what a reader sees, never a hidden value."""
    return {"years": [int(years[0]), int(years[-1])], "threshold": int(threshold),
            "tables": {r: t.record() for r, t in tables.items()},
            "margins": {c: {r: t.record() for r, t in by.items()}
                        for c, by in (margins or {}).items()},
            "reports": {name: {_key(key): {part: t.record() for part, t in by.items()}
                               for key, by in sets}
                        for name, sets in (reports or {}).items()}}  # fmt: skip


@dataclass
class Released:
    years: tuple[int, int]
    threshold: int
    tables: dict[str, dict]
    margins: dict[str, dict[str, dict]] = field(default_factory=dict)
    reports: dict[str, dict[str, dict[str, dict]]] = field(default_factory=dict)

    @classmethod
    def of(cls, data: dict) -> Released:
        return cls(tuple(data["years"]), int(data["threshold"]), data["tables"],
                   data.get("margins", {}), data.get("reports", {}))  # fmt: skip

    def held(self, report: str, key: dict) -> dict[str, dict] | None:
        """`report`'s table records held under `key`, by part; None: an exploration."""
        return self.reports.get(report, {}).get(_key(key))

    def covers(self, years: Sequence[int], threshold: int) -> bool:
        return (int(years[0]), int(years[-1])) == self.years and int(threshold) == self.threshold

    def slice(
        self, release: str, iso3: str, role: str, counts: pd.Series, name: str, population_: str
    ) -> disclosure.CountTable:
        """The country's row (destinations) or column (origins) of `release`'s grid over the
        places of `counts`, hidden where the release hides it."""
        fixed, place = AXIS[role]
        record = self.tables[release]
        at = {d: i for i, d in enumerate(record["dims"])}
        shown = {c["key"][at[place]]: c["shown"] for c in record["cells"]
                 if c["key"][at[fixed]] == iso3}  # fmt: skip
        places = [str(p) for p in counts.index]
        if missing := sorted(set(shown) - set(places)):
            raise ValueError(f"{name}: places of the release missing from the counts: {missing}")
        hidden = []
        for code, n in zip(places, counts, strict=True):
            where = f"{fixed} {iso3}, {place} {code}"
            hidden.append(_check(release, where, shown.get(code, 0), n, self.threshold))
        total = [s["shown"] for s in record["sums"] if s["of"] == {fixed: [iso3]}]
        index = pd.MultiIndex.from_arrays([places], names=["place"])
        table = disclosure.CountTable(
            name, population_, pd.Series(counts.to_numpy(dtype="int64"), index=index),
            pd.Series(hidden, index=index), ({},), self.threshold, ("place",), shared=1,
            withheld={0} if total == [disclosure.SECONDARY] else set(),
        )  # fmt: skip
        table.of = {"population": record["population"], "fixed": {fixed: iso3},
                    "rename": {"place": place}}  # fmt: skip
        return table

    def cells(
        self, release: str, counts: pd.Series, name: str, population_: str, threshold: int
    ) -> disclosure.CountTable | None:
        """Cells of `release`'s grid as the release shows them; None for other records or
        another threshold."""
        record = self.tables.get(release)
        if record is None or (record["population"], self.threshold) != (population_, threshold):
            return None
        shown = {tuple(c["key"]): c["shown"] for c in record["cells"]}
        hidden = []
        for (origin, place), n in counts.items():
            text = shown.get((str(origin), str(place)), 0)
            hidden.append(
                _check(release, f"{ROWS} {origin}, {COLUMNS} {place}", text, n, threshold)
            )
        table = disclosure.CountTable(
            name, population_, counts.astype("int64"), pd.Series(hidden, index=counts.index),
            (), threshold, tuple(counts.index.names),
        )  # fmt: skip
        table.of = {"population": population_, "rename": {"destination": COLUMNS}}
        return table

    def margin(
        self, frame: pd.DataFrame, column: str, threshold: int
    ) -> dict[str, disclosure.CountTable]:
        """Per release: its `MARGINS` table of `column` as released (another `threshold`:
        protected here)."""
        if int(threshold) != self.threshold:
            return margin_tables(frame, column, threshold)
        tables = {}
        for release, counts in margin_counts(frame, column).items():
            if release not in self.margins.get(column, {}):
                raise stale(f"the protected release has no records by {column} of {release}")
            tables[release] = restore(self.margins[column][release], counts, release)
        return tables


def restore(record: dict, counts: pd.Series, release: str) -> disclosure.CountTable:
    """A released table as a `CountTable` with the cells' `counts`, hidden as released."""
    keys = [tuple(str(k) for k in c["key"]) for c in record["cells"]]
    mine = [tuple(str(k) for k in (key if isinstance(key, tuple) else (key,)))
            for key in counts.index]  # fmt: skip
    if keys != mine:
        raise ValueError(f"{record['name']}: the counts are not of the release's cells")
    threshold = int(record["threshold"])
    hidden = [
        _check(release, f"{key} in {record['name']!r}", cell["shown"], n, threshold)
        for key, cell, n in zip(keys, record["cells"], counts, strict=True)
    ]
    table = disclosure.CountTable(
        record["name"], record["population"], counts.astype("int64"),
        pd.Series(hidden, index=counts.index),
        tuple(s["of"] for s in record["sums"]), threshold,
        tuple(record["partial"]),
        withheld={k for k, s in enumerate(record["sums"]) if s["shown"] == disclosure.SECONDARY},
        of=record.get("of"),
    )  # fmt: skip
    for total in record["sums"]:
        n = counts.to_numpy()[table.members(total["of"])].sum()
        where = f"the sum of {total['of'] or 'all'} in {record['name']!r}"
        _check(release, where, total["shown"], n, threshold, cell=False)
    return table


def stale(what: str) -> DataError:
    return DataError(f"{what}: re-run the release step (python -m analysis run)")


def _check(release: str, where: str, shown, count, threshold: int, cell: bool = True) -> bool:
    """Whether the release hides a cell or sum; a DataError (quoting the count only as a reader
    may see it) when what it shows does not hold for `count`: the release is stale."""
    count = int(count)
    if isinstance(shown, int):
        agrees = shown == count
    elif shown == disclosure.SECONDARY:
        agrees = count >= threshold or not cell
    else:
        agrees = disclosure.is_small(count, threshold)
    if not agrees:
        seen = disclosure.small_text(threshold) if disclosure.is_small(count, threshold) else count
        raise stale(
            f"the protected release ({release}) shows {shown} records for {where}; the victim "
            f"records give {seen}"
        )
    return not isinstance(shown, int)


def load(folder=None) -> Released:
    return Released.of(catalog.read_json(TABLE, folder))


def write(
    tables: dict[str, disclosure.CountTable],
    years: Sequence[int],
    threshold: int,
    margins: dict[str, dict[str, disclosure.CountTable]],
    reports: Reports | None = None,
    folder=None,
):
    return catalog.write(TABLE, record(tables, years, threshold, margins, reports), folder)
