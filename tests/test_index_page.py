"""The index of a run (reports in number order with title, question and headlines; links to
the rendered reports; citations as links) and its country-profiles page."""

from __future__ import annotations

import json
from pathlib import Path

from bs4 import BeautifulSoup

from analysis.run import index_page


def write_notebook(run: Path, name: str, first: str, outputs: list | None = None) -> None:
    cells = [{"cell_type": "markdown", "metadata": {}, "source": first}]
    if outputs:
        cells.append({"cell_type": "code", "metadata": {}, "source": "", "outputs": outputs})
    (run / f"{name}.ipynb").write_text(json.dumps({"cells": cells, "metadata": {}}))


def write_results(run: Path, name: str, results: dict) -> None:
    (run / "results").mkdir(exist_ok=True)
    (run / "results" / f"{name}.json").write_text(json.dumps({"results": results}))


def entry(name: str, fan_out: dict | None = None, **extra) -> dict:
    files = [f"{name}.ipynb", f"{name}.html", f"results/{name}.json"]
    found = {"status": "ok", "seconds": 1.5, "files": files, **extra}
    return {**found, "fan_out": fan_out} if fan_out else found


def profile(run: Path, iso3: str, country: str, region: str, records, series: dict,
            key: dict | None = None) -> None:  # fmt: skip
    name = f"40_profile-{iso3}"
    heading = {"output_type": "display_data", "metadata": {},
               "data": {"text/markdown": f"# Country profile: {country}"}}  # fmt: skip
    write_notebook(run, name, "**Question.** For one country.", [heading])
    write_results(run, name, {"country": country, "region": region, "glotip_series": series,
                              "records_by_release": {"kanon_2021": records},
                              **({"key_numbers": key} if key else {})})  # fmt: skip


UKRAINE_KEY = {  # as `profile_views.key_numbers` records them
    "victims_per_100k": {"year": 2022, "text": "0.16", "bounds": [0.16, 0.16]},
    "main_destination": {"country": "Russia", "records": 4499, "share": 0.7592,
                         "share_text": "76%", "base": 5926},
}  # fmt: skip


def fixture_run(run: Path) -> dict:
    run.mkdir()
    write_notebook(run, "10_trends", "# Trends <b>&</b> more\n\n**Question.** Where?\n\nMore.")
    write_results(run, "10_trends", {"headline": ["Up <script>x</script> 12%.", "Down."]})
    write_notebook(run, "02_clean", "# Cleaning\n\n**Question.** What is in the data?")
    write_notebook(run, "00_sources", "# The data")
    profile(run, "UKR", "Ukraine", "Eastern Europe", "9,995", {"victims": {"2010": [1, 1],
            "2022": [2, 2]}, "convicted": {"2015": [3, 3]}}, UKRAINE_KEY)  # fmt: skip
    profile(run, "MDA", "Moldova", "Eastern Europe", "<10", {})
    notebooks = {
        "10_trends": entry("10_trends"),
        "40_profile-UKR": entry(
            "40_profile-UKR",
            {"iso3": "UKR"},
            status="unchanged",
            seconds=0.0,
            reused_from="2026-11-30T0",
            last_seconds=2.25,
            last_peak_rss_bytes=310 * 2**20,
        ),
        "02_clean": entry("02_clean"),
        "40_profile-MDA": entry("40_profile-MDA", {"iso3": "MDA"}),
        "00_sources": {"status": "blocked", "blocked_by": ["02_clean"], "files": []},
    }
    source = {"title": "CTDC K-anon", "vintage": "2021-07-15",
              "citation": "CTDC. The Global K-anon Dataset. IOM. ctdatacollaborative.org",
              "landing_page": "https://www.ctdatacollaborative.org/page/global-k-anon"}  # fmt: skip
    git = {"commit": "96cca0054bf2aa", "dirty": False}
    return {"run_id": "2026-12-02T030321Z", "created_utc": "2026-12-02T03:04:11Z", "git": git,
            "python": "3.11.7", "seconds": 50.7, "notebooks": notebooks,
            "sources": {"ctdc_kanon_2021": source}}  # fmt: skip


def test_reports_in_number_order_with_title_question_and_headlines(tmp_path):
    manifest = fixture_run(tmp_path / "run")
    page = index_page.render(manifest, tmp_path / "run")
    soup = BeautifulSoup(page, "html.parser")
    rows = soup.find("tbody").find_all("tr")
    names = [row.find("b").get_text() for row in rows]
    assert names == ["The data", "Cleaning", "Trends & more", "Country profile: Moldova",
                     "Country profile: Ukraine"]  # fmt: skip
    trends = rows[2]
    assert trends.find("a")["href"] == "10_trends.html"
    assert trends.select_one("p.question").get_text() == "Where?"
    assert [li.get_text() for li in trends.select("ul.headline li")] == [
        "Up <script>x</script> 12%.",
        "Down.",
    ]
    assert "<script>x" not in page and "&lt;script&gt;x" in page
    assert rows[0].find("a") is None  # blocked: no report to link
    hrefs = [a["href"] for a in soup.find_all("a")]
    assert not [h for h in hrefs if h.endswith(".ipynb")]  # the notebook link is the report
    assert "results/10_trends.json" in hrefs
    assert soup.find("a", href="profiles.html")
    cells = [" ".join(td.get_text().split()) for td in rows[4].find_all("td")]
    assert "2.2 s when made" in cells and "310 MiB when made" in cells  # taken from the store
    assert "1.5 s" in [" ".join(td.get_text().split()) for td in rows[2].find_all("td")]


def test_citation_addresses_are_links():
    html = index_page.linked_citation(
        "A & B. IOM. ctdatacollaborative.org", "https://www.ctdatacollaborative.org/page/x"
    )
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find("a")["href"] == "https://www.ctdatacollaborative.org/page/x"
    assert soup.find("a").get_text() == "ctdatacollaborative.org"
    assert html.startswith("A &amp; B. IOM. ")
    other = BeautifulSoup(index_page.linked_citation("See unstats.un.org."), "html.parser")
    assert other.find("a")["href"] == "https://unstats.un.org"
    assert index_page.linked_citation("No address (crim_thb), v1.2.0.") == (
        "No address (crim_thb), v1.2.0."
    )


def test_profiles_page_lists_every_profile_with_sortable_values(tmp_path):
    manifest = fixture_run(tmp_path / "run")
    index_page.write_index(manifest, tmp_path / "run")
    page = (tmp_path / "run/profiles.html").read_text()
    soup = BeautifulSoup(page, "html.parser")
    assert soup.find("input", id="filter") is not None
    table = soup.find("table", id="profiles")
    rows = [[td.get_text() for td in tr.find_all("td")] for tr in table.tbody.find_all("tr")]
    assert rows == [
        ["Moldova", "Eastern Europe", "<10", "–", "–", "none", "2026-12-02"],
        ["Ukraine", "Eastern Europe", "9,995", "Russia (76% of 5,926)", "0.16 (2022)",
         "2010–2022 (3 years)", "2026-11-30"],
    ]  # fmt: skip
    ukraine = table.tbody.find_all("tr")[1]
    assert ukraine.find("a")["href"] == "40_profile-UKR.html"
    values = [td.get("data-value") for td in ukraine.find_all("td")][2:6]
    assert values == ["9995", "0.7592", "0.16", "3"]  # sorts by share and rate, not by text
    headings = [th.get_text() for th in table.thead.find_all("th")]
    assert "detected victims per 100,000 (GLOTIP, latest year)" in headings
    assert table.tbody.find_all("tr")[0].find_all("td")[2]["data-value"] == "0"  # hidden
    assert "&lt;10" in page
    script = soup.find("script")
    assert not script.get("src") and 'getElementById("filter")' in script.string
    assert "http" not in script.string


def test_a_run_without_profiles_has_no_profiles_page(tmp_path):
    manifest = fixture_run(tmp_path / "run")
    manifest["notebooks"] = {"10_trends": manifest["notebooks"]["10_trends"]}
    index_page.write_index(manifest, tmp_path / "run")
    assert (tmp_path / "run/index.html").is_file()
    assert not (tmp_path / "run/profiles.html").exists()
    assert "profiles.html" not in (tmp_path / "run/index.html").read_text()
