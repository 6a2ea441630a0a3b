"""What the hidden-population report says about its estimates: sentences, tables, records."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import mse
from analysis.publish import mse_views as views


@pytest.fixture(scope="module")
def korea() -> mse.Estimate:
    """Korea, stepwise: 268.78 with the L1×L2 interaction (Chan, Silverman and Vincent 2021)."""
    return mse.estimate_population(mse.read_table("Korea"), progress=False)


def test_the_interval_names_its_kind_and_replicates_and_is_empty_without_one(korea):
    assert views.interval(korea) == ""  # no replicates drawn
    est = mse.estimate_population(mse.read_table("Artificial_3"), pthresh=0.2, progress=False)
    assert est.neginf == ("A×C", "B×C")  # pairs of lists with no common case
    boot = mse.estimate_population(mse.read_table("Korea"), nboot=30, seed=11, progress=False)
    lo, hi = boot.ci
    assert views.interval(boot) == f" (95% interval {lo:,.0f} to {hi:,.0f})"
    assert views.interval(boot, "BCa ", True) == (
        f" (95% BCa interval {lo:,.0f} to {hi:,.0f}, from 30 bootstrap replicates)"
    )
    fig = views.plot_bootstrap(boot, "Korea", "Source: test.")
    assert fig.axes[0].get_title(loc="left") == (
        "Korea: bootstrap estimates of the total (30 replicates)"
    )


def test_sensitivity_labels_and_view():
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
    assert shown.caption == "Stepwise (p < 0.02) estimates; no intervals"
    boot = mse.estimate_population(mse.read_table("Korea"), nboot=30, seed=11, progress=False)
    with_ci, _ = mse.overview(["Korea"], known={"Korea": boot})
    shown = views.overview_table(with_ci, 0.02, 0.95, 100, {"Korea": boot, "UKdat_5": boot})
    lo, hi = boot.ci
    assert shown.shown()["95% interval"].tolist() == [f"{lo:,.0f}–{hi:,.0f}"]
    # a reused estimate is named only where the overview shows its table
    assert shown.caption.endswith("from 100 replicates (30 replicates for Korea)")


def test_the_overlaps_and_the_stepwise_path(korea):
    uk = mse.read_table("UKdat_5")
    sizes = views.overlaps_view(mse.overlaps(uk), "UKdat_5").shown()
    assert sizes.columns[0] == "list" and sizes["list"].tolist() == list(uk.lists)
    moves = views.moves_view(korea).shown()
    assert moves["interaction added"].tolist() == ["L1×L2", "none: stop"]
    assert moves["step"].tolist() == ["1", "2"]
    assert moves["estimate after"].tolist()[-1] == "269"


def test_the_uk_spread_is_fragile():
    uk = mse.read_table("UKdat_5")
    est = mse.estimate_population(uk, progress=False)
    spread = mse.spread(uk, {"stepwise p = 0.02": est.estimate})
    assert spread["flagged"]  # BIC 22,991 against stepwise 11,313
    assert spread["high"] == pytest.approx(22_991, abs=1)


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


@pytest.mark.realdata
@pytest.mark.slow
def test_the_notebook_on_a_steady_table_without_the_uk_in_its_overview(tmp_path):
    """Artificial_3 (model choices agree: one figure, not a range) with a short bootstrap, and an
    overview of Korea alone without intervals, so the UK paragraph computes its own range."""
    from executed_notebook import execute

    from analysis import enforcement as en
    from analysis.data import mse_tables

    params = {"dataset": "Artificial_3", "nboot": 200, "nboot_all": 0, "tables": ["Korea"]}
    run = execute("60_hidden_population", "60_hidden_population", params, tmp_path)
    results, said = run.results, run.said

    # The headline: one figure with its BCa interval (the model choices agree).
    table = mse.read_table("Artificial_3")
    point = mse.estimate_population(table, progress=False)  # no replicates: the same estimate
    assert not mse.spread(table)["flagged"] and not results["headline_spread"]["fragile"]
    est = results["headline_estimate"]
    assert (est["observed"], est["estimate"], est["nboot"]) == (
        table.observed, round(point.estimate, 2), 200)  # fmt: skip
    low, high = est["ci"]
    assert low < est["estimate"] < high
    seen, total = table.observed, est["estimate"]
    title = views.table_title("Artificial_3")
    assert results["headline"] == [
        f"{title}: the lists saw {seen:,} cases; multiple systems estimation puts the total at "
        f"{total:,.0f} (95% interval {low:,.0f} to {high:,.0f})."
    ]
    findings = said("display(Markdown(headline_text))")
    assert findings.startswith(
        f"The lists saw **{seen:,}** cases. The estimated total is **{total:,.0f}** (95% BCa "
        f"interval {low:,.0f} to {high:,.0f}, from 200 bootstrap replicates), so about "
        f"**{total - seen:,.0f}** were seen by none of the lists: the lists found "
        f"**{seen / total:.0%}** of the estimated total (between {seen / high:.0%} and "
        f"{seen / low:.0%})."
    )
    assert "Fragile" not in findings and "no interval" not in findings
    # The overview holds Korea alone, drawn without replicates: no interval.
    korea = results["tables"]["Korea"]
    assert list(results["tables"]) == ["Korea"] and korea["ci"] is None and korea["nboot"] == 0
    # The UK paragraph: the UK 2013 range from its own spread, against GLOTIP's detections.
    uk = mse.spread(mse.read_table("UKdat_5"))
    assert uk["flagged"]
    glotip = en.load_glotip("2025")
    gbr = glotip[(glotip["iso3"] == "GBR") & (glotip["indicator"] == en.INDICATORS["victims"])
                 & (glotip["dimension"] == "Total") & (glotip["sex"] == "Total")
                 & (glotip["age"] == "Total")].set_index("year")["value"]  # fmt: skip
    detected, later = int(gbr[2013]), gbr[gbr.index > 2013]
    peak_year, peak = int(later.idxmax()), int(later.max())
    assert results["uk_glotip_detected_2013"]["upper"] == detected
    recorded = results["uk_glotip_detected_peak"]
    assert (recorded["year"], recorded["upper"]) == (peak_year, peak)
    assert uk["low"] <= peak <= uk["high"]  # so the later peak lies within the 2013 range
    paragraph = said("**UK 2013.**")
    assert (
        f"count **{detected:,}** detected trafficking victims in the UK in 2013. The lists of "
        f"the 2013 strategic assessment held **{mse.read_table('UKdat_5').observed:,}** "
        "potential victims"
    ) in paragraph
    assert (
        f"MSE puts the 2013 total between **{uk['low']:,.0f}** and **{uk['high']:,.0f}**, "
        f"depending on the model ({views.FRAGILE}): about {uk['low'] / detected:.0f} to "
        f"{uk['high'] / detected:.0f} times the GLOTIP detections. The published estimate is "
        f"{mse_tables.TABLES['UKdat_5'].published_note}. Detections then grew to **{peak:,}** in "
        f"{peak_year}, within the range of the 2013 estimates; MSE cannot say"
    ) in paragraph
    # The "1.25 million": Korea, the one steady trafficking table, gives the largest estimate.
    claim = said('The "1.25 million"')
    assert (
        "Where the model choices agree within a factor of 2, the estimates here reach at most "
        f"about {korea['estimate']:,.0f} people in one country and period, and the lists saw "
        f"{korea['observed'] / korea['estimate']:.0%} of the estimated total."
    ) in claim  # one table: one share, not a range from a share to itself
    assert "marked fragile" not in claim
    overview = said("views.overview_table(", "text/html")
    assert "estimates; no intervals" in overview and "replicates" not in overview
