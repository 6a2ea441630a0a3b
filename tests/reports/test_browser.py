"""Every page of a run as a reader's browser shows it: headless Chromium (Debian's, driven by
Playwright; no browser download) opens the index, the country-profiles page and every notebook
report, and checks that nothing goes wrong on screen.

Per page: no console error or script error; no request leaves the file (only file: and data:
addresses; every request is recorded, and others are blocked); every image decodes; the title
says what the page is; nothing is wider than a 1280 px window, nor than a 390 px phone screen.
Printed to PDF (every notebook report and one country profile), page 1 holds the title and
the start of the key findings, and no table or figure is wider than the paper. On the profiles
page the table sorts on a click of each header and filters on typing. A full-page screenshot and the request
log of each page go to reports/test-artifacts/browser/ (or $ANALYSIS_TEST_ARTIFACTS/browser).

Run against a folder with `--run-dir DIR`. Without Chromium or Playwright the tests skip, with
the reason; under CI=true they fail instead. $ANALYSIS_CHROMIUM names another executable."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
import unicodedata
from pathlib import Path

import pytest
from pypdf import PdfReader
from report_pages import INDEX, PROFILES, artifacts_dir, in_ci, title_problem

WIDTH = 1280  # px: a laptop window; no page may need a horizontal scroll bar at this width
HEIGHT = 900
PHONE = 390  # px: a phone's screen; the page may not scroll sideways at this width either
A4_WIDTH = 718  # px: the width of an A4 page within Chromium's default print margins
PROFILE_PREFIX = "40_country_profile-"
JS_PAST_EDGE = """() => {
  const edge = document.documentElement.clientWidth + 1;
  return [...document.querySelectorAll('table, img')]
    .filter(e => e.getBoundingClientRect().right > edge)
    .map(e => (e.tagName.toLowerCase() + ' ' + (e.alt || (e.caption || {}).textContent ||
      e.textContent)).replace(/\\s+/g, ' ').slice(0, 70));
}"""
LOCAL = ("file:", "data:", "about:", "blob:")  # addresses that do not leave the file
CHROMIUM_ENV = "ANALYSIS_CHROMIUM"
# Name resolution fails inside the browser: nothing a page asks for can reach a host.
ARGS = ["--host-resolver-rules=MAP * ~NOTFOUND", "--disable-background-networking"]

JS_IMAGES = """async () => {
  const heading = el => {
    const h = document.evaluate('preceding::*[self::h1 or self::h2 or self::h3 or self::h4][1]',
      el, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue;
    return h ? h.textContent.trim().replace(/\\s+/g, ' ').replace(/¶$/, '').slice(0, 60) : '';
  };
  const images = [...document.images];
  images.forEach(i => { if (i.loading === 'lazy') i.loading = 'eager'; });
  await Promise.allSettled(images.map(i => i.decode()));
  return images.filter(i => !(i.complete && i.naturalWidth > 0)).map(i =>
    `alt "${(i.alt || '').slice(0, 50)}" src ${i.currentSrc.slice(0, 50) || '(none)'}` +
    ` under "${heading(i)}"`);
}"""

# The elements that stick out of a window `W` px wide, outermost first, widest first: an element
# inside a box that scrolls or clips on its own does not widen the page.
JS_WIDEST = """(W) => {
  const own = el => { const o = getComputedStyle(el).overflowX; return o !== 'visible'; };
  const clipped = el => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement)
      if (own(a)) return true;
    return false;
  };
  const heading = el => {
    const h = document.evaluate('preceding::*[self::h1 or self::h2 or self::h3 or self::h4][1]',
      el, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue;
    return h ? h.textContent.trim().replace(/\\s+/g, ' ').replace(/¶$/, '').slice(0, 60) : '';
  };
  const over = [...document.body.querySelectorAll('*')].filter(
    e => e.getBoundingClientRect().right > W + 0.5 && !clipped(e));
  const set = new Set(over);
  const outer = over.filter(e => !set.has(e.parentElement));
  outer.sort((a, b) => b.getBoundingClientRect().right - a.getBoundingClientRect().right);
  return outer.slice(0, 3).map(e => {
    const r = e.getBoundingClientRect();
    const cls = e.className && typeof e.className === 'string' ? '.' + e.className.trim()
      .split(/\\s+/).join('.') : '';
    const text = (e.innerText || e.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 40);
    return `<${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}${cls}> ${Math.round(r.width)}` +
      ` px wide, right edge at ${Math.round(r.right)} px, under "${heading(e)}": "${text}"`;
  });
}"""

# Boxes that hide part of what they hold (overflow hidden or clip): a reader cannot scroll to it.
JS_CUT = """() => [...document.querySelectorAll('body *')].filter(e => {
    const o = getComputedStyle(e).overflowX;
    return (o === 'hidden' || o === 'clip') && e.clientWidth > 4 &&
      e.scrollWidth > e.clientWidth + 1;
  }).slice(0, 3).map(e => `<${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}> shows ` +
    `${e.clientWidth} of ${e.scrollWidth} px: "${(e.innerText || '').trim().slice(0, 40)}"`)"""

# Row texts of the profiles table: every row, or the visible ones only. As sort keys, a cell's
# data-value (a page may sort "<10" or "2007–2022 (14 years)" by a key of its own) or its text.
JS_ROWS = """([visibleOnly, keys]) => [...document.querySelectorAll('#profiles tbody tr')]
  .filter(r => !visibleOnly || (r.getClientRects().length > 0 &&
                                getComputedStyle(r).visibility !== 'hidden'))
  .map(r => [...r.cells].map(c => (keys && c.dataset.value !== undefined ? c.dataset.value
                                                                          : c.innerText).trim()))"""

# The order of a column as the page's locale sees it: "asc", "desc", "equal" or "none".
# "–" and empty cells (missing) are left out. In a column of numbers (at least half of its
# cells; thousands separators allowed, "<10" as just under 10) only the numbers are compared.
JS_ORDER = """(values) => {
  const coll = new Intl.Collator(undefined, {numeric: true, sensitivity: 'base'});
  const key = v => {
    const t = v.replace(/[,\\s\\u00a0\\u2009\\u202f]/g, '');
    const m = t.match(/^(<)?(-?\\d+(?:\\.\\d+)?)%?$/);
    return m ? (m[1] ? Number(m[2]) - 0.5 : Number(m[2])) : null;
  };
  let vs = values.filter(v => v !== '' && v !== '–' && v !== '-');
  const numeric = 2 * vs.filter(v => key(v) !== null).length >= vs.length && vs.length > 0;
  if (numeric) vs = vs.filter(v => key(v) !== null);
  const cmp = (a, b) => numeric ? Math.sign(key(a) - key(b)) : Math.sign(coll.compare(a, b));
  const steps = vs.slice(1).map((v, i) => cmp(vs[i], v));
  if (steps.every(s => s === 0)) return 'equal';
  if (steps.every(s => s <= 0)) return 'asc';
  if (steps.every(s => s >= 0)) return 'desc';
  return 'none';
}"""


def chromium_path() -> str | None:
    given = os.environ.get(CHROMIUM_ENV)
    if given:
        return given if Path(given).is_file() else None
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if found := shutil.which(name):
            return found
    return None


def unavailable(reason: str):
    """Skip on a developer's machine; fail under CI, where the browser test must run."""
    if in_ci():
        pytest.fail(f"{reason}; CI=true, so the browser test must run", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("no browser test: Playwright is not installed (make setup)")
    path = chromium_path()
    if path is None:
        where = os.environ.get(CHROMIUM_ENV) or "chromium on PATH"
        unavailable(f"no browser test: no Chromium ({where}; apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path, args=ARGS)
        yield launched
        launched.close()


@contextlib.contextmanager
def visit(browser, path: Path):
    """A fresh page showing `path`, with `page.log`: every request, console error, script
    error. Requests that would leave the file are recorded and blocked."""
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})
    context.set_default_timeout(60_000)  # ms: a long report on a busy machine
    log = {"requests": [], "console errors": [], "script errors": []}

    def route(request_route):
        local = request_route.request.url.startswith(LOCAL)
        request_route.continue_() if local else request_route.abort()

    def console(message):
        if message.type == "error":
            where = message.location or {}
            at = (
                f" at {Path(where['url']).name}:{where.get('lineNumber')}"
                if where.get("url")
                else ""
            )
            log["console errors"].append(f"{message.text}{at}")

    context.route("**/*", route)
    page = context.new_page()
    page.on("request", lambda request: log["requests"].append(request.url))
    page.on("console", console)
    page.on("pageerror", lambda error: log["script errors"].append(str(error)))
    try:
        page.goto(path.as_uri(), wait_until="load")
        page.log = log
        yield page
    finally:
        context.close()


def short(url: str) -> str:
    return url if len(url) <= 90 else url[:87] + "..."


def page_problems(page, path: Path) -> list[str]:
    """What is wrong with a page a reader has open: `check: what was found` lines."""
    log = page.log
    found = [f"console error: {m}" for m in log["console errors"]]
    found += [f"script error: {m}" for m in log["script errors"]]
    found += [
        f"request leaves the file: {short(url)}"
        for url in log["requests"]
        if not url.startswith(LOCAL)
    ]
    found += [f"image does not decode: {m}" for m in page.evaluate(JS_IMAGES)]
    problem = title_problem(page.title(), path)
    if problem:
        found.append(f"title: {problem}")
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > WIDTH:
        widest = page.evaluate(JS_WIDEST, WIDTH) or ["(no single element found)"]
        found.append(
            f"overflow: page is {width} px wide at a {WIDTH} px window; widest: {widest[0]}"
        )
        found += [f"overflow: also {w}" for w in widest[1:]]
    found += [f"cut off: {m}" for m in page.evaluate(JS_CUT)]
    return found


def header_cells(page):
    cells = page.locator("#profiles thead th")
    return cells if cells.count() else page.locator("#profiles tr").first.locator("th")


def column(page, index: int) -> list[str]:
    return [row[index] if index < len(row) else "" for row in page.evaluate(JS_ROWS, [True, True])]


def sort_problems(page) -> list[str]:
    """A click on each header of #profiles puts its column in order; a second click reverses
    it; no row is lost or changed on the way."""
    if not page.locator("#profiles").count():
        return ['sort: no table id="profiles"']
    headers = header_cells(page)
    rows = sorted(map(tuple, page.evaluate(JS_ROWS, [False, False])))
    if not headers.count() or len(rows) < 2:
        return [f"sort: #profiles has {headers.count()} header cells and {len(rows)} rows"]
    found = []
    for i in range(headers.count()):
        name = " ".join(headers.nth(i).inner_text().split()).rstrip("▲▼↑↓ ")
        orders = []
        for click in ("first", "second"):
            headers.nth(i).click()
            values = column(page, i)
            orders.append(page.evaluate(JS_ORDER, values))
            if orders[-1] == "none":
                found.append(f"sort: after the {click} click on {name!r} the column is out of "
                             f"order: {values[:8]}")  # fmt: skip
        if "none" not in orders and "equal" not in orders and orders[0] == orders[1]:
            found.append(f"sort: a second click on {name!r} does not reverse the order "
                         f"(both {orders[0]}): {column(page, i)[:8]}")  # fmt: skip
        if sorted(map(tuple, page.evaluate(JS_ROWS, [False, False]))) != rows:
            found.append(f"sort: rows changed after clicks on {name!r}")
    return found


def filter_problems(page) -> list[str]:
    """Typing part of a country's name into #filter leaves the rows that contain it (any case);
    a word in no row leaves none; clearing the field shows every row again."""
    field = page.locator("#filter")
    if not field.count() or not page.locator("#profiles").count():
        return ['filter: no input id="filter" or no table id="profiles"']
    rows = page.evaluate(JS_ROWS, [False, False])
    if len(rows) < 2 or not rows[-1] or not rows[-1][0]:
        return [f"filter: #profiles has {len(rows)} rows, too few to check"]
    found = []
    query = rows[-1][0].lower()
    for typed, expected in (
        (query, [r for r in rows if query in " ".join(r).lower()]),
        ("zzqxj", []),
        ("", rows),
    ):
        field.click()
        field.press("Control+A")
        field.press("Backspace")
        if typed:
            field.press_sequentially(typed)
        shown = page.evaluate(JS_ROWS, [True, False])
        if sorted(map(tuple, shown)) != sorted(map(tuple, expected)):
            found.append(f"filter: typing {typed!r} shows {len(shown)} rows "
                         f"({[r[0] for r in shown][:6]}), expected {len(expected)} "
                         f"({[r[0] for r in expected][:6]})")  # fmt: skip
    return found


def summary(name: str, found: list[str], limit: int = 10) -> str:
    shown = "\n  ".join(found[:limit])
    more = f"\n  … and {len(found) - limit} more" if len(found) > limit else ""
    return f"{name}: {len(found)} problems in the browser\n  {shown}{more}"


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """The browser's artifact folder, emptied of an earlier session's screenshots and logs."""
    folder = artifacts_dir("browser")
    for old in [*folder.glob("*.png"), *folder.glob("*.log.json")]:
        old.unlink(missing_ok=True)  # another worker may have emptied it first
    return folder


def keep(page, path: Path, seconds: float, folder: Path) -> None:
    """The screenshot and the request log of a page, in the test-artifact folder."""
    page.screenshot(path=folder / f"{path.stem}.png", full_page=True)
    record = {"page": str(path), "seconds": round(seconds, 2), **page.log}
    (folder / f"{path.stem}.log.json").write_text(json.dumps(record, indent=1), encoding="utf-8")


def phone_problems(page) -> list[str]:
    """At a phone's width the page itself never scrolls sideways (a figure or table may, in
    its own frame)."""
    page.set_viewport_size({"width": PHONE, "height": HEIGHT})
    width = page.evaluate("document.documentElement.scrollWidth")
    if width <= PHONE:
        return []
    widest = page.evaluate(JS_WIDEST, PHONE) or ["(no single element found)"]
    return [f"phone: page is {width} px wide at a {PHONE} px screen; widest: {widest[0]}"]


def plain(text: str) -> str:
    """Text without spaces or line breaks, ligatures as letters: as a PDF and a page compare."""
    return "".join(unicodedata.normalize("NFKC", text).replace("¶", "").split())


def print_problems(page, path: Path, folder: Path) -> list[str]:
    """Printed on A4: page 1 holds the title and the start of the key findings, and no table
    or figure is wider than the paper."""
    pdf = folder / f"{path.stem}.pdf"
    page.pdf(path=str(pdf), format="A4")
    first = plain(PdfReader(pdf).pages[0].extract_text())
    found = []
    for what, selector in (("title", "h1"), ("key findings", ".thb-findings li, .thb-findings p")):
        texts = page.locator(selector).all_inner_texts()
        if not texts:
            found.append(f"print: the page has no {what}")
        elif plain(texts[0])[:40] not in first:
            found.append(f"print: page 1 lacks the {what} ({texts[0][:50]!r})")
    page.emulate_media(media="print")
    page.set_viewport_size({"width": A4_WIDTH, "height": HEIGHT})
    wide = page.evaluate(JS_PAST_EDGE)
    found += [f"print: wider than the paper: {w}" for w in wide[:5]]
    return found


def printed(report: Path) -> bool:
    """The reports printed by the browser test: every notebook report but the country
    profiles, of which one (Belarus, else the first)."""
    if report.name in {INDEX, PROFILES} or not report.name.endswith(".html"):
        return False
    if not report.name.startswith(PROFILE_PREFIX):
        return True
    profiles = sorted(report.parent.glob(f"{PROFILE_PREFIX}*.html"))
    chosen = report.parent / f"{PROFILE_PREFIX}BLR.html"
    return report == (chosen if chosen in profiles else profiles[0])


def test_report_in_browser(report, browser, artifacts):
    if not report.is_file():
        pytest.fail(f"{report.name}: missing from the run folder {report.parent}", pytrace=False)
    start = time.monotonic()
    with visit(browser, report) as page:
        found = page_problems(page, report)
        keep(page, report, time.monotonic() - start, artifacts)
        found += phone_problems(page)
        if printed(report):
            found += print_problems(page, report, artifacts)
    if found:
        pytest.fail(summary(report.name, found), pytrace=False)


def test_profiles_table_sorts_and_filters(run_dir, browser):
    path = run_dir / PROFILES
    if not path.is_file():
        pytest.fail(f"{PROFILES}: missing from the run folder {run_dir}", pytrace=False)
    with visit(browser, path) as page:
        found = sort_problems(page)
        page.reload()
        found += filter_problems(page)
    if found:
        pytest.fail(summary(PROFILES, found), pytrace=False)


# The checks themselves, on small pages made here: each finds what it should.

PNG = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAC"
    "hwGA60e6kgAAAABJRU5ErkJggg=="
)
GOOD = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>Victim trends</title></head>
<body><h1>Trends</h1><img src="{PNG}" alt="a dot">
<div style="overflow-x:auto"><table><tr><td style="min-width:3000px">wide, scrolls</td></tr>
</table></div></body></html>"""
BAD = f"""<!DOCTYPE html><html><head><title>Notebook</title>
<link rel="stylesheet" href="https://cdn.example.invalid/x.css"></head>
<body><h2>Corridors</h2><img src="{PNG}" alt="ok"><img src="gone.png" alt="lost figure">
<table id="wide"><tr><td style="min-width:2000px">too wide</td></tr></table>
<div id="cut" style="overflow:hidden;width:300px"><p style="width:900px">hidden part</p></div>
<script>console.error("boom"); notDefined();</script></body></html>"""

PROFILE_PAGE = """<!DOCTYPE html><html><head><title>Country profiles</title></head><body>
<input id="filter"><table id="profiles"><thead><tr><th>country</th><th>CTDC records</th></tr>
</thead><tbody><tr><td>Ukraine</td><td>1,200</td></tr><tr><td>Côte d'Ivoire</td><td>–</td></tr>
<tr><td>Germany</td><td>&lt;10</td></tr><tr><td>Moldova</td><td>35</td></tr>
<tr><td>India</td><td>(s)</td></tr></tbody></table>
SCRIPT</body></html>"""
SORT_AND_FILTER = """<script>
const table = document.getElementById('profiles');
const key = t => { const s = t.replace(/[,\\s]/g, ''); const m = s.match(/^<?(\\d+)$/);
  return m ? Number(m[1]) - (s[0] === '<' ? 0.5 : 0) : null; };
table.querySelectorAll('th').forEach((th, i) => th.addEventListener('click', () => {
  const dir = th.dataset.dir === 'asc' ? -1 : 1; th.dataset.dir = dir > 0 ? 'asc' : 'desc';
  const body = table.tBodies[0];
  const rows = [...body.rows].sort((a, b) => {
    const x = a.cells[i].innerText, y = b.cells[i].innerText, kx = key(x), ky = key(y);
    if (kx === null && ky === null) return dir * x.localeCompare(y);
    if (kx === null || ky === null) return (kx === null) - (ky === null);
    return dir * (kx - ky); });
  rows.forEach(r => body.appendChild(r)); }));
document.getElementById('filter').addEventListener('input', e => {
  const q = e.target.value.toLowerCase();
  [...table.tBodies[0].rows].forEach(r => {
    r.hidden = !r.innerText.toLowerCase().includes(q); }); });
</script>"""


def made(tmp_path: Path, name: str, html: str) -> Path:
    path = tmp_path / name
    path.write_text(html, encoding="utf-8")
    return path


def test_checks_find_nothing_on_a_good_page(browser, tmp_path):
    path = made(tmp_path, "10_victim_trends.html", GOOD)
    with visit(browser, path) as page:
        assert page_problems(page, path) == []


def test_checks_find_every_fault(browser, tmp_path):
    path = made(tmp_path, "10_victim_trends.html", BAD)
    with visit(browser, path) as page:
        found = page_problems(page, path)
    text = "\n".join(found)
    assert "request leaves the file: https://cdn.example.invalid/x.css" in text
    assert "script error: notDefined is not defined" in text
    assert "console error: boom" in text
    assert 'image does not decode: alt "lost figure" src file://' in text
    assert 'under "Corridors"' in text
    assert "title: generic <title> 'Notebook'" in text
    assert "overflow: page is" in text and "<table#wide>" in text, text
    assert "cut off: <div#cut> shows 300 of 900 px" in text, text


def test_profile_checks_pass_a_working_table(browser, tmp_path):
    path = made(tmp_path, PROFILES, PROFILE_PAGE.replace("SCRIPT", SORT_AND_FILTER))
    with visit(browser, path) as page:
        assert sort_problems(page) == []
        page.reload()
        assert filter_problems(page) == []
        assert page.log["console errors"] == page.log["script errors"] == []


def test_profile_checks_fail_a_dead_table(browser, tmp_path):
    path = made(tmp_path, PROFILES, PROFILE_PAGE.replace("SCRIPT", ""))
    with visit(browser, path) as page:
        sorting, filtering = sort_problems(page), filter_problems(page)
    assert any(
        "after the first click on 'country' the column is out of order" in p for p in sorting
    )
    assert any("filter: typing 'india' shows 5 rows" in p for p in filtering), filtering
