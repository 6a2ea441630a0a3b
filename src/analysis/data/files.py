"""Writing JSON and parquet files atomically (a temporary file, then a rename)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.data import paths


def _json_default(value):
    if isinstance(value, np.generic):  # numpy integers, floats and booleans
        return value.item()
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON: {value!r}")


def _finite(obj):
    """NaN and infinity become null: results files must be valid JSON for every reader."""
    if isinstance(obj, dict):
        return {key: _finite(value) for key, value in obj.items()}
    if isinstance(obj, list | tuple):
        return [_finite(value) for value in obj]
    if isinstance(obj, float | np.floating) and not np.isfinite(obj):
        return None
    return obj


def to_json(obj) -> str:
    return json.dumps(
        _finite(obj),
        indent=2,
        sort_keys=True,
        ensure_ascii=False,
        allow_nan=False,
        default=_json_default,
    )


def write_json(obj, path: Path) -> Path:
    with paths.atomic_path(path) as tmp:
        tmp.write_text(to_json(obj) + "\n", encoding="utf-8")
    return path


def write_parquet(frame: pd.DataFrame, path: Path) -> Path:
    with paths.atomic_path(path) as tmp:
        frame.to_parquet(tmp, index=False)
    return path
