"""Files the project writes follow the umask (0644 under umask 022), like files open() makes:
reports and tables that a scheduled run writes are readable by a web server or a colleague.
Published report files are read-only besides (0444): runs and the store share them."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pandas as pd
import pytest

from analysis.data import files, paths
from analysis.run import store


@pytest.fixture
def umask():
    """Set the process's umask for the test; the previous one comes back after it."""
    before = os.umask(0o022)

    def set_mask(mask: int) -> None:
        os.umask(mask)

    yield set_mask
    os.umask(before)


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_atomic_files_and_new_folders_follow_the_umask(tmp_path, umask):
    umask(0o022)
    assert paths.umask() == 0o022 and paths.file_mode() == 0o644
    written = files.write_json({"a": 1}, tmp_path / "results/new/x.json")
    table = files.write_parquet(pd.DataFrame({"a": [1]}), tmp_path / "data/t.parquet")
    with paths.atomic_path(tmp_path / "page.html") as tmp:
        tmp.write_text("<p>")
    assert [mode(p) for p in (written, table, tmp_path / "page.html")] == [0o644] * 3
    assert mode(tmp_path / "results/new") == 0o755
    umask(0o077)
    assert mode(files.write_json({}, tmp_path / "private.json")) == 0o600


def test_reused_files_follow_the_umask_and_are_read_only(tmp_path, umask):
    """A report reused from the store (`store.save`, `store.restore`) is read-only."""
    umask(0o022)
    old = tmp_path / "old"
    (old / "results").mkdir(parents=True)
    for rel in ("10_x.html", "results/10_x.json", "results/10_x.figures.json"):
        (old / rel).write_text("{}")
        (old / rel).chmod(0o600)  # as runs made before wrote them
    files = [Path(r) for r in ("10_x.html", "results/10_x.json", "results/10_x.figures.json")]
    store.save(tmp_path, "key", old, files, {})
    store.restore(tmp_path, store.find(tmp_path, "key"), tmp_path / "new")
    carried = sorted(p for p in (tmp_path / "new").rglob("*") if p.is_file())
    assert [p.name for p in carried] == ["10_x.html", "10_x.figures.json", "10_x.json"]
    assert {mode(p) for p in carried} == {0o444}
    umask(0o077)
    store.restore(tmp_path, store.find(tmp_path, "key"), tmp_path / "private")
    assert {mode(p) for p in (tmp_path / "private").rglob("*") if p.is_file()} == {0o400}
