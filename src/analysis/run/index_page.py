"""The index.html of a run (its reports, audit verdict and sources) and profiles.html (its
country profiles), rendered from the run folder's JSON with jinja2 templates that escape text.
"""

from __future__ import annotations

import json
import re
from html import escape
from pathlib import Path
from urllib.parse import urlsplit

from analysis.data import paths
from analysis.run.report_page import environment, question_of, title_of

INDEX = "index.html"
PROFILES_PAGE = "profiles.html"
PROFILE_RELEASE = "kanon_2021"  # the CTDC release whose record count the profiles page shows


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def about(run_dir: Path, name: str) -> dict:
    """A report's title, question and results in a run folder; empty where files are missing."""
    notebook = _read_json(run_dir / f"{name}.ipynb")
    results = _read_json(run_dir / "results" / f"{name}.json").get("results", {})
    found = {"title": title_of(notebook), "question": question_of(notebook), "results": results}
    return {**found, "headlines": headlines(results)}


def ordered(notebooks: dict) -> list[str]:
    """Reports in number order, the country profiles (fan-out instances) after all others."""
    return sorted(notebooks, key=lambda n: ("fan_out" in notebooks[n], n))


def headlines(results: dict) -> list[str]:
    """The report's headline sentences (`Report.headline`): a list of texts, else none."""
    found = results.get("headline")
    return [h for h in found if isinstance(h, str)] if isinstance(found, list) else []


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


def _source(source: dict) -> dict:
    from markupsafe import Markup

    landing = source.get("landing_page", "")
    cited = linked_citation(source["citation"], landing)
    if landing and "<a " not in cited:
        cited += f" {_link(landing, landing)}"
    return {"title": source["title"], "vintage": source["vintage"], "cited": Markup(cited)}


def render(manifest: dict, run_dir: Path) -> str:
    notebooks = manifest["notebooks"]
    names = ordered(notebooks)
    git = manifest["git"]
    template = environment().get_template("index.html.j2")
    return template.render(
        title=f"thb-analysis report {manifest['run_id']}",
        unsafe=below_threshold(manifest),
        run_id=manifest["run_id"],
        created=manifest["created_utc"],
        commit=(git["commit"] or "unknown")[:12]
        + (" (with uncommitted changes)" if git["dirty"] else ""),
        python=manifest["python"],
        seconds=manifest["seconds"],
        audit=manifest.get("audit"),
        profiles=sum("fan_out" in notebooks[n] for n in names),
        profiles_page=PROFILES_PAGE,
        reports=[(n, {"files": [], **notebooks[n]}, about(run_dir, n)) for n in names],
        sources=[_source(s) for s in manifest["sources"].values()],
    )


# The country profiles page.


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


def render_profiles(manifest: dict, run_dir: Path) -> str:
    from analysis.publish.profile_views import MIN_RANKING_BASE

    notebooks = manifest["notebooks"]
    names = [n for n in ordered(notebooks) if "fan_out" in notebooks[n]]
    template = environment().get_template("profiles.html.j2")
    return template.render(
        title=f"Country profiles, run {manifest['run_id']}",
        run_id=manifest["run_id"],
        min_base=MIN_RANKING_BASE,
        release=PROFILE_RELEASE,
        count_value=_count_value,
        glotip_years=glotip_years,
        profiles=[(n, notebooks[n], about(run_dir, n)["results"]) for n in names],
    )


def below_threshold(manifest: dict) -> list[str]:
    """The reports of a run made with a small-cell threshold below the safe one."""
    from analysis.publish.disclosure import DEFAULT_THRESHOLD

    return sorted(
        name for name, entry in manifest["notebooks"].items()
        if isinstance(entry.get("parameters", {}).get("min_cell"), int)
        and entry["parameters"]["min_cell"] < DEFAULT_THRESHOLD
    )  # fmt: skip


def write_index(manifest: dict, run_dir: Path) -> None:
    """index.html of the run folder, and profiles.html when the run has country profiles."""
    profiles = any("fan_out" in entry for entry in manifest["notebooks"].values())
    for page, make in [(INDEX, render)] + [(PROFILES_PAGE, render_profiles)] * profiles:
        with paths.atomic_path(run_dir / page) as tmp:
            tmp.write_text(make(manifest, run_dir), encoding="utf-8")
