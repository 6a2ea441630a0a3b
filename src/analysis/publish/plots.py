"""One house style for every figure: title, axis labels with units, a source line.

fig, ax = plots.figure()
ax.plot(...)
plots.finish(fig, ax, title="...", xlabel="year", ylabel="victims (count)",
             source=plots.source_line("ctdc_synthetic_2021"))
report.figure(fig, "name")   # deterministic PNG and SVG (analysis.publish.report)
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.ticker import MaxNLocator

from analysis.data import sources
from analysis.publish import disclosure
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


def small_multiples(
    panels: dict, draw, *, title: str, xlabel: str, ylabel: str, source: str, sharey=False
):
    """One small panel per key of `panels` (titled with its value), four to a row, sharing the
    x axis: `draw(ax, key)` draws a panel; the first panel holds the legend."""
    ncols = 4
    nrows = int(np.ceil(len(panels) / ncols))
    fig, axes = figure(
        11, 2.6 * nrows + 0.8, nrows=nrows, ncols=ncols, sharex=True, sharey=sharey, squeeze=False
    )
    for ax, (key, label) in zip(axes.flat, panels.items(), strict=False):
        draw(ax, key)
        ax.set_title(label, fontsize=9, loc="left")
    for ax in list(axes.flat)[len(panels) :]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=7, frameon=False)
    return finish_grid(fig, axes, title=title, xlabel=xlabel, ylabel=ylabel, source=source)


def rows_of(table: pd.DataFrame, column: str, key, years) -> pd.DataFrame:
    """The rows of `table` whose `column` is `key`, indexed by year over all of `years`: a year
    without a row is a gap in a line, not a zero."""
    return table[table[column] == key].set_index("year").reindex(years)


def share_band(ax, table: pd.DataFrame, name: str, *, color, label: str):
    """The `{name}_share` line of `table` (x: its index) with its `_lower`-`_upper` band."""
    ax.plot(table.index, table[f"{name}_share"], marker="o", ms=3, color=color, label=label)
    ax.fill_between(
        table.index, table[f"{name}_lower"], table[f"{name}_upper"], color=color, alpha=0.2, lw=0
    )


def bounds_band(ax, x, lower, upper, label: str, *, marker: str = "o", alpha=0.3, color=None):
    """A series known only within bounds (`<5` cells): a line at the lower bound and a band up
    to the upper one, so the figure shows the range rather than one guessed value."""
    colour = {} if color is None else {"color": color}  # else both follow the colour cycle
    ax.plot(x, lower.astype(float), marker=marker, ms=3, label=label, **colour)
    ax.fill_between(x, lower.astype(float), upper.astype(float), alpha=alpha, **colour)


def integer_years(axes, nbins: int = 6) -> None:
    """Year axes ticked at whole years only (no 2010.5)."""
    for ax in axes:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=nbins))


def count_heatmap(ax, counts, threshold: int, cmap: str = "Blues", hidden=None):
    """Heatmap of counts: small cells are left blank and labelled '<threshold', never coloured.

    `hidden` (`disclosure.hidden_cells`) blanks more cells, labelled "(s)" as in the table, so a
    figure never shows a cell its table hides.
    """
    mask = disclosure.is_small(counts, threshold)
    if hidden is not None:
        mask = mask | hidden.reindex_like(counts).fillna(False).astype(bool)
    shown = counts.astype("float64").mask(mask)
    mesh = ax.imshow(np.ma.masked_invalid(shown.to_numpy(dtype=float)), cmap=cmap, aspect="auto")
    labels = disclosure.cell_text(counts, mask, threshold)
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


def stacked_bars(ax, values, hidden, totals, label: str = "hidden (small cells)", horizontal=False):
    """Stacked bars (one per row of `values`) that never draw a hidden cell as zero or at a
    position that would give it away: the shown segments come first, then one hatched segment
    for the hidden cells together (total minus shown), and a row whose total is missing or
    hidden is left out (a gap)."""
    hidden = hidden.reindex_like(values).fillna(False).astype(bool)
    shown = values.astype("float64").mask(hidden).fillna(0.0)
    totals = pd.Series(totals, index=values.index, dtype="float64")
    keep = totals.notna().to_numpy()
    position = np.arange(len(values))[keep]
    bar = ax.barh if horizontal else ax.bar
    base = np.zeros(keep.sum())
    for column in values.columns:
        height = shown[column].to_numpy()[keep]
        bar(position, height, 0.8, base, label=str(column))
        base = base + height
    rest = np.clip(totals.to_numpy()[keep] - base, 0, None)
    rest = np.where(hidden.any(axis=1).to_numpy()[keep], rest, 0.0)
    if rest.any():
        bar(position, rest, 0.8, base, label=label, color="white", edgecolor="#777777",
            hatch="///", linewidth=0.5)  # fmt: skip
    ticks = ax.set_yticks if horizontal else ax.set_xticks
    ticks(range(len(values)), [str(i) for i in values.index])
    return ax
