"""What a notebook hands to its report: key numbers (results JSON) and figure files; with no
`report_dir` (JupyterLab) nothing is written. `save` refuses results that reveal a small cell."""

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
    """Draw `fig` once: its PNG (as `figure_bytes`) and the layout problems of that drawing."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    fig.set_dpi(FIGURE_DPI)
    canvas.draw()
    problems = [str(p) for p in plots.layout_problems(fig, drawn=True)]
    buffer = io.BytesIO()
    mpl.image.imsave(buffer, canvas.buffer_rgba(), format="png", origin="upper",
                     dpi=FIGURE_DPI, metadata=PNG_METADATA)  # fmt: skip
    return buffer.getvalue(), problems


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
        """Keep a protected table's record (or a GLOTIP record) for the audit; returns it."""
        self.tables.append(table if isinstance(table, dict) else table.record())
        return table

    def show_table(self, table: Table, name: str) -> Table:
        """A table for the reader; in a run also written as tables/<notebook>/<name>.csv."""
        if self.folder is not None:
            rel = f"tables/{self.notebook}/{name}.csv"
            with atomic_path(self.folder / rel) as tmp:
                table.shown().to_csv(tmp, index=False, lineterminator="\n")
            table.link = rel
        return table

    def figure(self, fig, name: str) -> None:
        """Show `fig` as a 2x PNG and close it; in a run also save it. A layout problem is also
        a warning, so the run shows it."""
        from IPython.display import Image, display

        title = figure_title(fig) or name.replace("_", " ")
        png, problems = drawn_png(fig)
        if self.folder is not None:
            target = self.folder / "figures" / self.notebook
            saved = {".png": png, **({".svg": figure_bytes(fig, "svg")} if self.svg else {})}
            for suffix, data in saved.items():
                with atomic_path(target / f"{name}{suffix}") as tmp:
                    tmp.write_bytes(data)
        self.figures.append({"name": name, "title": title, "problems": problems})
        display(Image(data=png, format="png", retina=True, metadata={"alt": title}))
        plt.close(fig)
        if problems:  # a label cut off or covering another: the run says so, not only the file
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            self.warn(f"The figure '{title}' may be hard to read: {problems[0]}{more}.")

    def warn(self, text: str) -> None:
        """A warning the reader must see: here, atop the key findings and on the index."""
        from IPython.display import HTML, display

        text = " ".join(str(text).split())
        if not text:
            raise ValueError("a warning needs a text")
        warnings = self.results.setdefault("warnings", [])
        if text not in warnings:
            warnings.append(text)
            display(HTML(f'<p class="thb-warning"><b>Warning.</b> {html.escape(text)}</p>'))

    def headline(self, text: str) -> None:
        """One of at most `MAX_HEADLINES` short sentences that the index shows."""
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
        """Write the results, tables and figures JSON; nothing, and a `DisclosureError` naming
        every offending key, when they would reveal a small or hidden cell."""
        if leaks := disclosure.check_results(self.results, self.min_cell):
            raise disclosure.DisclosureError(
                f"{self.notebook}: results would reveal small cells (below {self.min_cell}): "
                + "; ".join(leaks[:10])
                + (f"; and {len(leaks) - 10} more" if len(leaks) > 10 else "")
            )
        if exposed := disclosure.exposed_cells(self.tables):
            where = "; ".join(f"{c['table']}: {c['kind']} cell {c['key']}" for c in exposed[:5])
            raise disclosure.DisclosureError(
                f"{self.notebook}: its published tables give hidden cells away: {where}"
            )
        if self.folder is not None:
            for suffix, record in (
                ("", {"results": self.results}),
                (".tables", {"version": TABLES_VERSION, "tables": self.tables}),
                (".figures", {"version": FIGURES_VERSION, "figures": self.figures}),
            ):
                path = self.folder / "results" / f"{self.notebook}{suffix}.json"
                files.write_json({"notebook": self.notebook, **record}, path)
