"""One house style for every figure: title, axis labels with units, a source line.

fig, ax = plots.figure()
ax.plot(...)
plots.finish(fig, ax, title="...", xlabel="year", ylabel="victims (count)",
             source=plots.source_line("ctdc_synthetic_2021"))
report.figure(fig, "name")   # deterministic PNG and SVG (analysis.report)
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import seaborn as sns

from analysis import sources

PALETTE = "colorblind"
GENDERS = ["female", "male", "transgender_nonconforming", "unknown"]
GENDER_COLOURS = dict(zip(GENDERS, sns.color_palette(PALETTE, len(GENDERS)), strict=True))


def apply_style() -> None:
    sns.set_theme(style="whitegrid", context="notebook", palette=PALETTE)
    plt.rcParams.update(
        {"figure.dpi": 100, "font.family": "DejaVu Sans", "axes.titleweight": "bold"}
    )


def figure(width: float = 8, height: float = 4.5, **kwargs):
    apply_style()
    return plt.subplots(figsize=(width, height), **kwargs)


def source_line(*source_names: str, note: str = "") -> str:
    """'Source: publisher, title (vintage); ...' from the registry, plus an optional note."""
    parts = [f"{s.publisher.split(',')[0]}, {s.title}" for s in sources.select(source_names)]
    return "Source: " + "; ".join(parts) + (f". {note}" if note else "")


def finish(fig, ax, *, title: str, xlabel: str, ylabel: str, source: str):
    """Label the axes (with units), title the figure and put the source line under it."""
    if not (title and xlabel and ylabel and source):
        raise ValueError("every figure needs a title, both axis labels and a source")
    ax.set_title(title, loc="left")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    fig.text(0.01, 0.01, source, fontsize=7.5, color="#555555", ha="left", va="bottom", wrap=True)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return fig
