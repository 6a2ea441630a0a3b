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


def test_cell_text_marks_small_and_secondary_cells_differently():
    counts = pd.Series([0, 4, 25, 40, None], dtype="Int64")
    hidden = pd.Series([False, True, True, False, False])
    assert disclosure.cell_text(counts, hidden, 10).tolist() == ["0", "<10", "(s)", "40", ""]
    assert disclosure.cell_text(counts, None, 10).tolist() == ["0", "<10", "25", "40", ""]
    table = pd.DataFrame({"a": [3, 30, 31], "b": [50, 60, 70]})
    text = disclosure.suppress_table(table, 10, lines="columns")
    assert text["a"].tolist() == ["<10", "(s)", "31"]  # 30 hides with 3: the total gives it away
    assert text["b"].tolist() == ["50", "60", "70"]


def test_sentences_name_small_cells_in_words():
    assert disclosure.fewer_than(10) == "fewer than 10"
    assert [disclosure.count_words(n, 10) for n in (0, 9, 10, 12345)] == [
        "0", "fewer than 10", "10", "12,345"
    ]  # fmt: skip
    with pytest.raises(ValueError, match="at least 1"):
        disclosure.fewer_than(0)


def test_check_results_finds_every_small_count_and_every_leaking_hidden_record():
    tree = {
        "a": {"count": 3, "total": 40, "year": 5},
        "b": [{"records": 12}, {"explicit": np.int64(9)}],
        "c": {"count": None, "share": 0.2, "suppressed": True},
        "d": {"count": 0, "known": 10, "flag": True},
    }
    assert disclosure.check_results(tree, 10) == [
        "/a/count=3", "/b[1]/explicit=9", "/c/share=0.2"
    ]  # fmt: skip
    assert disclosure.check_results(tree, 3) == ["/c/share=0.2"]


def test_share_records_hide_whatever_would_reveal_a_small_cell():
    rest_small = disclosure.share_record(75, 80, 0.9375, 0.86, 0.97, threshold=10)
    assert rest_small["count"] is None and rest_small["share"] is None  # 80 - 75 = 5
    assert rest_small["total"] == 80 and rest_small["suppressed"]
    shown = disclosure.share_record(30, 80, 0.375, 0.27, 0.49, threshold=10)
    assert shown == {"count": 30, "total": 80, "suppressed": False, "share": 0.375,
                     "lower": 0.27, "upper": 0.49}  # fmt: skip
    assert disclosure.check_results({"x": rest_small, "y": shown}, 10) == []
    assert disclosure.share_text(None) == "suppressed"
    assert disclosure.share_text(0.764, 0.761, 0.766) == "76.4% (76.1–76.6)"
