"""The data registry (`registry.toml`): every raw file the project reads, where it comes from,
and its checksum. `fetch` renames a file into place only once its sha256 matches, so a good file
is never replaced by a bad one; `raw_path` refuses a missing or altered file.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import inspect
import json
import os
import sys
import tomllib
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd

from analysis.data import files, guard, paths
from analysis.data.errors import DataError

REGISTRY_FILE = Path(__file__).with_name("registry.toml")
MIRROR_ENV = "ANALYSIS_DATA_MIRROR"
DOWNLOAD_TIMEOUT_S = 60
CHUNK = 1 << 20


@dataclass(frozen=True)
class RawFile:
    source: str
    name: str
    mirror: str
    sha256: str
    size: int
    url: str | None = None

    @property
    def key(self) -> str:
        return f"{self.source}/{self.name}"

    def path(self, raw_root: Path | None = None) -> Path:
        return (raw_root or paths.raw_dir()) / self.source / self.name


@dataclass(frozen=True)
class Source:
    name: str
    title: str
    publisher: str
    vintage: str
    landing_page: str
    terms: str
    citation: str
    provenance: str
    files: tuple[RawFile, ...]


@dataclass(frozen=True)
class FileStatus:
    file: RawFile
    state: str  # "ok", "missing" or "bad"
    detail: str = ""


@cache
def registry() -> dict[str, Source]:
    entries = tomllib.loads(REGISTRY_FILE.read_text(encoding="utf-8"))["source"]
    sources = {}
    for entry in entries:
        files = tuple(RawFile(source=entry["name"], **f) for f in entry.pop("file"))
        sources[entry["name"]] = Source(**entry, files=files)
    return sources


def select(names: Iterable[str] | None = None) -> list[Source]:
    """The named sources (all when `names` is empty); an unknown name is an error."""
    known = registry()
    names = list(names or known)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise DataError(
            f"unknown source {', '.join(map(repr, unknown))}; registered: {', '.join(known)}"
        )
    return [known[n] for n in names]


def find_file(source: str, name: str | None = None) -> RawFile:
    (entry,) = select([source])
    if name is None:
        if len(entry.files) != 1:
            raise DataError(f"source {source!r} has {len(entry.files)} files; name one")
        return entry.files[0]
    for f in entry.files:
        if f.name == name:
            return f
    raise DataError(
        f"source {source!r} has no file {name!r}; it has {', '.join(f.name for f in entry.files)}"
    )


def sha256_of(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _mismatch(f: RawFile, origin: str, sha: str, size: int) -> str:
    return (
        f"{origin}: sha256 {sha} ({size:,} bytes) does not match the registry entry "
        f"{f.key}: sha256 {f.sha256} ({f.size:,} bytes)"
        + (" - the file looks truncated" if size < f.size else "")
    )


def check(f: RawFile, raw_root: Path | None = None) -> FileStatus:
    path = f.path(raw_root)
    if not path.is_file():
        return FileStatus(f, "missing", f"{path} is missing")
    sha = sha256_of(path)
    if sha != f.sha256:
        return FileStatus(f, "bad", _mismatch(f, str(path), sha, path.stat().st_size))
    return FileStatus(f, "ok")


def verify(names: Iterable[str] | None = None, raw_root: Path | None = None) -> list[FileStatus]:
    return [check(f, raw_root) for s in select(names) for f in s.files]


VERIFIED_RECORD = ".verified.json"  # in the raw folder: each file's size and mtime when it matched


def recheck(names: Iterable[str] | None = None, raw_root: Path | None = None) -> list[FileStatus]:
    """The files of the named sources that are missing or no longer match the registry; a file
    is hashed again only where its size or mtime changed since it last matched."""
    record_path = (raw_root or paths.raw_dir()) / VERIFIED_RECORD
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        record = {}
    record = record if isinstance(record, dict) else {}
    problems, before = [], dict(record)
    for f in (f for s in select(names) for f in s.files):
        path = f.path(raw_root)
        stat = path.stat() if path.is_file() else None
        seen = [stat.st_size, stat.st_mtime_ns, f.sha256] if stat else None
        if seen is not None and record.get(f.key) == seen:
            continue
        status = check(f, raw_root)
        if status.state == "ok":
            record[f.key] = seen
        else:
            record.pop(f.key, None)
            problems.append(status)
    if record != before:
        with contextlib.suppress(OSError):  # a read-only raw folder: hashed again next time
            files.write_json(record, record_path)
    return problems


def _write_verified(f: RawFile, stream, dest: Path, origin: str) -> None:
    """Copy `stream` beside `dest`; rename it into place only if sha256 matches the registry."""
    digest, size = hashlib.sha256(), 0
    with paths.atomic_path(dest) as tmp, open(tmp, "wb") as out:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
        if digest.hexdigest() != f.sha256:
            raise DataError(
                _mismatch(f, origin, digest.hexdigest(), size) + "; refused, nothing replaced"
            )


def _fetch_one(f: RawFile, mirror: Path | None, raw_root: Path | None) -> str:
    """Fetch one file; return how it was served, or raise DataError with every attempt's reason."""
    dest = f.path(raw_root)
    attempts = []
    if mirror is not None:
        src = mirror / f.mirror
        if src.is_file():
            with open(src, "rb") as stream:
                _write_verified(f, stream, dest, str(src))
            return f"copied from {src}"
        attempts.append(f"not in the mirror ({src})")
    if f.url:
        try:
            with urllib.request.urlopen(f.url, timeout=DOWNLOAD_TIMEOUT_S) as stream:
                _write_verified(f, stream, dest, f.url)
            return f"downloaded from {f.url}"
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            attempts.append(f"download failed ({f.url}: {exc})")
    else:
        attempts.append("no public byte-identical copy is registered for download")
    raise DataError(f"{f.key}: " + "; ".join(attempts))


def mirror_from_env(mirror: str | Path | None = None) -> Path | None:
    value = mirror or os.environ.get(MIRROR_ENV) or None
    if value is None:
        return None
    try:
        folder = Path(value).expanduser().resolve()
    except (RuntimeError, OSError):  # a symlink loop (RuntimeError before Python 3.13)
        raise DataError(
            f"mirror folder {value} is a symbolic link that leads back to itself "
            f"(from --mirror or ${MIRROR_ENV})"
        ) from None
    if not folder.is_dir():
        raise DataError(f"mirror folder {folder} does not exist (from --mirror or ${MIRROR_ENV})")
    return folder


def fetch(
    names: Iterable[str] | None = None,
    mirror: str | Path | None = None,
    raw_root: Path | None = None,
    log: Callable[[str], None] = print,
) -> list[FileStatus]:
    """Make every file of the named sources present and verified; raise if any cannot be."""
    mirror_dir, results, failures = None, [], []
    for source in select(names):
        for f in source.files:
            status = check(f, raw_root)
            if status.state == "ok":
                results.append(FileStatus(f, "ok", "present"))
                continue
            mirror_dir = mirror_dir or mirror_from_env(mirror)  # a missing folder: one error
            try:
                how = _fetch_one(f, mirror_dir, raw_root)
                results.append(FileStatus(f, "ok", how))
            except DataError as exc:
                kept = " (the existing file was kept)" if status.state == "bad" else ""
                failures.append(f"  {exc}{kept}")
                results.append(FileStatus(f, status.state, str(exc)))
                continue
            log(f"fetched {f.key}: {how}")
    if failures:
        raise DataError(
            f"{len(failures)} file(s) could not be fetched:\n"
            + "\n".join(failures)
            + f"\nGet them from a mirror folder: set ${MIRROR_ENV} or pass --mirror DIR "
            "(a checkout of the project's shared data, laid out as in each `mirror` path "
            "of src/analysis/data/registry.toml); see the landing page of each source in "
            "`python -m analysis data list`."
        )
    return results


@cache
def _verified(path: Path, mtime_ns: int, size: int, sha256: str) -> bool:
    return sha256_of(path) == sha256


def raw_path(source: str, name: str | None = None, raw_root: Path | None = None) -> Path:
    """The path of a registered raw file, after checking that it is present and unaltered."""
    guard.check_read(f"raw:{source}")
    f = find_file(source, name)
    path = f.path(raw_root)
    if not path.is_file():
        raise DataError(
            f"{path} is missing: run `python -m analysis data fetch {source}` "
            f"(with --mirror DIR or ${MIRROR_ENV})"
        )
    stat = path.stat()
    if not _verified(path, stat.st_mtime_ns, stat.st_size, f.sha256):
        raise DataError(
            _mismatch(f, str(path), sha256_of(path), stat.st_size)
            + f"; delete it and run `python -m analysis data fetch {source}`"
        )
    return path


def read_csv(path: Path, **kwargs) -> pd.DataFrame:
    """pandas.read_csv that names the file when it is truncated or not valid gzip; only the
    empty string means missing by default (`NA` is Namibia)."""
    kwargs.setdefault("keep_default_na", False)
    kwargs.setdefault("na_values", [""])
    try:
        return pd.read_csv(path, **kwargs)
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise DataError(
            f"{path}: cannot be decompressed ({exc}); the file is truncated or corrupt"
        ) from exc
    except FileNotFoundError as exc:
        raise DataError(f"{path} is missing") from exc


def cached_parse(path: Path, parse: Callable[[Path], pd.DataFrame], label: str) -> pd.DataFrame:
    """Parse a slow raw file once; later calls read a parquet copy, keyed on the raw file's
    sha256 and the parser's module source. A copy whose own sha256 (kept beside it) does not
    match is parsed again, with a warning."""
    code = hashlib.sha256(inspect.getsource(inspect.getmodule(parse)).encode()).hexdigest()
    cached = paths.processed_dir() / ".cache" / f"{label}-{sha256_of(path)[:16]}-{code[:8]}.parquet"
    stamp = cached.with_suffix(".sha256")
    if cached.is_file():
        if not stamp.is_file():
            problem = "no checksum beside it"
        elif stamp.read_text(encoding="utf-8").strip() != sha256_of(cached):
            problem = "its content does not match its checksum (edited or damaged)"
        else:
            return pd.read_parquet(cached)
        print(f"warning: {cached}: {problem}; parsing {path.name} again", file=sys.stderr)
    frame = parse(path)
    with paths.atomic_path(cached) as tmp:
        frame.to_parquet(tmp)
        digest = sha256_of(tmp)
    with paths.atomic_path(stamp) as tmp:
        tmp.write_text(digest + "\n", encoding="utf-8")
    return frame


def inventory(names: Iterable[str] | None = None, raw_root: Path | None = None) -> pd.DataFrame:
    """One row per registered file: source, vintage, size, state, terms and citation."""
    rows = [
        {
            "source": s.name,
            "file": f.name,
            "publisher": s.publisher,
            "vintage": s.vintage,
            "size_kb": round(f.size / 1024, 1),
            "state": check(f, raw_root).state,
            "terms": s.terms,
            "citation": s.citation,
        }
        for s in select(names)
        for f in s.files
    ]
    return pd.DataFrame(rows)
