"""The index.html of a run: when, from which commit, the disclosure audit's verdict, each
notebook's status and links, sources."""

from __future__ import annotations

from html import escape
from pathlib import Path

from analysis.data import paths

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 70rem; margin: 2rem auto; color: #222; }
table { border-collapse: collapse; width: 100%; margin: 1rem 0; }
th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #ddd; }
td { vertical-align: top; }
.ok { color: #1a7f37; } .unchanged { color: #57606a; } .failed, .blocked { color: #cf222e; }
.status { font-weight: 600; white-space: nowrap; } small, .meta { color: #57606a; }
.audit-failed { border-left: 4px solid #cf222e; padding: .2rem 1rem; }
"""


def _notes(entry: dict) -> str:
    if entry.get("error"):
        return f"<code>{escape(entry['error'])}</code>"
    if entry.get("blocked_by"):
        return "skipped: needs " + escape(", ".join(entry["blocked_by"]))
    if entry.get("reused_from"):
        return f"unchanged since run {escape(entry['reused_from'])}"
    return ""


def _row(name: str, entry: dict) -> str:
    files = set(entry.get("files", []))
    title = f'<a href="{name}.html">{name}</a>' if f"{name}.html" in files else name
    links = " · ".join(
        f'<a href="{rel}">{label}</a>'
        for rel, label in (
            (f"{name}.ipynb", "notebook"),
            (f"results/{name}.json", "results"),
            (f"results/{name}.tables.json", "tables"),
        )
        if rel in files
    )
    seconds = f"{entry['seconds']:.1f} s" if entry.get("seconds") else ""
    memory = f"{entry['peak_rss_bytes'] / 2**20:.0f} MiB" if entry.get("peak_rss_bytes") else ""
    status = escape(entry["status"])
    return (
        f"<tr><td>{title}</td><td class='status {status.replace(' ', '-')}'>{status}</td>"
        f"<td>{seconds}</td><td>{memory}</td><td>{links}</td><td>{_notes(entry)}</td></tr>"
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


def render(manifest: dict) -> str:
    git = manifest["git"]
    commit = (git["commit"] or "unknown")[:12] + (
        " (with uncommitted changes)" if git["dirty"] else ""
    )
    rows = "\n".join(_row(n, e) for n, e in manifest["notebooks"].items())
    cited = "\n".join(
        f"<li><b>{escape(s['title'])}</b> (vintage {escape(s['vintage'])}). "
        f"<small>{escape(s['citation'])}</small></li>"
        for s in manifest["sources"].values()
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>thb-analysis report {escape(manifest["run_id"])}</title><style>{STYLE}</style></head>
<body>
<h1>thb-analysis report</h1>
<p class="meta">Run {escape(manifest["run_id"])} · {escape(manifest["created_utc"])} ·
commit {escape(commit)} · Python {escape(manifest["python"])} ·
{manifest["seconds"]:.1f} s · <a href="manifest.json">manifest (sha256 of every input and
output)</a></p>
{_audit(manifest.get("audit"))}
<table><thead><tr><th>notebook</th><th>status</th><th>time</th><th>peak memory</th>
<th>files</th><th>notes</th></tr></thead>
<tbody>
{rows}
</tbody></table>
<h2>Data sources</h2>
<ul>
{cited}
</ul>
<p class="meta">Victim data are identified or assisted cases, not prevalence: counts follow
who reported, where and when. Small cells are suppressed in every published table and figure.</p>
</body></html>
"""


def write_index(manifest: dict, run_dir: Path) -> None:
    with paths.atomic_path(run_dir / "index.html") as tmp:
        tmp.write_text(render(manifest), encoding="utf-8")
