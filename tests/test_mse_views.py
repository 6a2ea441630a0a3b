"""What the hidden-population report says about its estimates: sentences, tables, records."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import enforcement as en
from analysis import mse
from analysis.publish import mse_views as views


@pytest.fixture(scope="module")
def korea() -> mse.Estimate:
    """Korea, stepwise: 268.78 with the L1×L2 interaction (Chan, Silverman and Vincent 2021)."""
    return mse.estimate_population(mse.read_table("Korea"), progress=False)


def test_headline_names_the_totals_the_model_and_that_there_is_no_interval(korea):
    text = views.headline_text(korea)
    assert text.startswith("The lists saw **123** cases. The estimated total is **269** (no ")
    assert "about **146** were seen by none of the lists" in text  # 268.78 - 123
    assert "the lists found **46%** of the estimated total." in text  # 123 / 268.78
    assert text.endswith("Model (stepwise, p < 0.02): main effects of every list plus the "
                         "interactions **L1×L2**.")  # fmt: skip


def test_headline_with_an_interval_and_interactions_at_minus_infinity():
    est = mse.estimate_population(mse.read_table("Artificial_3"), pthresh=0.2, progress=False)
    assert views.headline_text(est).endswith("(pairs of lists with no common case): A×C, B×C.")
    boot = mse.estimate_population(mse.read_table("Korea"), nboot=30, seed=11, progress=False)
    lo, hi = boot.ci
    assert f"(95% BCa interval {lo:,.0f} to {hi:,.0f}, from 30 bootstrap replicates)" in (
        views.headline_text(boot)
    )
    assert f"(between {123 / hi:.0%} and {123 / lo:.0%})" in views.headline_text(boot)
    fig = views.plot_bootstrap(boot, "Korea", "Source: test.")
    assert fig.axes[0].get_title(loc="left") == (
        "Korea: bootstrap estimates of the total (30 replicates)"
    )


def test_sensitivity_labels_and_record():
    sens = pd.DataFrame(
        {
            "method": ["stepwise", "stepwise", "bic"],
            "pthresh": pd.array([0.02, 0.1, None], dtype="Float64"),
            "estimate": [100.123, 120.0, 157.171],
            "model": ["a", "b", "c"],
        }
    )
    sens["label"] = views.sensitivity_labels(sens)
    assert sens["label"].tolist() == ["stepwise p < 0.02", "stepwise p < 0.1", "BIC"]
    assert views.sensitivity_record(sens) == {
        "stepwise p < 0.02": 100.12,
        "stepwise p < 0.1": 120.0,
        "BIC": 157.17,
    }
    shown = views.sensitivity_view(sens, "Korea").shown()
    assert list(shown.columns) == ["model choice", "estimate", "interactions"]


def test_overview_record_and_table(korea):
    overview, estimates = mse.overview(["Korea", "UKdat"], known={"Korea": korea})
    record = views.tables_record(overview, estimates)
    assert record["UKdat"]["bic_estimate"] is None  # six lists: no BIC
    assert record["Korea"]["bic_estimate"] == pytest.approx(157.17, abs=0.005)
    assert record["Korea"]["estimate"] == pytest.approx(268.78, abs=0.005)
    shown = views.overview_table(overview, 0.02, 0.95, 0, {})
    text = shown.shown()
    assert "95% interval" not in text.columns  # no replicates, no interval column
    assert text["table"].tolist() == ["Korea", "UK 2013, 6 lists (UKdat)"]
    assert text["estimate"].tolist()[0] == "269" and text["share seen"].tolist()[0] == "46%"
    assert text["BIC"].tolist() == ["157", "not computed"]  # six lists: no BIC
    assert text["stepwise p < 0.02"].tolist()[0] == "269"  # the stepwise estimate, reused
    korea_models = record["Korea"]["model_estimates"]
    assert set(korea_models) == set(mse.SPREAD_MODELS) and korea_models["BIC"] == 157.17
    assert record["UKdat"]["model_estimates"]["BIC"] is None
    assert record["Korea"]["spread_ratio"] == pytest.approx(
        max(korea_models.values()) / min(korea_models.values()), abs=0.01
    )
    assert shown.caption == "Stepwise (p < 0.02) estimates; 95% BCa intervals from 0 replicates"
    boot = mse.estimate_population(mse.read_table("Korea"), nboot=30, seed=11, progress=False)
    with_ci, _ = mse.overview(["Korea"], known={"Korea": boot})
    shown = views.overview_table(with_ci, 0.02, 0.95, 100, {"Korea": boot})
    lo, hi = boot.ci
    assert shown.shown()["95% interval"].tolist() == [f"{lo:,.0f}–{hi:,.0f}"]
    assert shown.caption.endswith("from 100 replicates (30 for Korea)")


def test_the_lists_are_named_in_words_where_the_documentation_names_them():
    uk = mse.read_table("UKdat_5")
    text = views.lists_text("UKdat_5", uk.lists)
    for code in uk.lists:
        assert f"**{code}**, " in text
    assert "police forces and the National Crime Agency" in text
    assert "MultipleSystemsEstimation" in text
    assert "does not say" in views.lists_text("Korea", mse.read_table("Korea").lists)
    sizes = views.overlaps_view(mse.overlaps(uk), "UKdat_5").shown()
    assert sizes.columns[0] == "list" and sizes["list"].tolist() == list(uk.lists)


def test_the_stepwise_path_and_the_headline_sentence(korea):
    moves = views.moves_view(korea).shown()
    assert moves["interaction added"].tolist()[-1] == "none: stop"
    assert moves["estimate after"].tolist()[-1] == "269"
    assert views.headline_sentence(korea, "Korea") == (
        "Korea: the lists saw 123 cases; multiple systems estimation puts the total at 269."
    )


def test_uk_text_sets_the_estimate_against_the_detections(korea):
    overview = pd.DataFrame({"table": ["a", "b", "c", "d"],
                             "trafficking": [True, True, False, True],
                             "estimate": [500.0, 12_000, 9e5, 80_000],
                             "seen share": [0.4, 0.25, 0.01, 0.1],
                             "spread low": [450.0, 11_000, 9e5, 40_000],
                             "spread high": [600.0, 13_000, 9e5, 150_000],
                             "fragile": [False, False, False, True]})  # fmt: skip
    steady = {"low": 200.0, "high": 300.0, "flagged": False}
    uk = {"vintage": "2025", "lower": 1_000, "upper": 1_004, "later_peak": None}
    text = views.uk_text(uk, korea, steady)
    assert f"count **1,000–1,004** {en.INDICATORS['victims'].lower()} in the UK in 2013" in text
    assert "GLOTIP has no later UK figure in this export; " in text
    assert "MSE puts the 2013 total at **269**" in text
    assert "The published estimate is 10,000–13,000 potential victims in 2013 (Home Office" in text
    # neither the benchmark table nor the fragile one gives the largest figure or the shares
    reach = views.reach_text(overview)
    assert "reach at most about 12,000 people" in reach
    assert "the lists saw between 25% and 40% of the estimated total." in reach
    assert "their estimates range over d 40,000–150,000." in reach
    peak = {"year": 2020, "lower": 300, "upper": 300}
    text = views.uk_text(dict(uk, later_peak=peak), korea, steady)
    assert "grew to **300** in 2020, above the 2013 estimate; " in text  # 300 > 268.78


def test_a_fragile_uk_estimate_is_given_as_its_range(korea):
    fragile = {"low": 11_313.0, "high": 22_991.0, "flagged": True}
    peak = {"year": 2020, "lower": 16_000, "upper": 16_000}
    uk = {"vintage": "2025", "lower": 1_000, "upper": 1_004, "later_peak": peak}
    text = views.uk_text(uk, korea, fragile)
    assert "between **11,313** and **22,991**, depending on the model (fragile: the models " in text
    assert "about 11 to 23 times the GLOTIP detections" in text  # 11,313 / 1,004; 22,991 / 1,004
    assert "**269**" not in text  # no single figure of a fragile table
    assert "grew to **16,000** in 2020, within the range of the 2013 estimates; " in text


def test_a_fragile_headline_gives_the_range_and_no_single_figure():
    uk = mse.read_table("UKdat_5")
    est = mse.estimate_population(uk, progress=False)
    spread = mse.spread(uk, {"stepwise p = 0.02": est.estimate})
    assert spread["flagged"]  # BIC 22,991 against stepwise 11,313
    low, high = spread["low"], spread["high"]
    text = views.headline_text(est, spread)
    assert "**Fragile estimate:**" in text and "differ by more than a factor of 2" in text
    assert text.startswith("- The lists saw **2,744** cases.\n- ") and text.count("\n- ") == 2
    assert all(len(line) <= 260 for line in text.splitlines())  # two lines of a page at most
    assert "stepwise" not in text and "BIC" not in text  # the choices are named below
    assert f"between **{low:,.0f}** and **{high:,.0f}**" in text
    assert f"between **{2_744 / high:.0%}** and **{2_744 / low:.0%}** of it" in text
    assert "The estimated total is" not in text and "Model (stepwise" not in text
    sentence = views.headline_sentence(est, "UKdat_5", spread)
    assert sentence.endswith(f"puts the total between {low:,.0f} and {high:,.0f} (fragile: the "
                             "models differ by more than a factor of 2).")  # fmt: skip
    assert f"the estimate is {est.estimate:,.0f}" in views.chosen_model_text(est)
    record = views.spread_record(spread)
    assert record["fragile"] and record["low"] == pytest.approx(low, abs=0.005)


def test_the_spread_agrees_with_the_sensitivity_estimates(korea):
    sens = mse.sensitivity(mse.read_table("Korea"))
    spread = mse.spread(mse.read_table("Korea"))
    names = ["stepwise p = 0.001", "stepwise p = 0.02", "stepwise p = 0.05", "BIC"]
    assert set(spread["estimates"]) == {*names, "main effects only"}
    assert spread["estimates"]["BIC"] == pytest.approx(157.17, abs=0.005)
    by_label = dict(zip(views.sensitivity_labels(sens), sens["estimate"], strict=True))
    for p in mse.SPREAD_PTHRESHOLDS:
        assert spread["estimates"][f"stepwise p = {p:g}"] == by_label[f"stepwise p < {p:g}"]
    assert not spread["flagged"]  # 142-269: within a factor of 2
    assert views.headline_text(korea, spread) == views.headline_text(korea)


def test_the_overview_flags_the_netherlands_and_sets_the_published_estimates_beside():
    overview, estimates = mse.overview(["Korea", "Ned", "UKdat"])
    shown = views.overview_table(overview, 0.02, 0.95, 0, {}).shown().set_index("table")
    flag = "fragile: the models differ by more than a factor of 2"
    column = shown["model check"]
    assert column["Netherlands, 6 lists (Ned)"] == flag
    assert column["Korea"] == "–" and column["UK 2013, 6 lists (UKdat)"] == "–"
    rows = overview.set_index("table")
    lo, hi = rows.loc["Ned", "spread low"], rows.loc["Ned", "spread high"]
    assert hi > 2 * lo
    ned_row = shown.loc["Netherlands, 6 lists (Ned)"]
    assert ned_row["highest / lowest"] == f"{hi / lo:.2f}" and hi / lo > 2
    models = [rows.loc["Ned", m] for m in mse.SPREAD_MODELS if m != "BIC"]
    assert [ned_row[views.MODEL_LABELS[m]] for m in mse.SPREAD_MODELS] == [
        *(f"{v:,.0f}" for v in models[:3]),
        "not computed",
        f"{models[3]:,.0f}",
    ]  # six lists: no BIC, said so and why
    note = views.overview_table(overview, 0.02, 0.95, 0, {}).note
    assert "BIC is not computed for tables of more than 5 lists" in note and "32,768" in note
    assert min(models) == lo and max(models) == hi
    published = views.published_view(overview).shown().set_index("table")
    assert list(published.index) == ["Netherlands, 6 lists (Ned)", "UK 2013, 6 lists (UKdat)"]
    uk = published.loc["UK 2013, 6 lists (UKdat)"]
    assert uk["published estimate"].startswith("10,000–13,000 potential victims in 2013 (Home")
    assert uk["registration years in one table"] == "–"
    ned = published.loc["Netherlands, 6 lists (Ned)"]
    assert "Dutch National Rapporteur" in ned["published estimate"]
    assert ned["registration years in one table"] == "2010–2015"
    pooled = views.pooled_names(overview)
    assert pooled == "Netherlands, 6 lists (Ned): the registrations of 2010–2015"
    assert views.pooled_names(overview[overview["table"] == "Korea"]) == ""
    record = views.tables_record(overview, estimates)
    assert record["Ned"]["fragile"] and not record["Korea"]["fragile"]
    assert record["Ned"]["pooled_years"] == "2010–2015" and record["Korea"]["pooled_years"] is None
    assert record["UKdat"]["published"] == [10_000, 13_000] and record["Korea"]["published"] is None


def test_sensitivity_plot_marks_each_model_choice(korea):
    sens = mse.sensitivity(mse.read_table("Korea"), pthresholds=(0.02,))
    sens["label"] = views.sensitivity_labels(sens)
    fig = views.plot_sensitivity(sens, korea, "Korea", "Source: test.")
    points = fig.axes[0].collections[0].get_offsets()
    np.testing.assert_allclose(points[:, 0], sens["estimate"])
