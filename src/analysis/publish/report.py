"""What a notebook hands to its report: key numbers (results JSON) and figure files.

In a run, the runner injects `report_dir` (the run folder); opened in JupyterLab it is None and
nothing is written, so exploring never touches a published report. `save` is the gate every
results file passes: it refuses one that holds a small count or any part of a hidden share
(`disclosure.check_results`), in JupyterLab too.

    report = Report("10_victim_trends", report_dir, min_cell)
    report.record("female_share", 0.71)
    report.headline("71% of the records of known gender are of women and girls.")
    report.warn("Most rows of one release were set aside in cleaning.")  # "ok with warnings"
    report.figure(fig, "female_share_by_year")   # shows it (alt text: its title) and saves it
    report.save()
"""

from __future__ import annotations

import html
import io
from pathlib import Path

import matplotlib as mpl
import matplotlib.image
import matplotlib.pyplot as plt

from analysis.data import files
from analysis.data.paths import atomic_path
from analysis.publish import disclosure, plots
from analysis.publish.tables import Table

# Deterministic figure files: no dates or software versions in the metadata, fixed SVG ids.
mpl.rcParams["svg.hashsalt"] = "thb-analysis"
PNG_METADATA = {"Software": None}
SVG_METADATA = {"Date": None, "Creator": None}
TABLES_VERSION = 1  # of the table records in results/<notebook>.tables.json
FIGURES_VERSION = 1  # of the figure records in results/<notebook>.figures.json
FIGURE_DPI = 200  # twice the screen resolution (figure.dpi 100): sharp when zoomed
MAX_HEADLINES = 3
MAX_HEADLINE_CHARS = 300


def figure_title(fig) -> str:
    """The figure's suptitle, or else the first axes title (any side); '' without any."""
    suptitle = getattr(fig, "_suptitle", None)
    titles = [suptitle.get_text()] if suptitle is not None else []
    titles += [ax.get_title(loc) for ax in fig.axes for loc in ("left", "center", "right")]
    return next((" ".join(t.split()) for t in titles if t.strip()), "")


def figure_bytes(fig, kind: str) -> bytes:
    """The figure as PNG or SVG, the same bytes for the same figure (no dates, versions)."""
    metadata = PNG_METADATA if kind == "png" else SVG_METADATA
    buffer = io.BytesIO()
    fig.savefig(buffer, format=kind, metadata=metadata, dpi=FIGURE_DPI)
    return buffer.getvalue()


def drawn_png(fig) -> tuple[bytes, list[str]]:
    """Draw `fig` once at `FIGURE_DPI`: its PNG (the bytes `figure_bytes` gives) and the layout
    problems of that drawing (`plots.layout_problems`)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    fig.set_dpi(FIGURE_DPI)
    canvas.draw()
    problems = [str(p) for p in plots.layout_problems(fig, drawn=True)]
    buffer = io.BytesIO()
    mpl.image.imsave(buffer, canvas.buffer_rgba(), format="png", origin="upper",
                     dpi=FIGURE_DPI, metadata=PNG_METADATA)  # fmt: skip
    return buffer.getvalue(), problems


def show_png(png: bytes, alt: str) -> None:
    """Display a 2x PNG at half its pixel size, with alt text (the report's template reads it
    from the output's metadata)."""
    from IPython.display import Image, display

    display(Image(data=png, format="png", retina=True, metadata={"alt": alt}))


class Report:
    def __init__(
        self,
        notebook: str,
        report_dir: str | Path | None,
        min_cell: int = disclosure.DEFAULT_THRESHOLD,
        svg: bool = True,
    ):
        self.notebook = notebook
        self.svg = svg  # also save each figure as SVG
        self.folder = Path(report_dir) if report_dir else None
        self.min_cell = disclosure.check_threshold(min_cell)
        self.results: dict = {}
        self.tables: list[dict] = []
        self.figures: list[dict] = []

    def record(self, key: str, value) -> None:
        """Keep a key number for results/<notebook>.json (JSON-serialisable values)."""
        self.results[key] = value

    def table(self, table: disclosure.CountTable | dict):
        """Keep a protected table's record (what a reader sees of it, no hidden value; a
        GLOTIP table is its record already: `bounded.glotip_record`) for
        results/<notebook>.tables.json, which `analysis audit` reads; returns the table."""
        self.tables.append(table if isinstance(table, dict) else table.record())
        return table

    def show_table(self, table: Table, name: str) -> Table:
        """A table for the reader (`publish.tables.Table`): in a run, also written as
        tables/<notebook>/<name>.csv (the text the reader sees, after suppression) and linked
        under the table. Returns it, so that a notebook cell ending with it displays it."""
        if self.folder is not None:
            rel = f"tables/{self.notebook}/{name}.csv"
            with atomic_path(self.folder / rel) as tmp:
                table.shown().to_csv(tmp, index=False, lineterminator="\n")
            table.link = rel
        return table

    def figure(self, fig, name: str) -> None:
        """Show `fig` in the notebook as a 2x PNG with its title as alt text, and close it (so
        the inline backend does not show it again). In a run, also save it as PNG (the same
        bytes) and SVG under figures/<notebook>/, and keep its name, title and layout problems
        (`plots.layout_problems`) for results/<notebook>.figures.json; a problem is also a
        warning (`warn`), so the run and its index show it. A report made with
        `svg=False` (one of many country profiles) draws each figure once, as its PNG."""
        title = figure_title(fig) or name.replace("_", " ")
        png, problems = drawn_png(fig)
        if self.folder is not None:
            target = self.folder / "figures" / self.notebook
            saved = {".png": png, **({".svg": figure_bytes(fig, "svg")} if self.svg else {})}
            for suffix, data in saved.items():
                with atomic_path(target / f"{name}{suffix}") as tmp:
                    tmp.write_bytes(data)
        self.figures.append({"name": name, "title": title, "problems": problems})
        show_png(png, title)
        plt.close(fig)
        if problems:  # a label cut off or covering another: the run says so, not only the file
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            self.warn(f"The figure '{title}' may be hard to read: {problems[0]}{more}.")

    def warn(self, text: str) -> None:
        """A warning the reader must see (results "warnings"): shown here, and in a run at the
        top of the report's key findings, in the run's log and on its index, where the
        notebook ends "ok with warnings". The same warning again is kept once."""
        from IPython.display import HTML, display

        text = " ".join(str(text).split())
        if not text:
            raise ValueError("a warning needs a text")
        warnings = self.results.setdefault("warnings", [])
        if text not in warnings:
            warnings.append(text)
            display(HTML(f'<p class="thb-warning"><b>Warning.</b> {html.escape(text)}</p>'))

    def headline(self, text: str) -> None:
        """One of at most `MAX_HEADLINES` short sentences that the index shows for the report
        (results "headline"); the same sentence again is kept once."""
        text = " ".join(str(text).split())
        if not text or len(text) > MAX_HEADLINE_CHARS:
            raise ValueError(f"a headline is 1 to {MAX_HEADLINE_CHARS} characters: {text!r}")
        lines = self.results.setdefault("headline", [])
        if not isinstance(lines, list):
            raise ValueError(f"{self.notebook}: results 'headline' holds a record, not sentences")
        if text in lines:
            return
        if len(lines) == MAX_HEADLINES:
            raise ValueError(f"{self.notebook}: at most {MAX_HEADLINES} headline sentences")
        lines.append(text)

    def save(self) -> None:
        """Write results/<notebook>.json (returns nothing, so the notebook shows nothing).

        Also writes results/<notebook>.tables.json, the records of its protected tables, and
        results/<notebook>.figures.json, its figures' names, titles and layout problems.
        A `DisclosureError` naming every offending key, and nothing written, when a count
        is a small cell, a suppressed record still holds its count, share or interval, or
        the notebook's own tables give a hidden cell away (`disclosure.exposed_cells`)."""
        leaks = disclosure.check_results(self.results, self.min_cell)
        if leaks:
            raise disclosure.DisclosureError(
                f"{self.notebook}: results would reveal small cells (below {self.min_cell}): "
                + "; ".join(leaks[:10])
                + (f"; and {len(leaks) - 10} more" if len(leaks) > 10 else "")
            )
        exposed = disclosure.exposed_cells(self.tables)
        if exposed:
            where = "; ".join(f"{c['table']}: {c['kind']} cell {c['key']}" for c in exposed[:5])
            raise disclosure.DisclosureError(
                f"{self.notebook}: its published tables give hidden cells away: {where}"
            )
        if self.folder is not None:
            results = self.folder / "results"
            files.write_json({"notebook": self.notebook, "results": self.results},
                             results / f"{self.notebook}.json")  # fmt: skip
            files.write_json(
                {"notebook": self.notebook, "version": TABLES_VERSION, "tables": self.tables},
                results / f"{self.notebook}.tables.json",
            )
            files.write_json(
                {"notebook": self.notebook, "version": FIGURES_VERSION, "figures": self.figures},
                results / f"{self.notebook}.figures.json",
            )
