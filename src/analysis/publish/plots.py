"""One house style for every figure: title, axis labels with units, a source line below."""

from __future__ import annotations

import itertools
import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.font_manager import FontProperties
from matplotlib.ticker import (
    FixedLocator,
    FuncFormatter,
    MaxNLocator,
    NullLocator,
    ScalarFormatter,
)

from analysis.data import sources
from analysis.publish import disclosure, style
from analysis.schemas.victims import GENDERS

GENDER_COLOURS = dict(zip(GENDERS, style.COLORBLIND, strict=False))  # seaborn's "colorblind"
SERIES_COLOURS = style.SERIES  # see style.toml
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
OTHER_COLOUR = "#555555"  # "other" and "unknown" are greys
UNKNOWN_COLOUR = "#999999"
MAX_SERIES = 8  # named lines in one chart, plus "other" and "unknown"
CAPTION_COLOUR = "#444444"
CAPTION_PT = 9.0  # at a figure width of 9 inches; wider figures get a larger caption
PAGE_INCHES = 9.0
PAD_INCHES = 0.08
TOUCH_PX = 1.0  # text boxes may touch (share up to a pixel), not overlap


def figure(width: float = 8, height: float = 4.5, **kwargs):
    plt.rcParams.update(style.SEABORN_THEME | style.PROJECT)
    return plt.subplots(figsize=(width, height), **kwargs)


def sentence(text: str) -> str:
    """`text` as a sentence: first letter capitalised, a full stop at the end."""
    text = " ".join(str(text).split()).strip(" .;")
    return f"{text[:1].upper()}{text[1:]}." if text else ""


def source_line(*source_names: str, note: str = "") -> str:
    """'Source: publisher, title.' (or 'Sources: A; B.'), then the note."""
    parts = [f"{s.publisher.split(',')[0]}, {s.title}" for s in sources.select(source_names)]
    head = "Source: " if len(parts) == 1 else "Sources: "
    return with_note(head + "; ".join(parts) + ".", note)


def with_note(source: str, note: str) -> str:
    """A source line with one more sentence (a figure's own note) after it."""
    source = " ".join(source.split())
    if not note:
        return source
    return f"{source.rstrip('.')}. {sentence(note)}"


def wrap_text(fig, text: str, fontsize: float, width_px: float) -> str:
    """`text` broken into lines (at spaces) no wider than `width_px` on the figure's canvas."""
    renderer = fig.canvas.get_renderer()
    font = FontProperties(family=plt.rcParams["font.family"], size=fontsize)

    def width(line: str) -> float:
        return renderer.get_text_width_height_descent(line, font, ismath=False)[0]

    lines: list[str] = []
    for word in text.split():
        if lines and width(f"{lines[-1]} {word}") <= width_px:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return "\n".join(lines)


class CountFormatter(ScalarFormatter):
    """Tick labels as 12,500 when every tick is a whole number."""

    def format_ticks(self, values):
        if len(values) and all(float(v).is_integer() for v in values):
            return [f"{v:,.0f}".replace("-", "\N{MINUS SIGN}") for v in values]
        return super().format_ticks(values)


def add_caption(fig, labels: tuple[str, ...], source: str) -> float:
    """The source line, wrapped, below a figure made taller for it; returns the height
    (fraction) left below the plots."""
    if not (all(labels) and source):
        raise ValueError("every figure needs a title, both axis labels and a source")
    for ax in fig.axes:
        if type(ax.yaxis.get_major_formatter()) is ScalarFormatter and ax.get_yscale() == "linear":
            ax.yaxis.set_major_formatter(CountFormatter())
    # 9 pt at a 9-inch width, larger for a wider figure: it reads the same when a page scales
    # the figure to its width
    size = round(CAPTION_PT * max(1.0, fig.get_figwidth() / PAGE_INCHES), 1)
    pad = PAD_INCHES * fig.dpi
    # 4% to spare: text measured at this resolution is a little wider at the saved one
    text = wrap_text(fig, source, size, 0.96 * (fig.bbox.width - 2 * pad))
    caption = fig.text(0, 0, text, fontsize=size, color=CAPTION_COLOUR, ha="left", va="bottom",
                       gid="caption")  # fmt: skip
    height = caption.get_window_extent(fig.canvas.get_renderer()).height / fig.dpi
    width, old = fig.get_size_inches()
    fig.set_size_inches(width, old + height + PAD_INCHES)
    caption.set_position((PAD_INCHES / width, PAD_INCHES / fig.get_figheight()))
    return (height + 2 * PAD_INCHES) / fig.get_figheight()


def finish(fig, ax, *, title: str, xlabel: str, ylabel: str, source: str):
    """Label the axes (with units), title the figure and put the source line under it."""
    ax.set_title(title, loc="left")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    fig.tight_layout(rect=(0, add_caption(fig, (title, xlabel, ylabel), source), 1, 1))
    return fig


def finish_grid(fig, axes, *, title: str, xlabel: str, ylabel: str, source: str):
    """`finish` for panels: one title, x-label, y-label and source line for all."""
    for ax in np.ravel(axes):
        ax.set_xlabel("")
        ax.set_ylabel("")
    fig.suptitle(title, x=0.01, ha="left", fontweight="bold")
    bottom = add_caption(fig, (title, xlabel, ylabel), source)
    size = plt.rcParams["axes.labelsize"]
    fig.supxlabel(xlabel, y=bottom, va="bottom", fontsize=size)
    fig.supylabel(ylabel, x=0.005, y=(1 + bottom) / 2, ha="left", fontsize=size)
    fig.tight_layout(rect=(0, bottom, 1, 1))
    return fig


def small_multiples(
    panels: dict, draw, *, title: str, xlabel: str, ylabel: str, source: str, sharey=False
):
    """One panel per key of `panels`, four to a row: `draw(ax, key)` draws a panel."""
    ncols = 4
    nrows = int(np.ceil(len(panels) / ncols))
    fig, axes = figure(
        11, 2.6 * nrows + 0.8, nrows=nrows, ncols=ncols, sharex=True, sharey=sharey, squeeze=False
    )
    for ax, (key, label) in zip(axes.flat, panels.items(), strict=False):
        draw(ax, key)
        ax.set_title(label, fontsize=10, loc="left")
    for ax in list(axes.flat)[len(panels) :]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=8, frameon=False)
    integer_years(axes.flat, nbins=4)
    return finish_grid(fig, axes, title=title, xlabel=xlabel, ylabel=ylabel, source=source)


def rows_of(table: pd.DataFrame, column: str, key, years) -> pd.DataFrame:
    """The rows of `key` over all of `years`: a year without a row is a gap, not a zero."""
    return table[table[column] == key].set_index("year").reindex(years)


def share_band(ax, table: pd.DataFrame, name: str, *, color, label: str):
    """The `{name}_share` line of `table` (x: its index) with its `_lower`-`_upper` band."""
    ax.plot(table.index, table[f"{name}_share"], marker="o", ms=3, color=color, label=label)
    ax.fill_between(
        table.index, table[f"{name}_lower"], table[f"{name}_upper"], color=color, alpha=0.2, lw=0
    )


def bounds_band(ax, x, lower, upper, label: str, *, marker: str = "o", alpha=0.3, color=None):
    """A series known only within bounds: a line at the lower bound, a band to the upper."""
    colour = {} if color is None else {"color": color}  # else both follow the colour cycle
    ax.plot(x, lower.astype(float), marker=marker, ms=3, label=label, **colour)
    ax.fill_between(x, lower.astype(float), upper.astype(float), alpha=alpha, **colour)


def integer_years(axes, nbins: int = 6) -> None:
    """Year axes ticked at whole years only (no 2010.5)."""
    for ax in axes:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=nbins))


def count_heatmap(ax, counts, threshold: int, hidden=None, wrap: int = 0):
    """Heatmap of counts: small cells are left blank and labelled '<threshold', never coloured;
    `hidden` cells are blank and "(s)", as in the table."""
    mask = disclosure.is_small(counts, threshold)
    if hidden is not None:
        mask = mask | hidden.reindex_like(counts).fillna(False).astype(bool)
    shown = counts.astype("float64").mask(mask)
    mesh = ax.imshow(np.ma.masked_invalid(shown.to_numpy(dtype=float)), cmap="Blues", aspect="auto")
    labels = disclosure.cell_text(counts, mask, threshold)
    top = np.nanmax(shown.to_numpy(dtype=float)) if shown.notna().any().any() else 1.0
    for (i, j), value in np.ndenumerate(shown.to_numpy(dtype=float)):
        dark = not np.isnan(value) and value > 0.6 * top
        ax.text(j, i, labels.iat[i, j], ha="center", va="center", fontsize=7,
                color="white" if dark else "#333333")  # fmt: skip
    if wrap:
        wrapped = [textwrap.fill(str(c), wrap, break_long_words=False) for c in counts.columns]
        ax.set_xticks(range(counts.shape[1]), wrapped, fontsize=8)
    else:
        ax.set_xticks(range(counts.shape[1]), counts.columns, rotation=45, ha="right")
    ax.set_yticks(range(counts.shape[0]), counts.index)
    ax.grid(False)
    return mesh


def stacked_bars(ax, values, hidden, totals, label: str = "hidden (small cells)", horizontal=False):
    """Stacked bars that never draw a hidden cell: one hatched segment holds a row's hidden
    cells together (total minus shown); a row whose total is hidden is a gap."""
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


def named_lines(ax, frame: pd.DataFrame, *, other=None, unknown=None) -> list:
    """One line per column, `other` and `unknown` in greys; returns the columns beyond
    `MAX_SERIES`, which are not drawn."""
    named = [c for c in frame.columns if c not in (other, unknown)]
    for i, column in enumerate(named[:MAX_SERIES]):
        ax.plot(frame.index, frame[column], marker=MARKERS[i], ms=4, lw=1.6,
                color=SERIES_COLOURS[i], label=str(column))  # fmt: skip
    for column, colour, line in ((other, OTHER_COLOUR, "-"), (unknown, UNKNOWN_COLOUR, "--")):
        if column is not None and column in frame.columns:
            ax.plot(frame.index, frame[column], marker=".", lw=1.4, ls=line, color=colour,
                    label=str(column))  # fmt: skip
    return named[MAX_SERIES:]


def side_legend(ax):
    """The legend to the right of the axes, outside the plot."""
    return ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=9,
                     borderaxespad=0.0)  # fmt: skip


def count_axis(ax, maximum: float, linthresh: int = 10) -> None:
    """A count axis: linear up to 100, else symmetric log ticked at 0 and powers of ten."""
    if not np.isfinite(maximum) or maximum < 10 * linthresh:
        ax.set_yscale("linear")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=5))
        ax.set_ylim(bottom=0)
        return
    ax.set_yscale("symlog", linthresh=linthresh)
    top = int(np.ceil(np.log10(maximum)))
    ax.yaxis.set_major_locator(FixedLocator([0, *(10**k for k in range(1, top + 1))]))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set_ylim(0, 10**top)


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 40 else text[:37] + "..."


def text_boxes(fig) -> list[tuple[str, object]]:
    """Every visible, non-empty text of a drawn figure with a plain description of it."""
    found: list[tuple[str, object]] = []

    def add(kind: str, artist, where: str = "") -> None:
        if artist is not None and artist.get_visible() and artist.get_text().strip():
            found.append((f"{kind} '{_short(artist.get_text())}'{where}", artist))

    def add_legend(legend, where: str = "") -> None:
        if legend is not None and legend.get_visible():
            add("legend title", legend.get_title(), where)
            for text in legend.get_texts():
                add("legend entry", text, where)

    named = {id(fig._suptitle): "figure title", id(fig._supxlabel): "shared x-label",
             id(fig._supylabel): "shared y-label"}  # fmt: skip
    for text in fig.texts:
        is_caption = text.get_gid() == "caption" or text.get_text().startswith("Source")
        add(named.get(id(text), "caption" if is_caption else "figure text"), text)
    for legend in fig.legends:
        add_legend(legend)
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        panel = next((t.get_text() for t in (ax.title, ax._left_title) if t.get_text()), "")
        where = f" (panel '{_short(panel)}')" if panel and len(fig.axes) > 1 else ""
        for title in (ax.title, ax._left_title, ax._right_title):
            add("panel title" if len(fig.axes) > 1 else "title", title)
        if ax.axison:
            for name, axis in (("x", ax.xaxis), ("y", ax.yaxis)):
                if not axis.get_visible():
                    continue
                add(f"{name}-label", axis.label, where)
                add(f"{name} offset", axis.get_offset_text(), where)
                for tick in axis._update_ticks():
                    for label in (tick.label1, tick.label2):
                        add(f"{name} tick label", label, where)
        for text in ax.texts:
            add("annotation", text, where)
        add_legend(ax.get_legend(), where)
    return found


def layout_problems(fig, drawn: bool = False) -> list[str]:
    """Texts outside the canvas or overlapping (they may touch); `drawn`: already drawn."""
    if not drawn:
        fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    touch = TOUCH_PX * fig.dpi / 100  # a pixel at 100 dpi
    boxes = [(name, text.get_window_extent(renderer)) for name, text in text_boxes(fig)]
    width, height = fig.bbox.width, fig.bbox.height
    problems = []
    for name, box in boxes:
        sides = [side for side, out in (
            ("left", box.x0 < -touch), ("right", box.x1 > width + touch),
            ("bottom", box.y0 < -touch), ("top", box.y1 > height + touch),
        ) if out]  # fmt: skip
        if sides:
            problems.append(f"{name} is cut off at the {' and '.join(sides)} edge of the figure")
    for (name_a, a), (name_b, b) in itertools.combinations(boxes, 2):
        across = min(a.x1, b.x1) - max(a.x0, b.x0)
        up = min(a.y1, b.y1) - max(a.y0, b.y0)
        if across > touch and up > touch:
            problems.append(f"{name_a} overlaps {name_b}")
    return problems
