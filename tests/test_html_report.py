"""A report's HTML page: its title, header line, key findings at the top, contents, alt text,
tables that scroll, nothing from the web and every added text escaped (fixture notebooks with
outputs, rendered without a kernel)."""

from __future__ import annotations

import base64
import dataclasses
import re

import nbformat
import pytest
from bs4 import BeautifulSoup
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from analysis.run import pipeline
from analysis.run.report_page import RunInfo, question_of, title_of

# A 1x1 PNG.
PIXEL = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360606060000000050001a5f645400000000049454e44ae426082"
    )
).decode()
INFO = RunInfo(
    run_id="2026-12-02T030321Z",
    created_utc="2026-12-02 03:03 UTC",
    commit="96cca00",
    data=("CTDC K-anonymised release 2021", "<script>alert('data')</script>"),
)


def markdown_output(text: str):
    return new_output("display_data", data={"text/markdown": text, "text/plain": text})


def fixture_notebook(title_cell: bool = True):
    cells = [
        new_markdown_cell(
            "# Rates < 5 & **more**\n\n**Question.** Where were *victims* exploited,\n"
            "and when?\n\n**Data.** Two releases."
        )
        if title_cell
        else new_markdown_cell(  # what JupyterLab shows; the report prints its own title
            "# Country profile\n\n**Question.** Which country?", metadata={"tags": ["lab-only"]}
        ),
        new_code_cell("x = 1", outputs=[]),
    ]
    if not title_cell:
        cells.append(
            new_code_cell("show()", outputs=[markdown_output("# Country profile: Ukraine")])
        )
    cells += [
        new_markdown_cell("## First section\n\nText."),
        new_code_cell(
            "figure()",
            outputs=[
                new_output(
                    "display_data",
                    data={"image/png": PIXEL, "text/plain": "<Figure>"},
                    metadata={"image/png": {"alt": 'Records "by" year', "width": 1, "height": 1}},
                )
            ],
        ),
        new_markdown_cell("### A subsection"),
        new_code_cell(
            "table()",
            outputs=[
                new_output(
                    "execute_result",
                    data={"text/html": "<table><tr><td>wide</td></tr></table>", "text/plain": ""},
                    execution_count=1,
                )
            ],
        ),
        new_markdown_cell("## Second section"),
        new_code_cell("findings()", outputs=[markdown_output("The count rose **42** times.")]),
    ]
    cells[-1].metadata["tags"] = ["findings"]
    notebook = new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "P", "language": "python"}
    return notebook


@pytest.fixture
def render(tmp_path):
    def rendered(notebook, info=INFO) -> tuple[str, BeautifulSoup]:
        executed = tmp_path / "10_fixture.ipynb"
        nbformat.write(notebook, executed)
        page = tmp_path / "10_fixture.html"
        pipeline.render_html(executed, page, info=info)
        text = page.read_text(encoding="utf-8")
        return text, BeautifulSoup(text, "html.parser")

    return rendered


def test_title_and_question_are_plain_text():
    notebook = fixture_notebook()
    assert title_of(notebook) == "Rates < 5 & more"
    assert question_of(notebook) == "Where were victims exploited, and when?"
    assert title_of(fixture_notebook(title_cell=False)) == "Country profile: Ukraine"
    assert title_of(new_notebook(cells=[new_markdown_cell("## no title")])) is None


def test_a_lab_only_cell_is_in_the_notebook_and_not_in_the_report(render):
    notebook = fixture_notebook(title_cell=False)
    assert question_of(notebook) == "Which country?"  # for the index
    text, soup = render(notebook)
    assert soup.title.string == "Country profile: Ukraine"
    assert [h.get_text(strip=True).rstrip("¶") for h in soup.find_all("h1")] == [
        "Country profile: Ukraine"
    ]
    assert "Which country?" not in text


def test_page_title_header_findings_and_contents_come_first(render):
    text, soup = render(fixture_notebook())
    assert soup.title.string == "Rates < 5 & more"
    assert "<title>Rates &lt; 5 &amp; more</title>" in text
    header = soup.select_one("p.thb-header")
    assert header.find_previous("h1") is soup.find("h1")
    words = header.get_text()
    for part in ("2026-12-02T030321Z", "2026-12-02 03:03 UTC", "96cca00", "CTDC K-anonymised"):
        assert part in words
    assert header.find("a", href="index.html").get_text() == "all reports of this run"
    assert header.find("a", href="profiles.html") is None  # not a country profile
    _, profile = render(fixture_notebook(), dataclasses.replace(INFO, profiles="profiles.html"))
    link = profile.select_one("p.thb-header").find("a", href="profiles.html")
    assert link.get_text() == "all country profiles"
    # The findings cell moved from the end into the box, after the header, before any section.
    box = soup.select_one("section.thb-findings")
    assert "The count rose" in box.get_text() and box.find_previous("p", class_="thb-header")
    assert text.index("The count rose") < text.index("First section")
    assert text.count("The count rose") == 1
    # Contents: every h2 and h3 of the report, linked by id, after the findings.
    toc = soup.select_one("nav.thb-toc")
    assert toc.find_previous("section", class_="thb-findings") is box
    links = [(a.get_text(), a["href"]) for a in toc.find_all("a")]
    assert [name for name, _ in links] == ["First section", "A subsection", "Second section"]
    for _, href in links:
        assert soup.find(id=href[1:]).name in ("h2", "h3")


def test_a_title_printed_by_a_code_cell_names_the_page(render):
    _, soup = render(fixture_notebook(title_cell=False))
    assert soup.title.string == "Country profile: Ukraine"
    assert soup.select_one("p.thb-header").find_previous("h1").get_text().startswith("Country")


def test_added_text_is_escaped_and_nothing_comes_from_the_web(render):
    text, soup = render(fixture_notebook())
    assert "<script>alert('data')" not in text
    assert "&lt;script&gt;alert('data')&lt;/script&gt;" in text
    assert not soup.find_all("script", src=True)
    for tag in soup.find_all(src=True):
        assert tag["src"].startswith("data:"), tag["src"][:40]
    assert not soup.find_all("link", href=re.compile(r"^(https?:)?//"))
    assert not re.search(r"@import|url\(\s*['\"]?(https?:)?//", text)


def test_html_in_a_markdown_output_is_shown_as_text_never_run(render):
    notebook = fixture_notebook()
    injected = (
        "Press note: <img src=x onerror=alert(1)> for **Belarus**; code `<5`; "
        "<script>alert(2)</script> [see](javascript:alert(3))"
    )
    notebook.cells.append(new_code_cell("note()", outputs=[markdown_output(injected)]))
    text, soup = render(notebook)
    assert not soup.select("img[onerror], main script, a[href^=javascript]")
    shown = soup.find(string=re.compile("Press note"))
    assert "<img src=x onerror=alert(1)> for" in shown
    paragraph = shown.find_parent("p")
    assert paragraph.find("strong").get_text() == "Belarus"  # Markdown still renders
    assert paragraph.find("code").get_text() == "<5"
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in text


def test_images_carry_their_alt_text_and_tables_scroll(render):
    text, soup = render(fixture_notebook())
    image = soup.select_one("div.jp-RenderedImage img")
    assert image["alt"] == 'Records "by" year' and image["width"] == "1"
    assert "No description has been provided" not in text
    table = soup.find("table")
    assert "thb-scroll" in table.parent["class"]
    assert "overflow-x: auto" in soup.find("style", string=re.compile("thb-scroll")).string


def test_without_run_information_there_is_no_header_but_the_rest(render):
    _, soup = render(fixture_notebook(), info=None)
    assert soup.select_one("p.thb-header") is None
    assert soup.select_one("section.thb-findings") and soup.select_one("nav.thb-toc")


def test_a_notebook_without_findings_or_title_gets_no_box_and_its_name(render):
    notebook = new_notebook(cells=[new_markdown_cell("## Only a section\n\ntext")])
    _, soup = render(notebook)
    assert soup.title.string == "10_fixture"
    assert soup.select_one("section.thb-findings") is None
    assert soup.find("h1").get_text() == "10_fixture"


@pytest.mark.parametrize(("min_cell", "warned"), [(5, True), (10, False), (None, False)])
def test_a_report_below_the_safe_threshold_says_so_in_its_header(render, min_cell, warned):
    info = RunInfo(INFO.run_id, INFO.created_utc, INFO.commit, INFO.data, min_cell=min_cell)
    _, soup = render(fixture_notebook(), info)
    alert = soup.select_one("p.thb-unsafe")
    assert (alert is not None) == warned
    if warned:
        assert alert.get_text() == (
            "Not safe to publish: this report hides counts below 5, not below 10, so its "
            "tables and figures may show cells small enough to identify people."
        )
        assert soup.select_one("p.thb-header") is not None
