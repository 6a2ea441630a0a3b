"""The store of executed notebooks: whole entries, found by key, restored, pruned."""

import json
import os
import time

import pytest

from analysis.run import store


def _run_dir(tmp_path):
    run_dir = tmp_path / "reports" / "2026-01-01T000000Z"
    (run_dir / "results").mkdir(parents=True)
    (run_dir / "10_x.html").write_text("<html>report</html>")
    (run_dir / "results/10_x.json").write_text("{}")
    return run_dir


def test_a_stored_task_is_found_by_its_key_and_restored(tmp_path):
    root, run_dir = tmp_path / "reports", _run_dir(tmp_path)
    rels = [p.relative_to(run_dir) for p in sorted(run_dir.rglob("*")) if p.is_file()]
    store.save(root, "k1", run_dir, rels, {"run_id": run_dir.name, "seconds": 2.5})
    entry = store.find(root, "k1")
    assert entry["run_id"] == run_dir.name and entry["files"] == ["10_x.html", "results/10_x.json"]
    assert store.find(root, "k2") is None
    target = tmp_path / "next"
    store.restore(root, entry, target)
    assert (target / "10_x.html").read_text() == "<html>report</html>"
    assert os.stat(target / "10_x.html").st_ino == os.stat(run_dir / "10_x.html").st_ino  # linked
    (store.folder(root, "k1") / "files/results/10_x.json").unlink()
    assert store.find(root, "k1") is None  # an entry with a file missing is not used


def test_an_entry_edited_in_place_is_not_used_and_is_replaced_by_the_next_save(tmp_path):
    root, run_dir = tmp_path / "reports", _run_dir(tmp_path)
    rels = [p.relative_to(run_dir) for p in sorted(run_dir.rglob("*")) if p.is_file()]
    store.save(root, "k1", run_dir, rels, {"run_id": run_dir.name})
    page = store.folder(root, "k1") / "files/10_x.html"
    assert page.stat().st_mode & 0o222 == 0  # read-only
    page.chmod(0o644)
    page.write_text("<html>edited</html>")  # in place: the run folder shares the inode
    assert store.find(root, "k1") is None
    again = tmp_path / "reports" / "2026-01-02T000000Z"
    (again / "results").mkdir(parents=True)
    (again / "10_x.html").write_text("<html>report</html>")
    (again / "results/10_x.json").write_text("{}")
    store.save(root, "k1", again, rels, {"run_id": again.name})
    entry = store.find(root, "k1")
    assert entry is not None and entry["run_id"] == again.name
    assert (store.folder(root, "k1") / "files/10_x.html").read_text() == "<html>report</html>"


def test_old_and_half_built_entries_are_pruned(tmp_path):
    root, run_dir = tmp_path / "reports", _run_dir(tmp_path)
    store.save(root, "old", run_dir, [], {"run_id": "a"})
    store.save(root, "new", run_dir, [], {"run_id": "b"})
    entry = store.folder(root, "old") / store.ENTRY
    entry.write_text(
        json.dumps({**json.loads(entry.read_text()), "stored": time.time() - 91 * 86400})
    )
    (root / store.STORE / ".k.123.part").mkdir()  # left by a killed run
    assert store.prune(root, store.parse_age("90d")) == 2
    assert store.find(root, "old") is None and store.find(root, "new") is not None


@pytest.mark.parametrize(("text", "seconds"), [("90d", 7776000), ("12h", 43200), ("30m", 1800)])
def test_ages_read_in_days_hours_minutes(text, seconds):
    assert store.parse_age(text) == seconds


@pytest.mark.parametrize("text", ["90", "d", "ninety days", "-3d"])
def test_a_bad_age_is_named(text):
    with pytest.raises(ValueError, match="an age such as 90d"):
        store.parse_age(text)


def test_an_old_entry_a_recent_run_reused_is_kept_by_prune(tmp_path):
    """The store is the one way a report is reused: what the latest run took from it, however
    long ago it was made, survives a prune."""
    root, run_dir = tmp_path / "reports", _run_dir(tmp_path)
    for key in ("reused", "unused"):
        store.save(root, key, run_dir, [], {"run_id": "a"})
        entry = store.folder(root, key) / store.ENTRY
        old = {**json.loads(entry.read_text()), "stored": time.time() - 91 * 86400}
        entry.write_text(json.dumps(old))
    store.restore(root, store.find(root, "reused"), tmp_path / "next")
    assert store.prune(root, store.parse_age("90d")) == 1
    assert store.find(root, "reused") is not None and store.find(root, "unused") is None
