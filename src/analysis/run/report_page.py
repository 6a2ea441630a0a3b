"""What a rendered report says about itself: title, question, the run's header line, key
findings and contents. Notebooks are read as plain JSON; every text added is HTML-escaped.
"""

from __future__ import annotations

import csv
import functools
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

FINDINGS_TAG = "findings"  # the cell(s) whose output goes into the "Key findings" box
TOC_H3_LIMIT = 14  # list h3 headings too when the report has at most this many h2 + h3
TEMPLATES = Path(__file__).resolve().parent / "templates" / "pages"
LABELS_FILE = Path(__file__).resolve().parents[1] / "mappings" / "source_labels.csv"
with LABELS_FILE.open(encoding="utf-8", newline="") as rows:  # registry name -> dataset, vintage
    SOURCE_LABELS = {row["source"]: row["label"] for row in csv.DictReader(rows)}


@dataclass(frozen=True)
class RunInfo:
    """The run that made a report, for its header line."""

    run_id: str
    created_utc: str  # e.g. "2026-12-02 03:04 UTC"
    commit: str  # short, possibly "… (with uncommitted changes)"
    data: tuple[str, ...] = ()  # plain names of the datasets and vintages it rests on
    min_cell: int | None = None  # the report's small-cell threshold, where it has one
    modified: str = ""  # made from a notebook that differs from the commit: what the header says
    profiles: str = ""  # the run's page of every country profile, linked from each profile


def source_label(name: str, title: str = "") -> str:
    return SOURCE_LABELS.get(name) or title or name


# Reading a notebook (a dict as in the .ipynb JSON).

HEADING_1 = re.compile(r"^#\s+(.+?)\s*#*\s*$")
H1_HTML = re.compile(r"<h1\b[^>]*>(.*?)</h1>", re.IGNORECASE | re.DOTALL)


def plain(markdown: str) -> str:
    """Markdown (or HTML) as plain text: links as their text, no emphasis, tags or code marks."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    text = re.sub(r"<[^>]+>", "", text)
    text = re.sub(r"(\*\*|__|\*|`)", "", text)
    text = re.sub(r"(?<!\w)_(.+?)_(?!\w)", r"\1", text)
    return " ".join(html.unescape(text).split())


def _text(source) -> str:
    return "".join(source) if isinstance(source, list) else (source or "")


def _markdown_h1(markdown: str) -> str | None:
    fenced = False
    for line in markdown.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        elif not fenced and (found := HEADING_1.match(line)):
            return plain(found.group(1))
    return None


def _output_h1(output: dict) -> str | None:
    data = output.get("data", {})
    if "text/markdown" in data:
        return _markdown_h1(_text(data["text/markdown"]))
    if "text/html" in data and (found := H1_HTML.search(_text(data["text/html"]))):
        return plain(found.group(1))
    return None


LAB_ONLY = "lab-only"  # a cell shown in JupyterLab only (the profile's generic title)


def title_of(notebook: dict) -> str | None:
    """The first level-1 heading, in a markdown cell or a code cell's output (a country profile
    prints its own), as plain text; cells tagged LAB_ONLY are not in the report."""
    for cell in notebook.get("cells", []):
        if LAB_ONLY in cell.get("metadata", {}).get("tags", []):
            continue
        if cell["cell_type"] == "markdown":
            found = _markdown_h1(_text(cell["source"]))
        else:
            found = next(filter(None, map(_output_h1, cell.get("outputs", []))), None)
        if found:
            return found
    return None


def question_of(notebook: dict) -> str | None:
    """The paragraph after "**Question.**" in the first markdown cell, as plain text."""
    first = next((c for c in notebook.get("cells", []) if c["cell_type"] == "markdown"), None)
    if first is None:
        return None
    found = re.search(r"\*\*Question\.\*\*(.+?)(?:\n\s*\n|$)", _text(first["source"]), re.DOTALL)
    return plain(found.group(1)) if found else None


# Post-processing the rendered page.


def finish(page: str, title: str, info: RunInfo | None = None, warnings: Sequence[str] = ()) -> str:
    """The page titled, with the run's header line, the key findings and the contents under
    its first h1 (one with `title` when it has none), every table in a scrolling div."""
    from bs4 import BeautifulSoup

    from analysis.publish.disclosure import DEFAULT_THRESHOLD

    soup = BeautifulSoup(page, "html.parser")
    if soup.title is not None:
        soup.title.string = title
    main = soup.find("main") or soup.body
    anchor = main.find("h1")
    if anchor is None:
        anchor = _tag(f"<h1>{html.escape(title)}</h1>")
        main.insert(0, anchor)
    parts = environment().get_template("report_parts.html.j2").module
    header = _tag(parts.header(info, DEFAULT_THRESHOLD)) if info else None
    for block in filter(None, (header, _findings(soup, warnings, parts), _toc(main, parts))):
        anchor.insert_after(block)
        anchor = block
    for table in soup.find_all("table"):  # each in a div that scrolls sideways, not the page
        if table.find_parent("table") is None and "thb-scroll" not in table.parent.get("class", []):
            table.wrap(soup.new_tag("div", attrs={"class": "thb-scroll"}))
    return str(soup)


def _tag(markup: str):
    """The element an HTML snippet holds (its texts escaped by the caller)."""
    from bs4 import BeautifulSoup

    return BeautifulSoup(markup, "html.parser").contents[0]


def _findings(soup, warnings: Sequence[str], parts):
    """The report's warnings and the cells tagged `findings` in one box; None without."""
    cells = soup.select(f"div.jp-Cell.celltag_{FINDINGS_TAG}")
    if not warnings and not any(cell.get_text(strip=True) or cell.find("img") for cell in cells):
        return None  # none, or nothing in them (a cell that failed before its output)
    box = _tag(parts.findings(warnings))
    for cell in cells:
        box.append(cell.extract())
    return box


def _toc(main, parts):
    """Links to every h2 of the report (and h3 when there are few headings); None without."""
    headings = [h for h in main.find_all(["h2", "h3"]) if not h.find_parent(class_="thb-findings")]
    if len(headings) > TOC_H3_LIMIT:
        headings = [h for h in headings if h.name == "h2"]
    if len(headings) < 2:
        return None
    items = []
    for number, heading in enumerate(headings):
        heading["id"] = heading.get("id") or f"section-{number + 1}"
        texts = heading.find_all(string=True)  # less the anchor link nbconvert adds (¶)
        text = "".join(s for s in texts if not s.find_parent("a", class_="anchor-link"))
        items.append((heading.name, heading["id"], " ".join(text.split())))
    return _tag(parts.toc(items))


@functools.cache
def environment():
    """The jinja2 environment of the pages' templates; every text is escaped."""
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
