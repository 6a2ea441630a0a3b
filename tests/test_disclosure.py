"""Suppression and proportions against known values."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint

from analysis import proportions
from analysis.publish import disclosure


def test_suppress_shows_small_cells_as_below_threshold():
    counts = pd.Series([0, 1, 9, 10, 1234, None], dtype="Int64")
    assert disclosure.suppress(counts, 10).tolist() == ["0", "<10", "<10", "10", "1,234", ""]
    frame = pd.DataFrame({"a": [3, 30], "b": [0, 5]})
    assert disclosure.suppress(frame, 5).to_dict("list") == {"a": ["<5", "30"], "b": ["0", "5"]}


def test_mask_small_never_leaves_a_small_value_to_plot():
    masked = disclosure.mask_small(pd.Series([0, 4, 5, 50]), 5)
    assert masked.isna().tolist() == [False, True, False, False]


@given(st.lists(st.integers(min_value=0, max_value=200), min_size=1), st.integers(1, 30))
def test_no_small_cell_leaks(counts, threshold):
    counts = pd.Series(counts)
    shown = disclosure.suppress(counts, threshold)
    plotted = disclosure.mask_small(counts, threshold)
    small = (counts > 0) & (counts < threshold)
    assert (shown[small] == f"<{threshold}").all()
    assert plotted[small].isna().all()
    assert (plotted[~small] == counts[~small]).all()


def test_bad_threshold_is_refused():
    with pytest.raises(ValueError, match="at least 1"):
        disclosure.suppress(pd.Series([1]), 0)


def test_wilson_interval_matches_statsmodels():
    table = proportions.proportion_ci([7, 50, 0], [20, 50, 10], confidence=0.9)
    for row, (k, n) in zip(table.itertuples(), [(7, 20), (50, 50), (0, 10)], strict=True):
        low, high = proportion_confint(k, n, alpha=0.1, method="wilson")
        assert (row.lower, row.upper) == pytest.approx((low, high))
        assert row.share == pytest.approx(k / n)
    # A known value: 7 of 20 at 95% gives 0.1812 to 0.5671 (Wilson).
    one = proportions.proportion_ci([7], [20]).iloc[0]
    assert (one.lower, one.upper) == pytest.approx((0.18118, 0.56709), abs=1e-4)


def test_proportion_ci_refuses_impossible_counts_and_handles_empty_totals():
    with pytest.raises(ValueError, match="rows \\[1\\]"):
        proportions.proportion_ci([1, 5], [2, 4])
    empty = proportions.proportion_ci([0], [0]).iloc[0]
    assert np.isnan(empty.share) and np.isnan(empty.lower)


def test_shares_that_would_reveal_a_small_cell_are_suppressed():
    table = disclosure.suppressed_shares([3, 497, 250], [500, 500, 500], threshold=10)
    assert table["suppressed"].tolist() == [True, True, False]
    assert table["share"].isna().tolist() == [True, True, False]


def test_figures_need_labels_and_a_source():
    from analysis.publish import plots

    fig, ax = plots.figure()
    with pytest.raises(ValueError, match="title, both axis labels and a source"):
        plots.finish(fig, ax, title="t", xlabel="year", ylabel="", source="s")
    line = plots.source_line("glotip_2025")
    assert line.startswith("Source: United Nations Office on Drugs and Crime (UNODC), UNODC GLOTIP")
    plots.finish(fig, ax, title="t", xlabel="year", ylabel="victims (count)", source=line)
    assert any(t.get_text() == line for t in fig.texts)


def test_misaligned_series_are_refused_not_silently_reindexed():
    with pytest.raises(ValueError, match="same index"):
        proportions.proportion_ci(pd.Series([1, 2], index=[0, 1]), pd.Series([5, 5], index=[1, 2]))


def test_results_json_has_no_nan():
    import json

    from analysis.data import files

    text = files.to_json({"share": float("nan"), "cells": [np.float64("inf"), 1.5]})
    assert json.loads(text) == {"share": None, "cells": [None, 1.5]}
