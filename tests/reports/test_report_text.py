"""Every page of a run (index, country profiles, notebook reports) is written for readers: its
visible text names no parameter, issue, deposit file or machine path, shows no missing-value
marker of pandas or numpy and no code identifier, and its <title> says what the page is.

The text a reader sees is taken with html.parser: no <script>, <style> or attributes (the one
attribute read is an image's alt text). Run against a folder with `--run-dir DIR`."""

from __future__ import annotations

import ast
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from report_pages import CHECKOUT, title_problem

NOTEBOOKS = CHECKOUT / "notebooks"
MAX_SHOWN = 10  # findings listed per report (the count says how many there are)
DEFAULT_ALT = "No description has been provided for this image"

# Parameter names that are ordinary English words: a report may use them in their ordinary
# sense ("the releases", "by region"). Names with an underscore or a digit, or made-up words
# such as nboot and pthresh, are always code. A new parameter that is a plain word goes here.
ORDINARY_WORDS = {
    "confidence", "countries", "dataset", "destinations", "indicators", "jobs", "level",
    "method", "region", "release", "releases", "rule", "seed", "sources", "tables", "vintage",
    "vintages", "years",
}  # fmt: skip

# snake_case words that a reader may see, each with its reason. A file's name (a word followed
# by .csv, .xlsx, ...) is not checked: it is how a reader finds the file a report read.
ALLOWED_SNAKE = {
    "crim_thb": "Eurostat's own code of its dataset, cited so that a reader can find it",
}
FILE_EXTENSIONS = "csv|tsv|gz|xlsx|xls|pdf|zip|json|geojson|parquet|txt|shp|xml|yml|yaml"

SKIPPED = {"script", "style", "template", "head"}
INLINE = {"a", "abbr", "b", "cite", "code", "em", "i", "kbd", "q", "s", "small", "span", "strong",
          "sub", "sup", "u", "var", "mark", "time", "data"}  # fmt: skip
URL = re.compile(r"\b(?:https?://|www\.|doi:\s*)\S+|\S+@\S+\.\w+")


class Page(HTMLParser):
    """The visible text of a page, its <title> and the alt text of its images."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title: str | None = None
        self.alts: list[str | None] = []
        self._skip = 0
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        if tag == "title":
            self._in_title, self.title = True, self.title or ""
        elif tag in SKIPPED:
            self._skip += 1
        if tag == "img":
            self.alts.append(dict(attrs).get("alt"))
        if tag not in INLINE:
            self.parts.append("\n")

    def handle_startendtag(self, tag, attrs):
        if tag == "img":
            self.alts.append(dict(attrs).get("alt"))
        if tag not in INLINE:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False
        elif tag in SKIPPED and self._skip:
            self._skip -= 1
        if tag not in INLINE:
            self.parts.append("\n")

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        elif not self._skip:
            self.parts.append(data)

    @property
    def text(self) -> str:
        return "".join(self.parts)


def read_page(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page


def parameter_names(folder: Path = NOTEBOOKS) -> set[str]:
    """Every name assigned in a `parameters` cell of the notebooks."""
    names = set()
    for path in sorted(folder.glob("*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if "parameters" in cell.get("metadata", {}).get("tags", []):
                tree = ast.parse("".join(cell["source"]))
                for node in ast.walk(tree):
                    if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                        names.add(node.id)
    return names


def code_names(names: set[str]) -> set[str]:
    return {n for n in names if not (n.isalpha() and n.islower() and n in ORDINARY_WORDS)}


def whole_word(word: str) -> str:
    return rf"(?<![\w.]){re.escape(word)}(?!\w)"


def patterns(parameters: set[str]) -> list[tuple[str, re.Pattern]]:
    """(what, regex) for everything a reader's text must not contain."""
    roots = sorted({str(CHECKOUT), str(CHECKOUT.resolve())}, key=len, reverse=True)
    machine_paths = "|".join(
        [*(re.escape(root) for root in roots), r"(?<![\w.:/])/(?:work|home|tmp|root|…)/"]
    )
    found = [
        (f"parameter name {name}", re.compile(whole_word(name)))
        for name in sorted(code_names(parameters))
    ]
    return found + [
        ("issue number", re.compile(r"\bissues?\s*#?\s*\d+", re.IGNORECASE)),
        ("NOTES.md", re.compile(r"\bNOTES\.md\b", re.IGNORECASE)),
        ("SOURCE.md", re.compile(r"\bSOURCE\.md\b", re.IGNORECASE)),
        ("machine path", re.compile(machine_paths)),
        ("model term", re.compile(r"\bC\(\w+\)(?:\[T\.[^\]]*\])?")),  # patsy: C(gender)[T.male]
        ("<NA>", re.compile(r"<NA>")),
        ("NaN", re.compile(r"(?<![\w.])(?:NaN|nan)(?![A-Za-z])")),
        ("from knowledge, not retrieved", re.compile(r"from knowledge,? not retrieved", re.I)),
        (DEFAULT_ALT, re.compile(re.escape(DEFAULT_ALT), re.IGNORECASE)),
    ]


SNAKE = re.compile(r"(?<![\w.])\w*[A-Za-z]_[A-Za-z]\w*")  # a word with letter_letter in it
FILE_NAME = re.compile(rf"[\w.-]*\w\.(?:{FILE_EXTENSIONS})\b")


def blanked(match: re.Match) -> str:
    return " " * len(match.group())


def excerpt(text: str, start: int, end: int, width: int = 40) -> str:
    before = " ".join(text[max(0, start - width) : start].split())
    after = " ".join(text[end : end + width].split())
    return f"…{before} [{text[start:end]}] {after}…"


def findings(html: str, path: Path, parameters: set[str]) -> list[str]:
    """Every problem of one page: `what: excerpt` lines."""
    page = read_page(html)
    text = page.text
    found = []
    problem = title_problem(page.title, path)
    if problem:
        found.append(f"title: {problem}")
    for what, pattern in patterns(parameters):
        found += [f"{what}: {excerpt(text, m.start(), m.end())}" for m in pattern.finditer(text)]
    bare = FILE_NAME.sub(blanked, URL.sub(blanked, text))  # names in addresses and files are fine
    for m in SNAKE.finditer(bare):
        if m.group() not in ALLOWED_SNAKE and m.group() not in parameters:
            found.append(f"snake_case {m.group()}: {excerpt(text, m.start(), m.end())}")
    for alt in page.alts:
        if alt is None or not alt.strip():
            found.append("image without alt text")
        elif DEFAULT_ALT.lower() in alt.lower():
            found.append(f"image alt text is nbconvert's default {DEFAULT_ALT!r}")
    return found


def summary(name: str, found: list[str]) -> str:
    """The findings of a report: the first MAX_SHOWN, and a count per kind."""
    kinds: dict[str, int] = {}
    for line in found:
        kinds[line.split(":")[0]] = kinds.get(line.split(":")[0], 0) + 1
    counts = ", ".join(f"{k} ×{n}" for k, n in sorted(kinds.items(), key=lambda kv: -kv[1]))
    shown = "\n  ".join(found[:MAX_SHOWN])
    more = f"\n  … and {len(found) - MAX_SHOWN} more" if len(found) > MAX_SHOWN else ""
    return f"{name}: {len(found)} problems ({counts})\n  {shown}{more}"


@pytest.fixture(scope="module")
def parameters():
    return parameter_names()


def test_report_text(report, parameters):
    if not report.is_file():
        pytest.fail(f"{report.name}: missing from the run folder {report.parent}", pytrace=False)
    found = findings(report.read_text(encoding="utf-8"), report, parameters)
    if found:
        pytest.fail(summary(report.name, found), pytrace=False)


# The scan itself, on small pages: each rule finds what it should and nothing in attributes or
# scripts.

CLEAN = """<!DOCTYPE html><html><head><title>Victim trends</title>
<script>var min_cell = 10; console.log("issue 9 /work/x NaN");</script>
<style>.size_kb { color: red }</style></head>
<body data-run="min_cell"><h1 class="rows_quarantined">Trends</h1>
<p>Counts of 1 to 9 are hidden. See <a href="https://example.org/a_b/NOTES.md">the note</a>
at https://example.org/some_path or www.example.org/x_y.</p>
<img src="data:image/png;base64,AA==" alt="Victims per year, 2002 to 2021">
<p>Read from data_glotip.xlsx, ctdc_kanon_codebook_v7_1.pdf, ne_110m_admin_0.geojson and
ctdc_subset_2002-2018.csv.gz (Eurostat's crim_thb).</p>
<p>The seed and the releases are listed; ISO3 codes; 95% CI (0.1–0.2).</p></body></html>"""

DIRTY = f"""<html><head><title>Notebook</title></head><body>
<p>With min_cell = 10 and panel_years 5 (see issue 9, NOTES.md and SOURCE.md).</p>
<pre>written to {CHECKOUT}/data/processed and /tmp/x.parquet</pre>
<table><tr><td>C(gender)[T.male]</td><td>&lt;NA&gt;</td><td>NaN</td><td>nan%</td><td>size_kb</td><td>02_clean_enforcement</td></tr></table>
<p>This point is from knowledge, not retrieved.</p>
<img src="data:image/png;base64,AA==" alt="{DEFAULT_ALT}"><img src="x.png"></body></html>"""


def test_scan_finds_nothing_in_attributes_scripts_or_addresses():
    assert findings(CLEAN, Path("10_victim_trends.html"), {"min_cell", "seed", "releases"}) == []


def test_scan_finds_every_pattern():
    found = findings(DIRTY, Path("10_victim_trends.html"), {"min_cell", "panel_years", "seed"})
    kinds = {line.split(":")[0] for line in found}
    expected = {
        "title", "parameter name min_cell", "parameter name panel_years", "issue number",
        "NOTES.md", "SOURCE.md", "machine path", "<NA>", "NaN", "model term",
        "snake_case size_kb", "snake_case 02_clean_enforcement", "from knowledge, not retrieved",
        "image without alt text",
        f"image alt text is nbconvert's default {DEFAULT_ALT!r}",
    }  # fmt: skip
    assert expected - kinds == set(), found
    assert sum(k == "NaN" for k in (line.split(":")[0] for line in found)) == 2  # NaN, nan%


@pytest.mark.parametrize(
    ("title", "problem"),
    [("Notebook", True), ("", True), ("10_victim_trends", True), ("10_victim_trends.html", True),
     (None, True), ("Victim trends: who is detected where", False)],
)  # fmt: skip
def test_generic_titles(title, problem):
    assert (title_problem(title, Path("10_victim_trends.html")) is not None) is problem


def test_parameter_names_are_read_from_the_notebooks():
    names = parameter_names()
    assert {"min_cell", "panel_years", "nboot_all", "report_dir"} <= names
    assert "nboot_all" in code_names(names) and "region" not in code_names(names)
