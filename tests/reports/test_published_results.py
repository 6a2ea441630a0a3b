"""What the scheduled run publishes, read from its results (skipped without `--run-dir`)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

from bs4 import BeautifulSoup


def test_every_hidden_population_interval_rests_on_at_least_1000_replicates(run_dir):
    results = json.loads((run_dir / "results" / "60_hidden_population.json").read_text())
    tables = results["results"]["tables"]
    assert len(tables) == 10
    few = {name: t["nboot"] for name, t in tables.items() if t["nboot"] < 1000}
    assert not few, f"tables with fewer than 1,000 bootstrap replicates: {few}"
    assert all(t["ci"] for t in tables.values())


def _headlines(run_dir) -> dict[str, list[str]]:
    """Each report's headline sentences (what the index shows), by report."""
    found = {}
    for path in sorted((run_dir / "results").glob("*.json")):
        if path.name.endswith((".tables.json", ".figures.json")):
            continue
        lines = json.loads(path.read_text()).get("results", {}).get("headline", [])
        found[path.stem] = lines if isinstance(lines, list) else []
    return found


def test_no_headline_rests_on_a_thin_base_or_calls_a_count_zero_per_cent(run_dir):
    """The base rule over every report of the run, every country profile included (run it on
    a `--country all` run): a share that rounds to 0 but is not says '<1%', and a ranking of
    destinations states its base, at least MIN_RANKING_BASE records naming a place."""
    import re

    from analysis.publish.profile_views import MIN_RANKING_BASE

    bad = []
    for name, lines in _headlines(run_dir).items():
        for line in lines:
            if re.search(r"(?<![\d.<>])0(?:\.0)?%", line):
                bad.append(f"{name}: a share of 0%: {line}")
            if line.startswith("Main foreign destinations"):
                base = re.search(r"of the ([\d,]+) records that name the place", line)
                if base is None or int(base.group(1).replace(",", "")) < MIN_RANKING_BASE:
                    bad.append(f"{name}: a ranking without a stated base of enough records: {line}")
    assert not bad, "\n".join(bad[:20])


def test_the_gender_mix_headline_holds_under_its_own_second_look(run_dir):
    """10's headline states a direction of the gender mix only where the model, the model
    clustered by destination and the model without each destination all agree."""
    results = json.loads((run_dir / "results" / "10_victim_trends.json").read_text())["results"]
    share = results.get("female_share_trend_within_destinations")
    if share is None:  # a release without inference: no model, no such headline
        return
    stated = any("odds that a record is female" in line for line in results["headline"])
    assert stated == (share["robust"] is not None)


def test_no_figure_of_the_run_has_a_layout_problem(run_dir):
    """Every figure's layout check (results/<report>.figures.json): no label cut off at the
    figure's edge or covering another."""
    found = [
        f"{path.name.removesuffix('.figures.json')}: {figure['name']}: {problem}"
        for path in sorted((run_dir / "results").glob("*.figures.json"))
        for figure in json.loads(path.read_text()).get("figures", [])
        for problem in figure.get("problems", [])
    ]
    assert not found, "\n".join(found[:10])


def test_every_table_a_report_writes_is_shown_on_its_page(run_dir):
    """A report writes tables/<report>/<name>.csv for each table it shows, linked under the
    table: a CSV its page does not link is a table the reader never saw (a cell that ends on
    another statement displays that, not the table)."""
    missing = []
    for folder in sorted(p for p in (run_dir / "tables").iterdir() if p.is_dir()):
        page = run_dir / f"{folder.name}.html"
        text = page.read_text(encoding="utf-8") if page.is_file() else ""
        missing += [f"{folder.name}: {csv.name}" for csv in sorted(folder.glob("*.csv"))
                    if f'href="tables/{folder.name}/{csv.name}"' not in text]  # fmt: skip
    assert not missing, "tables written but not shown:\n" + "\n".join(missing[:20])


def test_every_link_on_a_page_leads_somewhere_in_the_run(run_dir):
    """A link to another report, a table or a section resolves in the run folder: a report
    that names another links it, and the link must not break (e.g. a report left out)."""
    broken = []
    for page in sorted(run_dir.glob("*.html")):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        ids = {tag["id"] for tag in soup.find_all(id=True)}
        for link in soup.find_all("a", href=True):
            target = urlsplit(link["href"])
            if target.scheme or target.netloc:
                continue  # a source's web address
            if target.path and not (run_dir / target.path).exists():
                broken.append(f"{page.name}: {link['href']}")
            elif not target.path and target.fragment and target.fragment not in ids:
                broken.append(f"{page.name}: {link['href']}")
    assert not broken, "links that lead nowhere:\n" + "\n".join(broken[:20])


# Counts a profile's findings state, with what is not a count of records blanked: ranges such
# as GLOTIP's "1–4", years and year spans, shares, "fewer than N", rates.
NOT_COUNTS = re.compile(
    r"[\d,]+–[\d,]+|\b(?:19|20)\d\d\b|\d+(?:\.\d+)?%|fewer than [\d,]+|\d+\.\d+|per 100,000"
)


def _audited_counts(tables_json: Path) -> set[int]:
    """The counts a report recorded for the audit: shown cells, sums, and a sum less a shown
    cell of the same table (a total less the unknown place)."""
    known = set()
    for table in json.loads(tables_json.read_text())["tables"]:
        shown = {c["shown"] for c in table.get("cells", []) if isinstance(c.get("shown"), int)}
        sums = {s["shown"] for s in table.get("sums", []) if isinstance(s.get("shown"), int)}
        known |= shown | sums | {s - c for s in sums for c in shown}
    return known


def _unaudited_findings(run_dir: Path) -> list[str]:
    found = []
    for page in sorted(run_dir.glob("40_country_profile-*.html")):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        box = soup.find(class_="thb-findings")
        points = [li.get_text(" ", strip=True) for li in box.find_all("li")] if box else []
        stated = {
            int(n.replace(",", ""))
            for point in points
            if "GLOTIP" not in point  # published aggregates, not records
            for n in re.findall(r"\d[\d,]*", NOT_COUNTS.sub(" ", point))
        }
        extra = stated - _audited_counts(run_dir / "results" / f"{page.stem}.tables.json")
        found += [f"{page.stem}: {sorted(extra)}"] if extra else []
    return found


def test_every_count_a_profile_s_findings_state_is_one_the_audit_knows(run_dir):
    """The findings of a profile are sentences of the notebook: a count they state that no
    table of the report records (a base, a difference) escapes the run's disclosure audit."""
    found = _unaudited_findings(run_dir)
    assert not found, "counts stated in findings but not recorded for the audit:\n" + "\n".join(
        found[:20]
    )


def test_the_findings_check_finds_a_count_the_audit_does_not_know(tmp_path):
    (tmp_path / "results").mkdir()
    table = {"cells": [{"key": ["MLI"], "shown": 554}, {"key": ["unknown"], "shown": 11}],
             "sums": [{"of": {}, "shown": 1070}]}  # fmt: skip
    (tmp_path / "results" / "40_country_profile-NGA.tables.json").write_text(
        json.dumps({"tables": [table]})
    )
    page = tmp_path / "40_country_profile-NGA.html"
    points = [
        "1,070 records registered in 2002–2022; 1,059 of them name the place.",
        "Mali (554, 52%; fewer than 10 registered in 2019).",
        "In GLOTIP for 2022, Nigeria reported 2,883 detected victims: 1.29 per 100,000.",
    ]
    box = "".join(f"<li>{p}</li>" for p in points)
    page.write_text(f'<section class="thb-findings"><ul>{box}</ul></section>')
    assert _unaudited_findings(tmp_path) == []
    box += "<li>7 were minors.</li>"  # a count no table records
    page.write_text(f'<section class="thb-findings"><ul>{box}</ul></section>')
    assert _unaudited_findings(tmp_path) == ["40_country_profile-NGA: [7]"]
