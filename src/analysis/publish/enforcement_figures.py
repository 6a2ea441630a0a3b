"""The figures of the enforcement report, from the tables of `analysis.enforcement`."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from analysis import enforcement as en
from analysis.publish import plots
from analysis.publish.enforcement_views import TIP_ORDER


def coverage_figure(cover: pd.DataFrame, shown: Sequence[str], universe: int, scope: str,
                    source: str):  # fmt: skip
    """Countries reporting per year (left) and the share of the scope's population (right)."""
    fig, (left, right) = plots.figure(11, 4.2, ncols=2)
    for key, part in cover[cover["indicator"].isin(shown)].groupby("indicator"):
        left.plot(part["year"], part["n_reporting"], marker="o", ms=3, label=en.LABELS[key])
        right.plot(part["year"], part["population_share"] * 100, marker="o", ms=3,
                   label=en.LABELS[key])  # fmt: skip
    left.axhline(universe, color="#999999", lw=0.8, ls=":")
    left.legend(frameon=False, fontsize=9)
    right.set_ylim(0, 100)
    right.set_title("Share of the scope's population", loc="left", fontsize=11)
    right.set_xlabel("reference year")
    right.set_ylabel("population in reporting countries (%)")
    plots.finish(fig, left, title=f"Countries reporting to GLOTIP, {scope}",
                 xlabel="reference year", ylabel=f"countries reporting (of {universe})",
                 source=source)  # fmt: skip
    plots.integer_years(fig.axes)
    return fig


def trends_figure(sums: pd.DataFrame, panel_sums: pd.DataFrame, shown: Sequence[str],
                  window: Sequence[int], scope: str, source: str):  # fmt: skip
    """Per indicator: the sum over the reporting countries and, dashed, over a fixed set."""
    fig, axes = plots.figure(4 * len(shown), 4, ncols=len(shown), squeeze=False)
    for ax, key in zip(axes[0], shown, strict=True):
        part = sums[sums["indicator"] == key]
        plots.bounds_band(ax, part["year"], part["lower"], part["upper"], "all reporting countries")
        panel = panel_sums[panel_sums["indicator"] == key]
        if len(panel):
            label = f"same {int(panel['n_countries'].iloc[0])} countries, {window[0]}–{window[-1]}"
            ax.plot(panel["year"], panel["lower"].astype(float), ls="--", marker="s", ms=3,
                    label=label)  # fmt: skip
        ax.set_title(en.LABELS[key], loc="left", fontsize=11)
        ax.legend(frameon=False, fontsize=8)
    plots.finish_grid(fig, axes, title=f"Sums over the reporting countries, {scope}",
                      xlabel="reference year", ylabel="persons (count)", source=source)  # fmt: skip
    plots.integer_years(fig.axes)
    return fig


def bands_figure(parts, title: str, ylabel: str, source: str, bounds=None, colours=None):
    """One series per (label, rows) of `parts`: a line at the lower bound, a band to the upper."""
    lower, upper = bounds or ("lower", "upper")
    fig, ax = plots.figure(8, 4.2)
    for label, part in parts:
        colour = colours[label] if colours else None
        plots.bounds_band(ax, part["year"], part[lower], part[upper], label, color=colour)
    ax.legend(frameon=False, fontsize=9)
    plots.finish(fig, ax, title=title, xlabel="reference year", ylabel=ylabel, source=source)
    plots.integer_years(fig.axes)
    return fig


def tip_figure(tip: pd.DataFrame, source: str):
    """The US TIP global figures against the GLOTIP world sums, one panel per measure."""
    fig, axes = plots.figure(12, 4.2, ncols=3, squeeze=False)
    for ax, measure in zip(axes[0], TIP_ORDER, strict=True):
        part = tip[tip["measure"] == measure]
        ax.plot(part["year"], part["tip"].astype(float), marker="o", ms=3, label="US TIP (global)")
        plots.bounds_band(ax, part["year"], part["glotip_lower"], part["glotip_upper"],
                          "GLOTIP (sum of reporting countries)", marker="s")  # fmt: skip
        ax.set_title(measure.replace("_", " "), loc="left", fontsize=11)
    axes[0][0].legend(frameon=False, fontsize=8)
    plots.finish_grid(fig, axes, title="US TIP global figures against GLOTIP world sums",
                      xlabel="year", ylabel="count (persons or cases)", source=source)  # fmt: skip
    plots.integer_years(fig.axes)
    return fig
