"""What a notebook hands to its report: key numbers (results JSON) and figure files.

In a run, the runner injects `report_dir` (the run folder); opened in JupyterLab it is None and
nothing is written, so exploring never touches a published report. `save` is the gate every
results file passes: it refuses one that holds a small count or any part of a hidden share
(`disclosure.check_results`), in JupyterLab too.

    report = Report("10_victim_trends", report_dir, min_cell)
    report.record("female_share", 0.71)
    report.figure(fig, "female_share_by_year")
    report.save()
"""

from __future__ import annotations

from pathlib import Path

import matplotlib as mpl

from analysis.data import files
from analysis.data.paths import atomic_path
from analysis.publish import disclosure
from analysis.publish.tables import Table

# Deterministic figure files: no dates or software versions in the metadata, fixed SVG ids.
mpl.rcParams["svg.hashsalt"] = "thb-analysis"
PNG_METADATA = {"Software": None}
SVG_METADATA = {"Date": None, "Creator": None}
TABLES_VERSION = 1  # of the table records in results/<notebook>.tables.json


class Report:
    def __init__(
        self,
        notebook: str,
        report_dir: str | Path | None,
        min_cell: int = disclosure.DEFAULT_THRESHOLD,
    ):
        self.notebook = notebook
        self.folder = Path(report_dir) if report_dir else None
        self.min_cell = disclosure.check_threshold(min_cell)
        self.results: dict = {}
        self.tables: list[dict] = []

    def record(self, key: str, value) -> None:
        """Keep a key number for results/<notebook>.json (JSON-serialisable values)."""
        self.results[key] = value

    def table(self, table: disclosure.CountTable) -> disclosure.CountTable:
        """Keep a protected table's record (what a reader sees of it, no hidden value) for
        results/<notebook>.tables.json, which `analysis audit` reads; returns the table."""
        self.tables.append(table.record())
        return table

    def show_table(self, table: Table, name: str) -> Table:
        """A table for the reader (`publish.tables.Table`): in a run, also written as
        tables/<notebook>/<name>.csv (the text the reader sees, after suppression) and linked
        under the table. Returns it, so that a notebook cell ending with it displays it."""
        if self.folder is not None:
            rel = f"tables/{self.notebook}/{name}.csv"
            with atomic_path(self.folder / rel) as tmp:
                table.shown().to_csv(tmp, index=False, lineterminator="\n")
            table.link = rel
        return table

    def figure(self, fig, name: str) -> Path | None:
        """Save `fig` as PNG and SVG under figures/<notebook>/ in the run folder."""
        if self.folder is None:
            return None
        target = self.folder / "figures" / self.notebook
        for suffix, metadata in ((".png", PNG_METADATA), (".svg", SVG_METADATA)):
            path = target / f"{name}{suffix}"
            with atomic_path(path) as tmp:
                fig.savefig(tmp, format=suffix[1:], metadata=metadata, dpi=150)
        return target / f"{name}.png"

    def save(self) -> None:
        """Write results/<notebook>.json (returns nothing, so the notebook shows nothing).

        Also writes results/<notebook>.tables.json, the records of its protected tables.
        A `DisclosureError` naming every offending key, and nothing written, when a count
        is a small cell, a suppressed record still holds its count, share or interval, or
        the notebook's own tables give a hidden cell away (`disclosure.exposed_cells`)."""
        leaks = disclosure.check_results(self.results, self.min_cell)
        if leaks:
            raise disclosure.DisclosureError(
                f"{self.notebook}: results would reveal small cells (below {self.min_cell}): "
                + "; ".join(leaks[:10])
                + (f"; and {len(leaks) - 10} more" if len(leaks) > 10 else "")
            )
        exposed = disclosure.exposed_cells(self.tables)
        if exposed:
            where = "; ".join(f"{c['table']}: {c['kind']} cell {c['key']}" for c in exposed[:5])
            raise disclosure.DisclosureError(
                f"{self.notebook}: its published tables give hidden cells away: {where}"
            )
        if self.folder is not None:
            results = self.folder / "results"
            files.write_json({"notebook": self.notebook, "results": self.results},
                             results / f"{self.notebook}.json")  # fmt: skip
            files.write_json(
                {"notebook": self.notebook, "version": TABLES_VERSION, "tables": self.tables},
                results / f"{self.notebook}.tables.json",
            )
