"""A content-addressed store of executed notebooks: a finished task's files under its key.

Any run with the same key takes them from there, so a stopped or failed run loses no finished
work. Files are read-only hard links (no extra space), reused only while their sha256 holds.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from collections.abc import Iterable
from pathlib import Path

from analysis.data import files, paths, sources

STORE = ".store"
ENTRY = "entry.json"


def folder(root: Path, key: str) -> Path:
    return root / STORE / key


def read_only(published: Iterable[Path]) -> None:
    """Published files are read-only: an editor that saves in place fails rather than change
    every run and store entry sharing the file (root still can: every reuse re-hashes)."""
    mode = paths.file_mode() & ~0o222
    for path in published:
        path.chmod(mode)


def link(source: Path, target: Path) -> None:
    """`target` becomes a read-only hard link of `source` (a copy where links are not had)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)
    read_only([target])


def save(root: Path, key: str, run_dir: Path, rels: list[Path], record: dict) -> None:
    """Keep a finished task's files (`rels`, in `run_dir`) and `record` under `key`; built
    beside the store and renamed into place, so an entry is whole or absent."""
    final = folder(root, key)
    if find(root, key) is not None:
        return
    if final.exists():  # an entry whose files were edited or lost: replaced by this one
        shutil.rmtree(final, ignore_errors=True)
    building = root / STORE / f".{key}.{os.getpid()}.part"
    shutil.rmtree(building, ignore_errors=True)
    hashes = {}
    for rel in rels:
        link(run_dir / rel, building / "files" / rel)
        hashes[str(rel)] = sources.sha256_of(building / "files" / rel)
    entry = {**record, "key": key, "files": [str(r) for r in rels], "sha256": hashes,
             "stored": time.time()}  # fmt: skip
    files.write_json(entry, building / ENTRY)
    with contextlib.suppress(OSError):  # another run stored the same key meanwhile: keep it
        os.replace(building, final)
    shutil.rmtree(building, ignore_errors=True)


def find(root: Path, key: str) -> dict | None:
    """The entry stored under `key`, while all its files are as stored; else None."""
    entry_file = folder(root, key) / ENTRY
    try:
        entry = json.loads(entry_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(entry, dict) or entry.get("key") != key:
        return None
    kept = unaltered(folder(root, key) / "files", entry.get("files", []), entry.get("sha256", {}))
    return entry if kept else None


def unaltered(base: Path, rels: Iterable[str], hashes: dict[str, str]) -> bool:
    """Whether each file (`rels`, in `base`) still has the sha256 recorded when it was made: a
    file edited in place (runs and the store share inodes) is never carried over."""
    return all(
        rel in hashes and (base / rel).is_file() and sources.sha256_of(base / rel) == hashes[rel]
        for rel in rels
    )


def restore(root: Path, entry: dict, run_dir: Path) -> None:
    """Link an entry's files into a run folder, and note when it was used (for `prune`)."""
    for rel in entry["files"]:
        link(folder(root, entry["key"]) / "files" / rel, run_dir / rel)
    with contextlib.suppress(OSError):
        files.write_json({**entry, "used": time.time()}, folder(root, entry["key"]) / ENTRY)


def prune(root: Path, older_than_seconds: float) -> int:
    """Remove the entries neither stored nor used within `older_than_seconds`; how many."""
    store = root / STORE
    if not store.is_dir():
        return 0
    cutoff, removed = time.time() - older_than_seconds, 0
    for entry_dir in store.iterdir():
        try:
            entry = json.loads((entry_dir / ENTRY).read_text(encoding="utf-8"))
            stored = max(entry["stored"], entry.get("used", 0.0))
        except (OSError, ValueError, KeyError, TypeError):
            stored = 0.0  # unreadable or half-built
        if stored < cutoff:
            shutil.rmtree(entry_dir, ignore_errors=True)
            removed += 1
    return removed


def parse_age(text: str) -> float:
    """'90d', '12h', '30m' or '45s' as seconds; a ValueError naming the text otherwise."""
    units = {"d": 86400, "h": 3600, "m": 60, "s": 1}
    number, unit = text[:-1], text[-1:].lower()
    if unit not in units or not number.replace(".", "", 1).isdigit():
        raise ValueError(f"an age such as 90d, 12h or 30m, got {text!r}")
    return float(number) * units[unit]
