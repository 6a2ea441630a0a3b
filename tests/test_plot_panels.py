"""The small-multiples helpers of analysis.publish.plots: one panel per key, gaps for years
without data, a share line with its interval band."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from analysis.publish import plots

YEARS = [2015, 2016, 2017, 2018]
TABLE = pd.DataFrame({
    "code": ["A", "A", "A", "B"], "year": [2015, 2016, 2018, 2016],
    "x_share": [0.2, 0.4, 0.5, 0.9], "x_lower": [0.1, 0.3, 0.4, 0.8],
    "x_upper": [0.3, 0.5, 0.6, 1.0],
})  # fmt: skip


def test_rows_of_one_key_leave_a_gap_for_a_year_without_data():
    rows = plots.rows_of(TABLE, "code", "A", YEARS)
    assert rows.index.tolist() == YEARS
    assert rows["x_share"].tolist()[:2] == [0.2, 0.4] and np.isnan(rows.loc[2017, "x_share"])
    assert rows["x_share"].notna().sum() == 3


def test_share_band_draws_the_line_and_its_interval():
    fig, ax = plt.subplots()
    plots.share_band(ax, plots.rows_of(TABLE, "code", "A", YEARS), "x", color="red", label="x")
    line = ax.lines[0]
    assert line.get_label() == "x" and list(line.get_xdata()) == YEARS
    # The band has a gap at 2017: 2015-2016 spans 0.1 to 0.5, 2018 alone 0.4 to 0.6.
    first, last = (p.vertices for p in ax.collections[0].get_paths())
    assert (first[:, 1].min(), first[:, 1].max()) == (0.1, 0.5)
    assert set(last[:, 0]) == {2018} and (last[:, 1].min(), last[:, 1].max()) == (0.4, 0.6)
    plt.close(fig)


def test_small_multiples_give_each_key_a_titled_panel_and_hide_the_rest():
    drawn = []

    def draw(ax, key):
        drawn.append(key)
        rows = plots.rows_of(TABLE, "code", key, YEARS)
        ax.plot(rows.index, rows["x_share"], label="share")

    panels = {"A": "Alpha", "B": "Beta", "C": "Gamma", "D": "Delta", "E": "Epsilon"}
    fig = plots.small_multiples(panels, draw, title="T", xlabel="year", ylabel="share",
                                source="Source: test", sharey=True)  # fmt: skip
    assert drawn == list(panels)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(fig.axes) == 8 and len(visible) == 5  # two rows of four
    assert [ax.get_title(loc="left") for ax in visible] == list(panels.values())
    assert visible[0].get_legend() is not None and visible[1].get_legend() is None
    assert visible[0].get_shared_y_axes().joined(visible[0], visible[4])
    assert fig._suptitle.get_text() == "T"
    plt.close(fig)
