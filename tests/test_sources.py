"""The data registry: fetch from a mirror, checksum refusal, atomic replacement, clear errors."""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import shutil
import urllib.error
from pathlib import Path

import pandas as pd
import pytest

from analysis.data import sources
from analysis.data.errors import DataError
from analysis.run import cli

BELARUS = sources.find_file("belarus_press")
CTDC_2020 = sources.find_file("ctdc_global_2020")
M49 = sources.find_file("unsd_m49")


def make_mirror(root: Path, f: sources.RawFile, content: bytes) -> Path:
    target = root / f.mirror
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)
    return root


def good_bytes(f: sources.RawFile, shared_mirror) -> bytes:
    return (Path(shared_mirror) / f.mirror).read_bytes()


def test_registry_entries_are_complete():
    registry = sources.registry()
    assert len(registry) >= 14
    for source in registry.values():
        for field in ("title", "publisher", "vintage", "landing_page", "terms", "citation"):
            assert getattr(source, field).strip(), f"{source.name}: empty {field}"
        assert source.files
        for f in source.files:
            assert re.fullmatch(r"[0-9a-f]{64}", f.sha256), f.key
            assert f.size > 0
            assert f.url is None or f.url.startswith("https://")
    names = [f.key for s in registry.values() for f in s.files]
    assert len(names) == len(set(names))


def test_fetch_copies_from_mirror_and_verifies(tmp_path, shared_mirror):
    raw = tmp_path / "raw"
    results = sources.fetch(["belarus_press"], mirror=shared_mirror, raw_root=raw, log=print)
    assert [r.state for r in results] == ["ok"]
    assert hashlib.sha256(BELARUS.path(raw).read_bytes()).hexdigest() == BELARUS.sha256
    # A second fetch finds the file present and does nothing.
    again = sources.fetch(["belarus_press"], mirror=shared_mirror, raw_root=raw)
    assert [r.detail for r in again] == ["present"]
    assert not list(BELARUS.path(raw).parent.glob("*.part*"))


def test_wrong_checksum_in_mirror_is_refused_and_names_both_hashes(tmp_path, shared_mirror):
    raw = tmp_path / "raw"
    altered = good_bytes(BELARUS, shared_mirror) + b"2010,full year,made_up,1,,,,,\n"
    mirror = make_mirror(tmp_path / "mirror", BELARUS, altered)
    with pytest.raises(DataError) as err:
        sources.fetch(["belarus_press"], mirror=mirror, raw_root=raw)
    message = str(err.value)
    assert BELARUS.sha256 in message
    assert hashlib.sha256(altered).hexdigest() in message
    assert str(mirror / BELARUS.mirror) in message
    assert not BELARUS.path(raw).exists()
    assert not list((raw / "belarus_press").glob("*"))  # no temporary file left behind


def test_bad_mirror_never_replaces_an_existing_file(tmp_path, shared_mirror):
    raw = tmp_path / "raw"
    sources.fetch(["belarus_press"], mirror=shared_mirror, raw_root=raw)
    before = BELARUS.path(raw).read_bytes()
    mirror = make_mirror(tmp_path / "mirror", BELARUS, b"year,value\n2009,999\n")
    sources.fetch(["belarus_press"], mirror=mirror, raw_root=raw)  # good file: untouched
    assert BELARUS.path(raw).read_bytes() == before
    # An existing *bad* file is not replaced by another bad one either.
    BELARUS.path(raw).write_bytes(b"an older, different version\n")
    with pytest.raises(DataError, match="existing file was kept"):
        sources.fetch(["belarus_press"], mirror=mirror, raw_root=raw)
    assert BELARUS.path(raw).read_bytes() == b"an older, different version\n"


def test_truncated_gzip_in_mirror_is_refused(tmp_path, shared_mirror):
    whole = good_bytes(CTDC_2020, shared_mirror)
    mirror = make_mirror(tmp_path / "mirror", CTDC_2020, whole[: len(whole) // 2])
    with pytest.raises(DataError, match="looks truncated"):
        sources.fetch(["ctdc_global_2020"], mirror=mirror, raw_root=tmp_path / "raw")


def test_reading_a_truncated_gzip_names_the_file(tmp_path):
    path = tmp_path / "cases.csv.gz"
    rows = "".join(f"{i},{i * 7919 % 104729}\n" for i in range(5000)).encode()
    whole = gzip.compress(b"a,b\n" + rows)
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(DataError, match=r"cases\.csv\.gz.*truncated"):
        sources.read_csv(path)


def test_read_csv_keeps_namibia(tmp_path):
    path = tmp_path / "codes.csv"
    path.write_text("citizenship,n\nNA,1\n,2\nUS,3\n")
    frame = sources.read_csv(path)
    assert frame["citizenship"].tolist()[0] == "NA"
    assert frame["citizenship"].isna().tolist() == [False, True, False]


def test_missing_mirror_file_names_the_file(tmp_path, no_mirror):
    (tmp_path / "mirror").mkdir()
    with pytest.raises(DataError) as err:
        sources.fetch(["belarus_press"], mirror=tmp_path / "mirror", raw_root=tmp_path / "raw")
    assert "belarus_press/belarus_thb_official_figures_press.csv" in str(err.value)
    assert "not in the mirror" in str(err.value)


def test_missing_mirror_folder_is_an_error(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        sources.fetch(["belarus_press"], mirror=tmp_path / "nowhere", raw_root=tmp_path / "raw")


def test_a_mirror_folder_that_is_a_symlink_loop_is_one_clear_error(tmp_path):
    loop = tmp_path / "mirror"
    loop.symlink_to(loop)
    with pytest.raises(DataError) as err:
        sources.fetch(["belarus_press"], mirror=loop, raw_root=tmp_path / "raw")
    assert str(err.value) == (
        f"mirror folder {loop} is a symbolic link that leads back to itself "
        "(from --mirror or $ANALYSIS_DATA_MIRROR)"
    )


def test_a_missing_mirror_folder_does_not_matter_when_every_file_is_present(
    tmp_path, shared_mirror
):
    sources.fetch(["belarus_press"], mirror=shared_mirror, raw_root=tmp_path)
    again = sources.fetch(["belarus_press"], mirror=tmp_path / "nowhere", raw_root=tmp_path)
    assert [r.detail for r in again] == ["present"]


def test_recheck_hashes_only_files_changed_since_they_last_matched(
    tmp_path, shared_mirror, monkeypatch
):
    sources.fetch(["belarus_press", "unsd_m49"], mirror=shared_mirror, raw_root=tmp_path)
    hashed = []
    real_sha = sources.sha256_of
    monkeypatch.setattr(sources, "sha256_of", lambda p: hashed.append(p.name) or real_sha(p))
    assert sources.recheck(["belarus_press", "unsd_m49"], raw_root=tmp_path) == []
    assert len(hashed) == 2
    hashed.clear()
    assert sources.recheck(["belarus_press", "unsd_m49"], raw_root=tmp_path) == []
    assert hashed == []  # the record holds both: nothing hashed
    path = BELARUS.path(tmp_path)
    data = bytearray(path.read_bytes())
    stat = path.stat()
    data[10] ^= 1  # one byte flipped: the same size, a new modification time
    path.write_bytes(bytes(data))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    (problem,) = sources.recheck(["belarus_press", "unsd_m49"], raw_root=tmp_path)
    assert hashed == [path.name]
    assert (
        problem.state == "bad"
        and str(path) in problem.detail
        and "does not match" in problem.detail
    )
    M49.path(tmp_path).unlink()
    states = [p.state for p in sources.recheck(["belarus_press", "unsd_m49"], raw_root=tmp_path)]
    assert states == ["bad", "missing"]


def test_unknown_source_lists_the_registered_ones(tmp_path):
    with pytest.raises(DataError, match=r"unknown source 'glotip_1999'.*glotip_2025"):
        sources.fetch(["glotip_1999"], raw_root=tmp_path)


def test_no_mirror_and_no_network(tmp_path, monkeypatch, no_mirror):
    def offline(*args, **kwargs):
        raise urllib.error.URLError("network unreachable")

    monkeypatch.setattr(sources.urllib.request, "urlopen", offline)
    with pytest.raises(DataError) as err:
        sources.fetch(["unsd_m49", "belarus_press"], raw_root=tmp_path)
    message = str(err.value)
    assert "2 file(s) could not be fetched" in message
    assert "download failed" in message and M49.url in message
    assert "no public byte-identical copy" in message
    assert "ANALYSIS_DATA_MIRROR" in message


def test_download_is_verified(tmp_path, monkeypatch, no_mirror, shared_mirror):
    content = good_bytes(M49, shared_mirror)

    class Response:
        def __init__(self, data):
            self.data = data

        def read(self, n):
            chunk, self.data = self.data[:n], self.data[n:]
            return chunk

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(sources.urllib.request, "urlopen", lambda url, timeout: Response(content))
    results = sources.fetch(["unsd_m49"], raw_root=tmp_path)
    assert results[0].detail.startswith("downloaded from https://")
    monkeypatch.setattr(sources.urllib.request, "urlopen", lambda url, timeout: Response(b"<html>"))
    M49.path(tmp_path).unlink()
    with pytest.raises(DataError, match="does not match"):
        sources.fetch(["unsd_m49"], raw_root=tmp_path)


def test_raw_path_refuses_missing_and_altered_files(tmp_path, shared_mirror):
    with pytest.raises(DataError, match="is missing: run `python -m analysis data fetch"):
        sources.raw_path("belarus_press", raw_root=tmp_path)
    sources.fetch(["belarus_press"], mirror=shared_mirror, raw_root=tmp_path)
    assert sources.raw_path("belarus_press", raw_root=tmp_path) == BELARUS.path(tmp_path)
    BELARUS.path(tmp_path).write_text("tampered\n")
    with pytest.raises(DataError, match="does not match"):
        sources.raw_path("belarus_press", raw_root=tmp_path)


def test_source_with_several_files_needs_a_file_name():
    with pytest.raises(DataError, match="has 3 files"):
        sources.find_file("ctdc_kanon_2021")
    with pytest.raises(DataError, match="has no file 'x.csv'"):
        sources.find_file("ctdc_kanon_2021", "x.csv")


def test_every_registered_file_is_present_and_verified():
    """The real data, as fetched from the mirror before the suite: every file OK."""
    results = sources.verify()
    assert {r.file.key: r.state for r in results if r.state != "ok"} == {}
    assert len(results) == sum(len(s.files) for s in sources.registry().values())


# Command line: exit codes and messages.


def test_cli_fetch_then_verify(project, shared_mirror, capsys):
    assert cli.main(["data", "fetch", "--mirror", shared_mirror, "belarus_press"]) == 0
    assert cli.main(["data", "verify", "belarus_press"]) == 0
    assert "1 of 1 registered files OK" in capsys.readouterr().out


def test_cli_verify_reports_missing_and_bad(project, shared_mirror, capsys):
    assert cli.main(["data", "verify", "belarus_press", "unsd_m49"]) == 1
    out = capsys.readouterr().out
    assert out.count("MISSING") == 2
    cli.main(["data", "fetch", "--mirror", shared_mirror, "belarus_press"])
    BELARUS.path(project / "data/raw").write_text("x\n")
    assert cli.main(["data", "verify", "belarus_press"]) == 1
    assert "BAD" in capsys.readouterr().out


def test_cli_errors_are_one_clear_line(project, no_mirror, capsys, monkeypatch):
    monkeypatch.setattr(
        sources.urllib.request, "urlopen", lambda *a, **k: (_ for _ in ()).throw(OSError("down"))
    )
    assert cli.main(["data", "fetch", "no_such_source"]) == 1
    assert capsys.readouterr().err.startswith("error: unknown source 'no_such_source'")
    assert cli.main(["data", "fetch", "unsd_m49"]) == 1
    assert "could not be fetched" in capsys.readouterr().err


def test_cli_list_shows_every_source(project, capsys):
    assert cli.main(["data", "list"]) == 0
    out = capsys.readouterr().out
    for name in sources.registry():
        assert f"{name}: " in out
    assert "[missing]" in out


def test_mirror_from_environment(project, shared_mirror, monkeypatch):
    monkeypatch.setenv("ANALYSIS_DATA_MIRROR", shared_mirror)
    assert cli.main(["data", "fetch", "mse_tables"]) == 0
    (mse,) = sources.select(["mse_tables"])
    assert all(f.path(project / "data/raw").is_file() for f in mse.files)


def test_shared_mirror_copy_is_not_modified(shared_mirror, tmp_path):
    """Fetching copies; it never moves or edits the mirror's files."""
    source = Path(shared_mirror) / BELARUS.mirror
    before = source.read_bytes()
    sources.fetch(["belarus_press"], mirror=shared_mirror, raw_root=tmp_path)
    assert source.read_bytes() == before
    shutil.rmtree(tmp_path / "belarus_press")


def _parse_counting(calls):
    def parse(path):
        calls.append(path)
        return pd.DataFrame({"victims": [int(path.read_text())]})

    return parse


def test_a_cached_parse_is_reused_only_while_its_checksum_holds(project, capsys):
    raw = project / "export.txt"
    raw.write_text("126")
    calls = []
    parse = _parse_counting(calls)
    assert sources.cached_parse(raw, parse, "x")["victims"].tolist() == [126]
    assert sources.cached_parse(raw, parse, "x")["victims"].tolist() == [126]
    assert len(calls) == 1
    (cached,) = (project / "data/processed/.cache").glob("x-*.parquet")
    pd.DataFrame({"victims": [9126]}).to_parquet(cached)  # an edited copy
    assert sources.cached_parse(raw, parse, "x")["victims"].tolist() == [126]
    assert "does not match its checksum" in capsys.readouterr().err and len(calls) == 2
    cached.write_bytes(cached.read_bytes()[:20])  # a truncated copy
    assert sources.cached_parse(raw, parse, "x")["victims"].tolist() == [126]
    assert "parsing export.txt again" in capsys.readouterr().err and len(calls) == 3
    cached.with_suffix(".sha256").unlink()
    assert sources.cached_parse(raw, parse, "x")["victims"].tolist() == [126]
    assert "no checksum beside it" in capsys.readouterr().err
    raw.write_text("130")  # a new raw file: a new key
    assert sources.cached_parse(raw, parse, "x")["victims"].tolist() == [130]
