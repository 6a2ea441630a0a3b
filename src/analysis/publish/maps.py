"""Choropleth maps from the Natural Earth 1:110m polygons, one fixed set of classes for every
map. Small cells are never coloured by value: they fall in one grey, hatched "fewer than N" class.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path as MplPath

from analysis.data import shapes as base_map
from analysis.data import sources
from analysis.publish import disclosure, plots

WORLD_EXTENT = (-180.0, 180.0, -58.0, 84.0)  # lon_min, lon_max, lat_min, lat_max (no Antarctica)
NO_DATA_COLOUR = "#f2f2f2"
SMALL_COLOUR = "#bdbdbd"
HOME_EDGE = "#222222"
CMAP = "YlOrRd"
CLASS_BOUNDS = (10, 25, 50, 250, 1000)  # lower bounds of the classes above the threshold
LEGEND_INCHES = 2.3  # the legend's column right of the map
WIDE_DEGREES = 45.0  # a country wider than this does not set an automatic map window


@dataclass
class MapInfo:
    breaks: list[float]
    classes: dict[str, str]  # ISO3 -> class label, for every country with a value
    not_drawn: list[str] = field(default_factory=list)  # codes with a value but no polygon
    extent: tuple[float, float, float, float] = WORLD_EXTENT


def country_path(shape: base_map.Shape) -> MplPath:
    """One path: exteriors counter-clockwise, holes clockwise (nonzero fill rule)."""
    vertices, codes = [], []
    for rings in shape.polygons:
        for i, ring in enumerate(rings):
            ccw = base_map.signed_area(ring) > 0
            if ccw != (i == 0):  # exterior must be CCW, holes CW
                ring = ring[::-1]
            vertices.append(ring)
            codes.append(
                [MplPath.MOVETO] + [MplPath.LINETO] * (len(ring) - 2) + [MplPath.CLOSEPOLY]
            )
    return MplPath(np.concatenate(vertices), np.concatenate(codes))


def in_window(path: MplPath, window: tuple[float, ...], margin: float = 1.0) -> bool:
    box = path.get_extents()
    return not (
        box.x1 < window[0] - margin
        or box.x0 > window[1] + margin
        or box.y1 < window[2] - margin
        or box.y0 > window[3] + margin
    )


def breaks(threshold: int) -> list[float]:
    """The class lower bounds of every map: the threshold, then the fixed ones above it."""
    return [float(threshold), *(float(b) for b in CLASS_BOUNDS if b > threshold)]


def class_colours(bounds: list[float]) -> dict[str, tuple]:
    cmap = plt.get_cmap(CMAP)
    shades = np.linspace(0.15, 0.95, len(bounds))
    return {label: cmap(x) for label, x in zip(class_labels(bounds), shades, strict=True)}


def class_labels(bounds: list[float]) -> list[str]:
    """'10–24', '25–99', ..., '1,000 or more' for integer counts."""
    lows = [int(np.ceil(b)) for b in bounds]
    labels = [
        f"{low:,}–{high - 1:,}" if high - 1 > low else f"{low:,}"
        for low, high in zip(lows, lows[1:], strict=False)
    ]
    return [*labels, f"{lows[-1]:,} or more"]


def classify(values: pd.Series, threshold: int, bounds: list[float]) -> pd.Series:
    """'fewer than N' for a small cell, else its class; zeros drop out."""
    values = values[values.fillna(0) > 0]
    small = disclosure.is_small(values, threshold)
    labels = class_labels(bounds)
    out = pd.Series(disclosure.fewer_than(threshold), index=values.index, dtype="string")
    position = np.searchsorted(np.asarray(bounds), values.to_numpy(dtype=float), "right") - 1
    big = ~small.to_numpy()
    out[big] = [labels[i] for i in position[big]]
    return out


def extent_for(codes: list[str], shapes: dict[str, base_map.Shape], pad: float = 12.0):
    """A lon/lat window around the countries; very wide ones (Russia) do not set it when
    smaller ones are present."""
    present = [c for c in codes if c in shapes]
    compact = [c for c in present if np.ptp(shapes[c].largest()[0][:, 0]) <= WIDE_DEGREES]
    points = [shapes[c].centroid() for c in (compact or present)]
    if not points:
        return WORLD_EXTENT
    lon, lat = np.array(points).T
    lon_min, lon_max = lon.min() - pad, lon.max() + pad
    lat_min, lat_max = lat.min() - pad, lat.max() + pad
    if lon_max - lon_min < 50:  # at least a region's width, centred
        mid = (lon_max + lon_min) / 2
        lon_min, lon_max = mid - 25, mid + 25
    if lat_max - lat_min < 30:
        mid = (lat_max + lat_min) / 2
        lat_min, lat_max = mid - 15, mid + 15
    w = WORLD_EXTENT
    return (max(lon_min, w[0]), min(lon_max, w[1]), max(lat_min, w[2]), min(lat_max, w[3]))


def choropleth(
    values: pd.Series,
    threshold: int,
    *,
    title: str,
    units: str,
    source: str,
    home: str | None = None,
    home_label: str | None = None,
    extent: str | tuple[float, float, float, float] = "world",
):
    """A choropleth of counts per ISO3 code and its `MapInfo`; `home` is outlined, not coloured;
    `extent`: "world", "auto" or (lon_min, lon_max, lat_min, lat_max)."""
    shapes = base_map.load_shapes()
    width = 10
    values = pd.Series(values, dtype="Float64").dropna()
    values = values[values > 0].sort_index()
    bounds = breaks(threshold)
    classes = classify(values, threshold, bounds)
    colour = class_colours(bounds)
    small_label = disclosure.fewer_than(threshold)

    if extent == "world":
        window = WORLD_EXTENT
    elif extent == "auto":
        window = extent_for([*classes.index, *([home] if home else [])], shapes)
    else:
        window = tuple(float(x) for x in extent)
    mid_lat = np.radians((window[2] + window[3]) / 2)
    aspect = 1 / max(np.cos(mid_lat), 0.3)
    shape_ratio = (window[3] - window[2]) / (window[1] - window[0]) * aspect  # height / width
    height = min(max((width - 1.5 - LEGEND_INCHES) * shape_ratio + 1.2, 4.0), 7.5)
    width = min(width, max((height - 1.2) / shape_ratio + 1.5 + LEGEND_INCHES, 8.0))
    fig, ax = plots.figure(width, height)

    for code in sorted(shapes):
        path = country_path(shapes[code])
        if not in_window(path, window):
            continue
        label = classes.get(code)
        face = NO_DATA_COLOUR if label is None else colour.get(label, SMALL_COLOUR)
        patch = PathPatch(
            path,
            facecolor=face,
            edgecolor=HOME_EDGE if code == home else "#ffffff",
            linewidth=1.6 if code == home else 0.4,
            hatch="////" if label == small_label else None,
            zorder=3 if code == home else 2,
        )
        ax.add_artist(patch)  # not add_patch: the limits are set below, not from the data
    ax.set_xlim(window[0], window[1])
    ax.set_ylim(window[2], window[3])
    ax.set_aspect(aspect)
    ax.grid(False)

    handles = [Patch(facecolor=SMALL_COLOUR, hatch="////", edgecolor="#777777",
                     label=f"{small_label} (suppressed)")]  # fmt: skip
    handles += [Patch(facecolor=c, edgecolor="#999999", label=label) for label, c in colour.items()]
    handles.append(Patch(facecolor=NO_DATA_COLOUR, edgecolor="#999999", label="no records"))
    if home:
        handles.append(Patch(facecolor="none", edgecolor=HOME_EDGE, linewidth=1.6,
                             label=textwrap.fill(f"{home_label or home} (outlined, not "
                                                 "coloured)", 24)))  # fmt: skip
    ax.legend(handles=handles, title=units, loc="upper left", bbox_to_anchor=(1.01, 1.0),
              fontsize=9, title_fontsize=9, frameon=False, borderaxespad=0.0)  # fmt: skip
    not_drawn = sorted(c for c in classes.index if c not in shapes)
    entry = sources.registry()[base_map.SOURCE]
    credit = f"Map: {entry.publisher} 1:110m Admin 0 countries, {entry.vintage}"
    source = plots.with_note(source, credit)
    plots.finish(fig, ax, title=title, xlabel="longitude (degrees east)",
                 ylabel="latitude (degrees north)", source=source)  # fmt: skip
    info = MapInfo(bounds, {k: str(v) for k, v in classes.items()}, not_drawn, window)
    return fig, info
