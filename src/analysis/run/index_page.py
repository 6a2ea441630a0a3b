"""The index.html of a run: when, from which commit, the disclosure audit's verdict, each
report in number order with its title, question and headline sentences, the sources; and
profiles.html, a table of the run's country profiles that sorts and filters in the page.

Titles and questions come from the executed notebooks in the run folder, headlines and profile
figures from their results files (all plain JSON). Every text is HTML-escaped.
"""

from __future__ import annotations

import json
import re
from html import escape
from pathlib import Path
from urllib.parse import urlsplit

from analysis.data import paths
from analysis.run.report_page import question_of, title_of

INDEX = "index.html"
PROFILES_PAGE = "profiles.html"
PROFILE_RELEASE = "kanon_2021"  # the CTDC release whose record count the profiles page shows

STYLE = """
body { font-family: system-ui, sans-serif; font-size: 16px; line-height: 1.5; max-width: 70rem;
       margin: 2rem auto; padding: 0 1rem; color: #222; }
table { border-collapse: collapse; width: 100%; margin: 1rem 0; }
th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #ddd; }
td { vertical-align: top; }
.ok-with-warnings, .unchanged-with-warnings, .warnings { color: #9a6700; }
.ok { color: #1a7f37; } .unchanged { color: #57606a; } .failed, .blocked { color: #cf222e; }
.status { font-weight: 600; white-space: nowrap; } small, .meta { color: #57606a; }
td small { white-space: nowrap; }
.question { margin: .2rem 0; } .headline { margin: .2rem 0 0 1.2rem; padding: 0; }
.audit-failed { border-left: 4px solid #cf222e; padding: .2rem 1rem; }
.unsafe { border-left: 4px solid #cf222e; padding: .4rem 1rem; font-weight: 600; }
th[data-sort] { cursor: pointer; } input#filter { font-size: 16px; padding: .3rem .5rem; }
.wide { overflow-x: auto; max-width: 100%; }
@media only screen and (max-width: 600px) {
  body { margin: .5rem auto; padding: 0 .5rem; }
  th, td { padding: .3rem .3rem; font-size: 14px; }
}
@media print {
  body { max-width: none; margin: 0; font-size: 10pt; } .wide { overflow: visible; }
  tr { break-inside: avoid; } h1, h2 { break-after: avoid; }
}
"""


def _notes(entry: dict, warnings: list[str]) -> str:
    """The report's warnings (`Report.warn`), then its error, what blocked it or its origin."""
    items = "".join(f"<li>{escape(w)}</li>" for w in warnings)
    return (f'<ul class="warnings">{items}</ul>' if items else "") + _note(entry)


def _note(entry: dict) -> str:
    if entry.get("error"):
        return f"<code>{escape(entry['error'])}</code>"
    if entry.get("blocked_by"):
        return "skipped: needs " + escape(", ".join(entry["blocked_by"]))
    if entry.get("reused_from"):
        return f"unchanged since run {escape(entry['reused_from'])}"
    return ""


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def about(run_dir: Path | None, name: str) -> dict:
    """A report's title, question (from its executed notebook) and results (from its results
    file) in a run folder; empty where the files are missing."""
    if run_dir is None:
        return {"title": None, "question": None, "results": {}}
    notebook = _read_json(run_dir / f"{name}.ipynb")
    results = _read_json(run_dir / "results" / f"{name}.json").get("results", {})
    return {"title": title_of(notebook), "question": question_of(notebook), "results": results}


def ordered(notebooks: dict) -> list[str]:
    """Reports in number order, the instances of a fanned-out notebook (the country profiles)
    after all the others."""
    return sorted(notebooks, key=lambda n: ("fan_out" in notebooks[n], n))


def headlines(results: dict) -> list[str]:
    """The report's headline sentences (`Report.headline`): a list of texts, else none."""
    found = results.get("headline")
    return [h for h in found if isinstance(h, str)] if isinstance(found, list) else []


def _report_cell(name: str, entry: dict, found: dict) -> str:
    title = escape(found["title"] or name)
    if f"{name}.html" in entry.get("files", []):
        title = f'<a href="{escape(name)}.html">{title}</a>'
    parts = [f"<b>{title}</b>"]
    if found["question"]:
        parts.append(f'<p class="question">{escape(found["question"])}</p>')
    lines = headlines(found["results"])
    if lines:
        items = "".join(f"<li>{escape(line)}</li>" for line in lines)
        parts.append(f'<ul class="headline">{items}</ul>')
    return "".join(parts)


def _data_links(name: str, entry: dict) -> str:
    """Small links to the machine-readable files of a report (never the report itself)."""
    files = set(entry.get("files", []))
    links = [
        f'<a href="{escape(rel)}">{label}</a>'
        for rel, label in (
            (f"results/{name}.json", "results JSON"),
            (f"results/{name}.tables.json", "tables JSON"),
        )
        if rel in files
    ]
    return f"<small>{'<br>'.join(links)}</small>" if links else ""


def _row(name: str, entry: dict, found: dict) -> str:
    seconds = f"{entry['seconds']:.1f} s" if entry.get("seconds") else ""
    memory = f"{entry['peak_rss_bytes'] / 2**20:.0f} MiB" if entry.get("peak_rss_bytes") else ""
    warnings = entry.get("warnings", [])  # the runner's record of `Report.warn`
    status = escape(entry["status"]) + (" with warnings" if warnings else "")
    return (
        f"<tr><td>{_report_cell(name, entry, found)}</td>"
        f"<td class='status {status.replace(' ', '-')}'>{status}</td>"
        f"<td>{seconds}</td><td>{memory}</td><td>{_data_links(name, entry)}</td>"
        f"<td>{_notes(entry, warnings)}</td></tr>"
    )


def _audit(found: dict | None) -> str:
    """The audit's verdict (recorded in the manifest by the runner); when it failed, each
    exposed cell (report, table, cell key, range: never a value) and each inconsistency."""
    if found is None:
        return ""
    if found["passed"]:
        return f'<p class="meta">{escape(found["verdict"])}.</p>'
    items = [c["text"] for c in found.get("exposed", [])] + found.get("inconsistent", [])
    listed = "".join(f"<li>{escape(item)}</li>" for item in items)
    return (
        '<div class="audit-failed"><h2 class="failed">Disclosure audit failed</h2>'
        f"<p>{escape(found['verdict'])}. This run is not published: <code>reports/latest</code> "
        f"still points at the previous run.</p>{f'<ul>{listed}</ul>' if listed else ''}</div>"
    )


DOMAIN = re.compile(r"\b(?:https?://)?(?:[a-z0-9-]+\.)+(?:org|com|int|net|eu|fm|gov|info)\b\S*")


def linked_citation(citation: str, landing_page: str = "") -> str:
    """The citation, escaped, with each web address in it as a link: to the source's landing
    page where that is on the same site, else to the address itself."""
    landing_host = urlsplit(landing_page).hostname or ""
    out, last = [], 0
    for found in DOMAIN.finditer(citation):
        text = found.group(0).rstrip(".,;)")
        address = text if text.startswith("http") else f"https://{text}"
        host = urlsplit(address).hostname or ""
        if landing_host and (landing_host == host or landing_host.endswith(f".{host}")):
            address = landing_page
        out += [escape(citation[last : found.start()]), _link(address, text)]
        last = found.start() + len(text)
    out.append(escape(citation[last:]))
    return "".join(out)


def _link(address: str, text: str) -> str:
    return f'<a href="{escape(address)}">{escape(text)}</a>'


def _source(source: dict) -> str:
    landing = source.get("landing_page", "")
    cited = linked_citation(source["citation"], landing)
    if landing and "<a " not in cited:
        cited += f" {_link(landing, landing)}"
    return (
        f"<li><b>{escape(source['title'])}</b> (vintage {escape(source['vintage'])}). "
        f"<small>{cited}</small></li>"
    )


def _commit(git: dict) -> str:
    commit = (git["commit"] or "unknown")[:12]
    return commit + (" (with uncommitted changes)" if git["dirty"] else "")


def _page(title: str, body: str, script: str = "") -> str:
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{escape(title)}</title><style>{STYLE}</style></head>
<body>
{body}
{f"<script>{script}</script>" if script else ""}
</body></html>
"""


def render(manifest: dict, run_dir: Path | None = None) -> str:
    notebooks = manifest["notebooks"]
    names = ordered(notebooks)
    rows = "\n".join(_row(n, notebooks[n], about(run_dir, n)) for n in names)
    cited = "\n".join(_source(s) for s in manifest["sources"].values())
    profiles = [n for n in names if "fan_out" in notebooks[n]]
    link = (
        f'<p><a href="{PROFILES_PAGE}">All {len(profiles)} country profiles of this run</a>, '
        "in a table that sorts and filters.</p>"
        if profiles
        else ""
    )
    run_id = escape(manifest["run_id"])
    body = f"""<h1>thb-analysis report</h1>
{_below_threshold(manifest)}<p class="meta">Run {run_id} · {escape(manifest["created_utc"])} ·
commit {escape(_commit(manifest["git"]))} · Python {escape(manifest["python"])} ·
{manifest["seconds"]:.1f} s · <a href="manifest.json">manifest (sha256 of every input and
output)</a></p>
{_audit(manifest.get("audit"))}
{link}
<div class="wide"><table><thead><tr><th>report</th><th>status</th><th>time</th>
<th>peak memory</th><th>data</th><th>notes</th></tr></thead>
<tbody>
{rows}
</tbody></table></div>
<h2>Data sources</h2>
<ul>
{cited}
</ul>
<p class="meta">Victim data are identified or assisted cases, not prevalence: counts follow
who reported, where and when. Small cells are suppressed in every published table and figure.</p>"""
    return _page(f"thb-analysis report {manifest['run_id']}", body)


# The country profiles page.

SORT_AND_FILTER = """
const table = document.getElementById("profiles"), rows = table.tBodies[0];
document.getElementById("filter").addEventListener("input", (event) => {
  const text = event.target.value.trim().toLowerCase();
  for (const row of rows.rows) row.hidden = !row.textContent.toLowerCase().includes(text);
});
table.querySelectorAll("th").forEach((th, column) => th.addEventListener("click", () => {
  const up = th.getAttribute("aria-sort") !== "ascending";
  table.querySelectorAll("th").forEach((other) => other.removeAttribute("aria-sort"));
  th.setAttribute("aria-sort", up ? "ascending" : "descending");
  const key = (row) => row.cells[column].dataset.value ?? row.cells[column].textContent;
  const order = (a, b) => {
    const x = key(a), y = key(b), numbers = x !== "" && y !== "" && !isNaN(x) && !isNaN(y);
    return (numbers ? x - y : x.localeCompare(y)) * (up ? 1 : -1);
  };
  rows.append(...[...rows.rows].sort(order));
}));
"""


def _count_value(text) -> str:
    """A shown count ("9,995") as a number to sort by; a hidden one ("<10", "(s)") sorts as 0."""
    digits = str(text).replace(",", "")
    return digits if digits.isdigit() else "0"


def glotip_years(series: dict) -> tuple[str, int]:
    """The years of a profile's GLOTIP series (any indicator): "2007–2022 (14 years)"."""
    years = sorted({int(y) for values in series.values() for y in values})
    if not years:
        return "none", 0
    span = f"{years[0]}–{years[-1]}" if len(years) > 1 else str(years[0])
    return f"{span} ({len(years)} year{'s' if len(years) > 1 else ''})", len(years)


def _profile_row(name: str, entry: dict, found: dict, run_id: str) -> str:
    results = found["results"]
    country = escape(str(results.get("country") or name))
    if f"{name}.html" in entry.get("files", []):
        country = f'<a href="{escape(name)}.html">{country}</a>'
    records = results.get("records_by_release", {}).get(PROFILE_RELEASE, "–")
    years, count = glotip_years(results.get("glotip_series") or {})
    made = (entry.get("reused_from") or run_id)[:10]
    return (
        f"<tr><td>{country}</td><td>{escape(str(results.get('region') or '–'))}</td>"
        f'<td data-value="{_count_value(records)}">{escape(str(records))}</td>'
        f'<td data-value="{count}">{escape(years)}</td><td>{escape(made)}</td></tr>'
    )


def render_profiles(manifest: dict, run_dir: Path | None = None) -> str:
    notebooks = manifest["notebooks"]
    names = [n for n in ordered(notebooks) if "fan_out" in notebooks[n]]
    rows = "\n".join(
        _profile_row(n, notebooks[n], about(run_dir, n), manifest["run_id"]) for n in names
    )
    body = f"""<h1>Country profiles</h1>
<p class="meta">Run {escape(manifest["run_id"])} · <a href="index.html">all reports of this
run</a>. Click a column heading to sort; type to filter.</p>
<p><label for="filter">Filter </label><input id="filter" type="search"
placeholder="country or region"></p>
<div class="wide"><table id="profiles"><thead><tr><th data-sort>country</th>
<th data-sort>region</th><th data-sort>CTDC records (K-anonymised release 2021)</th>
<th data-sort>GLOTIP years</th><th data-sort>date of the run that made it</th></tr></thead>
<tbody>
{rows}
</tbody></table></div>
<p class="meta">CTDC records are identified or assisted cases, not prevalence; a count below the
small-cell threshold is shown as such.</p>"""
    return _page(f"Country profiles, run {manifest['run_id']}", body, SORT_AND_FILTER)


def below_threshold(manifest: dict) -> list[str]:
    """The reports of a run made with a small-cell threshold below the safe one."""
    from analysis.publish.disclosure import DEFAULT_THRESHOLD

    return sorted(
        name for name, entry in manifest["notebooks"].items()
        if isinstance(entry.get("parameters", {}).get("min_cell"), int)
        and entry["parameters"]["min_cell"] < DEFAULT_THRESHOLD
    )  # fmt: skip


def _below_threshold(manifest: dict) -> str:
    unsafe = below_threshold(manifest)
    if not unsafe:
        return ""
    return (
        '<p class="unsafe" role="alert">Not safe to publish: '
        f"{len(unsafe)} report{'s' if len(unsafe) > 1 else ''} of this run hide counts below a "
        "threshold smaller than the safe one, so their tables and figures may show cells small "
        "enough to identify people.</p>\n"
    )


def write_index(manifest: dict, run_dir: Path) -> None:
    """index.html of the run folder, and profiles.html when the run has country profiles."""
    with paths.atomic_path(run_dir / INDEX) as tmp:
        tmp.write_text(render(manifest, run_dir), encoding="utf-8")
    if any("fan_out" in entry for entry in manifest["notebooks"].values()):
        with paths.atomic_path(run_dir / PROFILES_PAGE) as tmp:
            tmp.write_text(render_profiles(manifest, run_dir), encoding="utf-8")
