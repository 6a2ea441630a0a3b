"""Every processed table, declared once: its name, file, schema and the step that writes it.
In a run, reading a table the step did not declare, or writing one another step owns, is an
`UndeclaredRead` (`analysis.data.guard`).
"""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis.data import files, guard, paths
from analysis.data.errors import DataError, check_rows


@dataclass(frozen=True)
class Table:
    name: str
    path: str  # relative to data/processed
    writer: str  # the step (notebook stem) that writes it
    schema: str | None = None  # "module:NAME" of its pandera schema under analysis.schemas
    description: str = ""

    def location(self, folder: str | Path | None = None) -> Path:
        return Path(folder or paths.processed_dir()) / self.path

    def load_schema(self):
        if self.schema is None:
            return None
        module, _, name = self.schema.partition(":")
        return getattr(importlib.import_module(f"analysis.schemas.{module}"), name)


CATALOG_FILE = Path(__file__).resolve().parent / "mappings" / "catalog.csv"
SCHEMAS = Path(__file__).resolve().parent / "schemas"


def load_catalog(path: Path = CATALOG_FILE) -> dict[str, Table]:
    """The catalog, checked: a schema is "module:NAME" of a module under analysis.schemas."""
    rows = pd.read_csv(path, dtype=str, keep_default_na=False)
    module = rows["schema"].str.extract(r"^(\w+):\w+$")[0]
    known = module.isin([p.stem for p in SCHEMAS.glob("[!_]*.py")])
    check_rows(
        path,
        {
            "repeated table name": rows.duplicated("name"),
            "column 'schema': unknown schema": (rows["schema"] != "") & ~known,
        },
    )
    return {
        row["name"]: Table(**{**row, "schema": row["schema"] or None})
        for row in rows.to_dict("records")
    }


TABLES = load_catalog()


def table(name: str) -> Table:
    try:
        return TABLES[name]
    except KeyError:
        raise KeyError(
            f"no processed table {name!r}; the catalog has {', '.join(TABLES)}"
        ) from None


def written_by(step: str) -> list[Table]:
    return [t for t in TABLES.values() if t.writer == step]


def read(
    name: str,
    columns: list[str] | None = None,
    required: list[str] | tuple[str, ...] = (),
    folder: str | Path | None = None,
) -> pd.DataFrame:
    """A processed table; a missing file or column is a DataError naming the file."""
    path = _existing(name, folder)
    frame = pd.read_parquet(path, columns=columns)
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise DataError(f"{path}: columns {missing} are missing")
    return frame


def read_json(name: str, folder: str | Path | None = None):
    return json.loads(_existing(name, folder).read_text(encoding="utf-8"))


def _existing(name: str, folder: str | Path | None) -> Path:
    entry = table(name)
    guard.check_read(name)
    path = entry.location(folder)
    if not path.is_file():
        raise DataError(
            f"{path} is missing: run the step {entry.writer} first (python -m analysis run)"
        )
    return path


def _check_writer(entry: Table) -> None:
    step = guard.running_step()
    if step and step != entry.writer:
        raise guard.UndeclaredRead(
            f"step {step} writes table {entry.name!r}, which {entry.writer} owns"
        )


def remove(name: str, folder: str | Path | None = None) -> None:
    """Delete a processed table that its step no longer makes (nothing when it is absent)."""
    entry = table(name)
    _check_writer(entry)
    entry.location(folder).unlink(missing_ok=True)


def validate(name: str, frame: pd.DataFrame, label: str) -> pd.DataFrame:
    """The frame checked against the pandera schema the catalog names for table `name`."""
    return check(table(name).load_schema(), frame, label)


def check(schema, frame: pd.DataFrame, label: str) -> pd.DataFrame:
    """`frame` checked against a pandera `schema`; a failure is a DataError naming `label` (the
    file or table), the columns, checks and rows."""
    import pandera.errors

    try:
        checked = schema.validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        lines = [
            f"  column {row.column}: {row.check} failed for {row.failure_case!r} (row {row.index})"
            for row in cases.head(10).itertuples()
        ]
        more = f"\n  ... and {len(cases) - 10} more" if len(cases) > 10 else ""
        raise DataError(
            f"{label}: {len(cases)} schema failure(s)\n" + "\n".join(lines) + more
        ) from exc
    return checked


def write(name: str, data, folder: str | Path | None = None) -> Path:
    """Write a processed table (a frame as parquet, anything else as JSON), atomically; a frame
    is checked against its schema first, whatever a step checked before."""
    entry = table(name)
    _check_writer(entry)
    path = entry.location(folder)
    if isinstance(data, pd.DataFrame):
        if entry.schema:
            data = validate(name, data, str(path))
        return files.write_parquet(data, path)
    return files.write_json(data, path)
