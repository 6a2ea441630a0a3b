"""Offline choropleths: holes, class breaks, small cells never coloured by value, same files."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from test_shapes import SQUARE, feature

from analysis.data import shapes
from analysis.publish import maps

HOLE = [[2, 2], [2, 4], [4, 4], [4, 2], [2, 2]]


def test_holes_are_left_unfilled():
    import matplotlib.pyplot as plt
    from matplotlib.patches import PathPatch

    # The hole is given with the exterior's winding: the path must reverse it.
    shape = shapes.parse({"features": [feature("AAA", [SQUARE, HOLE[::-1]])]})["AAA"]
    fig = plt.figure(figsize=(1, 1), dpi=100)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.add_patch(PathPatch(maps.country_path(shape), facecolor="black", edgecolor="none"))
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 10)
    ax.axis("off")
    fig.canvas.draw()
    pixels = np.asarray(fig.canvas.buffer_rgba())
    plt.close(fig)
    assert pixels[100 - 70, 70][:3].tolist() == [0, 0, 0]  # inside the country at (7, 7)
    assert pixels[100 - 30, 30][:3].tolist() == [255, 255, 255]  # in the hole at (3, 3)


def test_breaks_are_fixed_and_start_at_the_threshold():
    # the same classes for every map, whatever its values; the lowest starts at the threshold
    assert maps.breaks(10) == [10, 25, 50, 250, 1000]
    assert maps.breaks(5) == [5, 10, 25, 50, 250, 1000]
    assert maps.breaks(30) == [30, 50, 250, 1000]
    assert maps.class_labels([10, 25, 100]) == ["10–24", "25–99", "100 or more"]
    assert len(set(maps.class_colours(maps.breaks(10)).values())) == 5


def test_small_cells_fall_in_one_suppressed_class():
    values = pd.Series({"AAA": 3, "BBB": 9, "CCC": 10, "DDD": 30, "EEE": 0})
    classes = maps.classify(values, 10, maps.breaks(10))
    assert classes.to_dict() == {"AAA": "fewer than 10", "BBB": "fewer than 10",
                                 "CCC": "10–24", "DDD": "25–49"}  # fmt: skip


def test_choropleth_hides_small_cells_and_lists_countries_without_polygon():
    values = pd.Series({"RUS": 800, "POL": 23, "AUT": 4, "MLT": 3})
    fig, info = maps.choropleth(values, 10, title="t", units="victim records (count)",
                                source="Source: test", home="BLR", extent="auto")  # fmt: skip
    assert info.classes["AUT"] == "fewer than 10" and info.classes["MLT"] == "fewer than 10"
    assert info.not_drawn == ["MLT"]
    small_faces = {tuple(np.round(p.get_facecolor(), 3)) for p in fig.axes[0].patches
                   if p.get_hatch() == "////"}  # fmt: skip
    assert len(small_faces) == 1  # one grey for every small cell, whatever its count
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "fewer than 10 (suppressed)" in legend
    assert fig.axes[0].get_legend().get_title().get_text() == "victim records (count)"


DRAW_AND_SAVE = """
import sys
import pandas as pd
from analysis.publish import maps
from analysis.publish.report import Report
values = pd.Series({"RUS": 800, "POL": 23, "AUT": 4, "MLT": 3})
fig, _ = maps.choropleth(values, 10, title="t", units="victim records (count)",
                         source="Source: test", home="BLR", extent="auto")
Report("m", sys.argv[1]).figure(fig, "map")
"""


@pytest.mark.slow  # two interpreters, each importing matplotlib and geopandas
def test_two_runs_write_identical_map_files(tmp_path):
    """Deterministic files: two separate interpreters (own hash seeds, fresh matplotlib state)
    draw and save the same map, byte for byte."""
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", DRAW_AND_SAVE, str(tmp_path / name)],
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("a", "b")
    ]
    for run in runs:
        _, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
    for suffix in ("png", "svg"):
        a = (tmp_path / "a/figures/m" / f"map.{suffix}").read_bytes()
        assert len(a) > 1000
        assert a == (tmp_path / "b/figures/m" / f"map.{suffix}").read_bytes()


def test_countries_outside_the_window_are_not_drawn_and_those_across_its_edge_are():
    square = maps.MplPath([(0, 0), (10, 0), (10, 10), (0, 10), (0, 0)])
    assert maps.in_window(square, (5.0, 20.0, 5.0, 20.0))  # overlaps a corner
    assert maps.in_window(square, (10.5, 20.0, 0.0, 10.0))  # within the margin of the edge
    assert not maps.in_window(square, (12.0, 20.0, 0.0, 10.0))
    assert not maps.in_window(square, (0.0, 10.0, -30.0, -2.0))
