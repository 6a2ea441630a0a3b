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
from analysis.schemas.victims import GENDERS

PALETTE = "colorblind"
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


def finish_grid(fig, axes, *, title: str, xlabel: str, ylabel: str, source: str):
    """`finish` for small multiples: one title, shared axis labels and the source line."""
    if not (title and xlabel and ylabel and source):
        raise ValueError("every figure needs a title, both axis labels and a source")
    grid = axes if hasattr(axes, "ndim") and axes.ndim == 2 else None
    for ax in getattr(axes, "flat", [axes]):
        ax.set_xlabel("")
        ax.set_ylabel("")
    if grid is not None:
        for ax in grid[:, 0]:
            ax.set_ylabel(ylabel, fontsize=9)
        for ax in grid[-1, :]:
            ax.set_xlabel(xlabel, fontsize=9)
    fig.suptitle(title, x=0.01, ha="left", fontweight="bold")
    fig.text(0.01, 0.005, source, fontsize=7.5, color="#555555", ha="left", va="bottom", wrap=True)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig


def count_heatmap(ax, counts, threshold: int, cmap: str = "Blues"):
    """Heatmap of counts: small cells are left blank and labelled '<threshold', never coloured."""
    import numpy as np

    from analysis import stats

    shown = stats.mask_small(counts, threshold)
    mesh = ax.imshow(np.ma.masked_invalid(shown.to_numpy(dtype=float)), cmap=cmap, aspect="auto")
    labels = stats.suppress(counts, threshold)
    top = np.nanmax(shown.to_numpy(dtype=float)) if shown.notna().any().any() else 1.0
    for i in range(counts.shape[0]):
        for j in range(counts.shape[1]):
            value = shown.iat[i, j]
            dark = not np.isnan(value) and value > 0.6 * top
            ax.text(j, i, labels.iat[i, j], ha="center", va="center", fontsize=7,
                    color="white" if dark else "#333333")  # fmt: skip
    ax.set_xticks(range(counts.shape[1]), counts.columns, rotation=45, ha="right")
    ax.set_yticks(range(counts.shape[0]), counts.index)
    ax.grid(False)
    return mesh
