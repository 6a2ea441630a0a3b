"""The 2009 news report the project started from, read from its registered raw file."""

from __future__ import annotations

from pathlib import Path

from analysis.data import sources

ARTICLE = "euroradio_2009"  # the registry entry of the report


def article_text(raw_root: Path | None = None) -> str:
    """The full text of the report, from its checksum-verified raw file."""
    return sources.raw_path(ARTICLE, raw_root=raw_root).read_text(encoding="utf-8")
