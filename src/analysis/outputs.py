"""Writing processed tables and JSON atomically (temporary file, then rename)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import paths


def _json_default(value):
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON: {value!r}")


def to_json(obj) -> str:
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False, default=_json_default)


def write_json(obj, path: Path) -> Path:
    with paths.atomic_path(path) as tmp:
        tmp.write_text(to_json(obj) + "\n", encoding="utf-8")
    return path


def write_parquet(frame: pd.DataFrame, path: Path) -> Path:
    with paths.atomic_path(path) as tmp:
        frame.to_parquet(tmp, index=False)
    return path
