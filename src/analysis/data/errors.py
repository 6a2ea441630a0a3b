"""The one error type for bad input data, and the checks the loaders of `mappings/` share."""

from __future__ import annotations

import dataclasses


class DataError(Exception):
    """A problem with input data; the message names the file (and column and rows where known)."""


def check_rows(path, checks: dict) -> None:
    """One DataError naming the file and, for each failed check (a boolean Series over a table
    read with its default index), the spreadsheet rows (the header is row 1)."""
    problems = [
        f"{what} in rows {list(bad.index[bad] + 2)}" for what, bad in checks.items() if bad.any()
    ]
    if problems:
        raise DataError(f"{path}: " + "; ".join(problems))


def check_entry(path, entry: str, values: dict, cls, optional: tuple[str, ...] = ()) -> None:
    """A TOML entry's keys are the fields of the dataclass it fills (`name` comes from the entry's
    own key; `optional`: fields the loader fills when the entry lacks them)."""
    fields = [f for f in dataclasses.fields(cls) if f.name != "name"]
    required = [
        f.name
        for f in fields
        if f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
        and f.name not in optional
    ]
    unknown = sorted(set(values) - {f.name for f in fields})
    missing = [k for k in required if k not in values]
    if unknown or missing:
        raise DataError(f"{path}: entry [{entry}]: unknown keys {unknown}, missing keys {missing}")
