"""What the report checks share: where the run folder is, which pages of it are reports, and
when a page's title says nothing (the browser test and the text scan both check titles)."""

from __future__ import annotations

import os
from pathlib import Path

RUN_DIR_ENV = "ANALYSIS_RUN_DIR"  # the run folder to check, when --run-dir is not given
ARTIFACTS_ENV = "ANALYSIS_TEST_ARTIFACTS"  # where screenshots go; default below
CHECKOUT = Path(__file__).resolve().parents[2]
DEFAULT_ARTIFACTS = CHECKOUT / "reports" / "test-artifacts"  # reports/* is git-ignored
NO_RUN = f"no run folder given (pytest --run-dir DIR or {RUN_DIR_ENV}=DIR)"

# Pages every run has besides its notebook reports.
INDEX = "index.html"
PROFILES = "profiles.html"
GENERIC_TITLES = {"", "notebook", "untitled", "jupyter notebook", "document"}


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def run_folder(config) -> Path | None:
    given = config.getoption("run_dir", default=None) or os.environ.get(RUN_DIR_ENV)
    return Path(given).resolve() if given else None


def report_names(run: Path) -> list[str]:
    """The index page, the country-profiles page (expected even when missing), then every
    notebook report (*.html) of the run folder in name order."""
    others = sorted(p.name for p in run.glob("*.html") if p.name not in {INDEX, PROFILES})
    return [INDEX, PROFILES, *others]


def artifacts_dir(kind: str) -> Path:
    folder = Path(os.environ.get(ARTIFACTS_ENV) or DEFAULT_ARTIFACTS) / kind
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def title_problem(title: str | None, page: Path) -> str | None:
    """Why a page's <title> tells a reader nothing, or None when it is a real title."""
    if title is None:
        return "no <title>"
    text = " ".join(title.split())
    if text.lower() in GENERIC_TITLES:
        return f"generic <title> {text!r}"
    if text.lower() in {page.name.lower(), page.stem.lower()}:
        return f"<title> is the file name {text!r}"
    return None
