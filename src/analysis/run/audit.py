"""The disclosure audit of a run: `python -m analysis audit`, and the last step of every run.

It links every protected table of the run's reports (`results/<report>.tables.json`) and works
out each hidden cell's feasible range by linear programming: a reader holding all the reports
must not be able to recover a hidden count. A range that leaves one possible value reads
"pinned to one value", so nothing the audit prints states a hidden count.
Exit status: 0 passes, 1 a cell is exposed or numbers are inconsistent, 2 cannot audit.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from analysis.publish import bounds, disclosure
from analysis.publish.report import TABLES_VERSION

SUFFIX = ".tables.json"
FIELDS = ("name", "population", "threshold", "dims", "partial", "cells", "sums")  # of a record
PINNED = "pinned to one value"


class AuditError(Exception):
    """The run cannot be audited (no records, or records of another version or shape)."""


@dataclass(eq=False)
class Table:
    """One table record and the report that published it (equal only to itself)."""

    report: str
    record: dict
    system: bounds.System | None = None  # of this table alone (`_check_shape`)

    @property
    def name(self) -> str:
        return self.record["name"]


def hidden_positions(table: Table) -> list[int]:
    """The cells a table does not show (`<10` or `(s)`)."""
    return [i for i, c in enumerate(table.record["cells"]) if disclosure.is_hidden(c["shown"])]


# Reading the records of a run.


def display(path: Path) -> str:
    """A path as the messages name it: relative to the working folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def report_names(run_dir: Path) -> list[str]:
    """The reports of a run folder: those its manifest lists, then any with a record file."""
    names: dict[str, None] = {}
    manifest = run_dir / "manifest.json"
    if manifest.is_file():
        names.update(dict.fromkeys(json.loads(manifest.read_text(encoding="utf-8"))["notebooks"]))
    found = sorted((run_dir / "results").glob(f"*{SUFFIX}"))
    names.update(dict.fromkeys(p.name.removesuffix(SUFFIX) for p in found))
    return list(names)


def load(
    run_dir: Path, reports: list[str] | None = None, label: str = ""
) -> tuple[list[str], list[Table]]:
    """The reports that have records (of `reports`, default all) and their table records; a
    report with results but no records is an `AuditError`."""
    where = label or display(run_dir)
    if not run_dir.is_dir():
        raise AuditError(f"{where}: no such run folder")
    names = report_names(run_dir) if reports is None else reports
    results = run_dir / "results"
    present = [n for n in names if (results / f"{n}{SUFFIX}").is_file()]
    missing = [n for n in names if (results / f"{n}.json").is_file() and n not in present]
    if (missing and not present) or (reports is None and not present):
        raise AuditError(
            f"{where}: no disclosure records (made by a version before the audit); re-run it"
        )
    if missing:
        raise AuditError(
            f"{where}: {', '.join(missing)} without disclosure records "
            f"(results/<report>{SUFFIX}; made by a version before the audit); "
            "re-run them"
        )
    tables = []
    for name in present:
        tables += _read(run_dir / "results" / f"{name}{SUFFIX}", name, f"{where}/results")
    return present, tables


def _read(path: Path, report: str, folder: str) -> list[Table]:
    where = f"{folder}/{path.name}"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise AuditError(f"{where}: unreadable ({exc})") from None
    if not isinstance(data, dict) or data.get("version") != TABLES_VERSION:
        version = data.get("version") if isinstance(data, dict) else None
        raise AuditError(
            f"{where}: disclosure records of version {version}, this audit reads "
            f"version {TABLES_VERSION}; re-run it"
        )
    tables = [Table(report, _by_meaning(record)) for record in data.get("tables", [])]
    for table in tables:
        _check_shape(table, where)
    return tables


def _by_meaning(record):
    """A record read by what it counts (`disclosure.canonical`): a profile's slice of the
    protected release is then linked to the release and to every other page that shows it."""
    try:
        return disclosure.canonical(record)
    except (AttributeError, KeyError, TypeError):
        return record  # not a table record: `_check_shape` names it


def _check_shape(table: Table, where: str) -> None:
    """Check that the linear system can read a record, and keep the table's own system."""
    record = table.record
    try:
        dims = record.get("dims", [])
        bad_key = [c["key"] for c in record["cells"] if len(c["key"]) != len(dims)]
        unknown = [d for s in record["sums"] for d in s["of"] if d not in dims]
        if bad_key or unknown:
            problem = f"cell key {bad_key[0]}" if bad_key else f"margin over {unknown[0]!r}"
            raise ValueError(f"{problem} does not fit the dimensions {dims}")
        if absent := [k for k in FIELDS if k not in record]:
            raise ValueError(f"no {', '.join(absent)}")
        table.system = disclosure.feasible_system([record])[0]
    except (KeyError, TypeError, ValueError) as exc:
        name = record.get("name", "?") if isinstance(record, dict) else "?"
        raise AuditError(f"{where}, table {name!r}: not a table record ({exc})") from None


# Consistency: each published margin against the cells it adds up.


def margin_problems(table: Table) -> list[str]:
    """Margins of one table that its own cells cannot add up to."""
    lower, upper = np.asarray(table.system.lower), np.asarray(table.system.upper)
    found = []
    for total, (members, low, high) in zip(table.record["sums"], table.system.sums, strict=True):
        ids = list(members)
        least, most = lower[ids].sum(), upper[ids].sum()
        if least <= high + bounds.TOLERANCE and most >= low - bounds.TOLERANCE:
            continue
        adds = number(least) if least == most else range_text(least, most, exact=True)
        margin = ", ".join(f"{d}: [{', '.join(map(str, vs))}]" for d, vs in total["of"].items())
        found.append(
            f"results/{table.report}{SUFFIX}, table {table.name!r}, margin {{{margin}}}: "
            f"cells add up to {adds}, the margin reads {total['shown']}"
        )
    return found


@dataclass
class Hidden:
    """A hidden cell of a table and what a reader can work out of it (`ranges`: of its
    population's linked system; None when its table was left out)."""

    table: Table
    position: int
    ranges: bounds.Ranges | None = None
    unknown: int = 0  # in the linked system
    exposed: bool = False

    def seen(self) -> tuple[float, float]:
        """A range the cell's true range holds (NaN when its numbers cannot all hold)."""
        return (math.nan, math.nan) if self.ranges is None else self.ranges.seen(self.unknown)

    def range(self) -> tuple[float, float]:
        """The least and the greatest value the published numbers allow."""
        return (math.nan, math.nan) if self.ranges is None else self.ranges.range(self.unknown)

    def describe(self) -> dict:
        cell = self.table.record["cells"][self.position]
        return {
            "report": self.table.report,
            "table": self.table.name,
            "key": dict(zip(self.table.record["dims"], cell["key"], strict=True)),
            "kind": "secondary" if cell["shown"] == disclosure.SECONDARY else "small",
            "range": range_record(*self.range()),
        }


def feasible_ranges(tables: list[Table]) -> tuple[list[Hidden], list[str]]:
    """Every hidden cell of `tables`, decided given all of them (tables of one population are
    linked), and the groups of tables whose published numbers cannot all hold."""
    populations: dict[str, list[Table]] = {}
    for table in tables:
        populations.setdefault(table.record["population"], []).append(table)
    cells, problems = [], []
    for population, group in populations.items():
        ranges, unknowns = disclosure.linked_ranges([t.record for t in group])
        owner = {u: t for t, ids in zip(group, unknowns, strict=True) for u in ids}
        for members in ranges.broken:
            broken = {owner[u] for u in members}
            named = "; ".join(sorted(f"{t.report}, table {t.name!r}" for t in broken))
            problems.append(
                f"population {population!r}: the published numbers of {named} cannot all hold "
                "(their common margins disagree)"
            )
        exposed = set(ranges.exposed())
        cells += [
            Hidden(table, i, ranges, ids[i], ids[i] in exposed)
            for table, ids in zip(group, unknowns, strict=True)
            for i in hidden_positions(table)
        ]
    return cells, problems


def number(value: float) -> str:
    return f"{round(float(value), 2):,.2f}".rstrip("0").rstrip(".")


def one_value(low: float, high: float) -> bool:
    """Whether a range leaves at most one whole number."""
    if math.isinf(high):
        return False
    tol = bounds.TOLERANCE
    return math.floor(high + tol) - math.ceil(low - tol) < 1


def range_text(low: float, high: float, exact: bool = False) -> str:
    """'[1, 9]', '[12, ∞)', or 'pinned to one value' (a range that gives the value is never
    printed; `exact`: sums of published bounds, which give nothing hidden away)."""
    if not exact and one_value(low, high):
        return PINNED
    top = "∞)" if math.isinf(high) else f"{number(high)}]"
    return f"[{number(low)}, {top}"


def range_record(low: float, high: float) -> dict | None:
    """A range for JSON: low, high (None: unbounded) and width; only the width when pinned."""
    if math.isnan(low):
        return None
    width = None if math.isinf(high) else round(high - low, 6)
    if one_value(low, high):
        return {"pinned": True, "width": width}
    top = None if math.isinf(high) else round(high, 6)
    return {"low": round(low, 6), "high": top, "width": width}


def record_text(found: dict | None) -> str:
    if found is None:
        return "not computed"
    if found.get("pinned"):
        return PINNED
    return range_text(found["low"], math.inf if found["high"] is None else found["high"])


@dataclass
class AuditResult:
    run: Path
    reports: list[str]  # the reports that have records, in run order
    tables: list[Table]
    cells: list[Hidden]
    problems: list[str] = field(default_factory=list)  # inconsistent published numbers
    seconds: float = 0.0

    @property
    def exposed(self) -> list[Hidden]:
        return [c for c in self.cells if c.exposed]

    @property
    def status(self) -> int:
        return 1 if self.exposed or self.problems else 0

    def summary(self) -> dict:
        """Everything the audit found, as JSON (the manifest and `--json` hold it)."""
        per_report = []
        for report in self.reports:
            cells = [c for c in self.cells if c.table.report == report]
            found = {"report": report, "tables": sum(t.report == report for t in self.tables)}
            per_report.append({**found, "hidden_cells": len(cells), "narrowest": _narrowest(cells)})
        found = {
            "run": self.run.resolve().name,
            "passed": self.status == 0,
            "status": self.status,
            "tables": len(self.tables),
            "reports": len(self.reports),
            "hidden_cells": len(self.cells),
            "narrowest": _narrowest(self.cells),
            "per_report": per_report,
            "exposed": [c.describe() for c in self.exposed],
            "inconsistent": self.problems,
            "seconds": round(self.seconds, 2),
        }
        for cell in found["exposed"]:
            cell["text"] = exposed_text(cell)
        return {**found, "verdict": verdict(found)}


def _narrowest(cells: list[Hidden]) -> dict | None:
    """The cell with the narrowest feasible range; only cells whose seen range is narrower
    than the best so far need their programs (the true range holds the seen one)."""
    ranged = [(c, _width(c.seen())) for c in cells if not math.isnan(c.seen()[0])]
    if not ranged:
        return None
    ranged.sort(key=lambda pair: pair[1])
    best, best_width = ranged[0][0], math.inf
    for cell, seen in ranged:
        if seen >= best_width:
            break
        if (width := _width(cell.range())) < best_width:
            best, best_width = cell, width
    return best.describe()


def _width(found: tuple[float, float]) -> float:
    return found[1] - found[0]


def audit(run_dir: Path, reports: list[str] | None = None, label: str = "") -> AuditResult:
    """The disclosure audit of a run folder's reports (default all); `label` names the folder
    in messages."""
    started = time.perf_counter()
    present, tables = load(run_dir, reports, label)
    problems, good, left_out = [], [], []
    for table in tables:
        found = margin_problems(table)
        problems += found
        if found:  # left out of the linear program: it would only fail again
            left_out += [Hidden(table, i) for i in hidden_positions(table)]
        else:
            good.append(table)
    cells, linked = feasible_ranges(good)
    result = AuditResult(run_dir, present, tables, cells + left_out, problems + linked)
    result.summary()  # the narrowest ranges: the programs they still need run now
    result.seconds = time.perf_counter() - started
    return result


# What it prints: one home for the command line, the run's log and index.html.


def exposed_text(cell: dict) -> str:
    key = ", ".join(f"{d}: {v}" for d, v in cell["key"].items())
    where = f"{cell['report']}, table {cell['table']!r}, cell {{{key}}}"
    return f"{where} ({cell['kind']}): feasible range {record_text(cell['range'])}"


def verdict(summary: dict) -> str:
    counted = (
        f"{plural(summary['tables'], 'table')} in {plural(summary['reports'], 'report')}, "
        f"{plural(summary['hidden_cells'], 'hidden cell')}"
    )
    if summary["passed"]:  # the narrowest ranges are in the per-report lines
        return (f"Disclosure audit: {counted}, none recoverable: no hidden count can be worked "
                "out from everything the run publishes")  # fmt: skip
    found = [
        plural(len(summary["exposed"]), "hidden cell") + " recoverable",
        plural(len(summary["inconsistent"]), "inconsistency", "inconsistencies"),
    ]
    return f"Disclosure audit FAILED: {', '.join(found)} ({counted})"


def plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"


def report_text(summary: dict) -> str:
    """The human report: one line per report, the exposed cells, the problems, the verdict."""
    width = max([len("report"), *(len(r["report"]) for r in summary["per_report"])])
    lines = [f"{'report':<{width}}  tables  hidden cells  narrowest range"]
    for r in summary["per_report"]:
        narrowest = record_text(r["narrowest"]["range"]) if r["narrowest"] else "-"
        lines.append(
            f"{r['report']:<{width}}  {r['tables']:>6}  {r['hidden_cells']:>12}  {narrowest}"
        )
    if summary["exposed"]:
        lines += ["", "exposed cells:", *(f"  {c['text']}" for c in summary["exposed"])]
    if summary["inconsistent"]:
        lines += ["", "inconsistent:", *(f"  {line}" for line in summary["inconsistent"])]
    return "\n".join([*lines, "", f"{summary['verdict']} ({summary['seconds']:.1f} s)"])
