"""How enforcement figures are shown: bounds as text, the report's tables, sentences and results
records on hand-computed fixtures, and the bounds band of its figures."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from test_enforcement import POPULATION, cell, frame

from analysis import enforcement as en
from analysis.publish import bounded, plots
from analysis.publish import enforcement_views as ev


def test_bounds_text():
    assert bounded.bounds_text(1234, 1246) == "1,234–1,246"
    assert bounded.bounds_text(5, 5) == "5"
    assert bounded.bounds_text(0.123, 0.1249, 2) == "0.12"  # equal once rounded: one number
    assert bounded.bounds_text(12, pd.NA) == "≥12"
    assert bounded.bounds_text(pd.NA, 4) == ""


def test_format_bounds():
    got = bounded.format_bounds(pd.Series([1234, 5, None]), pd.Series([1246, 5, None]))
    assert got.tolist() == ["1,234–1,246", "5", ""]


def test_bounds_table_one_row_per_year_with_ranges_and_countries():
    sums = en.sum_bounds(
        frame([cell("AAA", 2020, "victims", 10), cell("BBB", 2020, "victims", None),
               cell("AAA", 2022, "victims", 1234), cell("AAA", 2022, "convicted", 3)]),
        ["indicator", "year"],
    )  # fmt: skip
    table = bounded.bounds_table(sums, "indicator", [2020, 2021, 2022], ["victims", "convicted"],
                            labels=en.LABELS, countries={"victims": "countries"})  # fmt: skip
    assert list(table.columns) == ["detected victims", "countries", "persons convicted"]
    assert table.index.tolist() == [2020, 2022]  # 2021 has no figure at all
    assert table.loc[2020].tolist() == ["11–14", "2", ""]
    assert table.loc[2022].tolist() == ["1,234", "1", "3"]
    kept = bounded.bounds_table(sums, "indicator", [2021], ["victims"], drop_empty=False)
    assert kept.loc[2021, "victims"] == ""
    with pytest.raises(ValueError, match=r"indicator 'victims' has more than one row for year"):
        bounded.bounds_table(pd.concat([sums, sums]), "indicator", [2020], ["victims"])


# AAA reports victims in 2020 and 2021, BBB a `<5` total in 2020 only; CCC never reports.
TOTALS = frame([cell("AAA", 2020, "victims", 30), cell("BBB", 2020, "victims", None),
                cell("AAA", 2021, "victims", 40), cell("AAA", 2021, "convicted", 6),
                cell("BBB", 2021, "convicted", 2)])  # fmt: skip


def test_coverage_table_counts_countries_and_their_share():
    cover = en.coverage(TOTALS, ["AAA", "BBB", "CCC"], [2020, 2021], POPULATION)
    table = cover.pivot(index="year", columns="indicator", values="n_reporting")
    assert table.loc[2020, ["victims", "convicted"]].tolist() == [2, 0]
    assert table.loc[2021, ["victims", "convicted"]].tolist() == [1, 2]
    assert cover["n_universe"].unique().tolist() == [3]
    latest = cover[cover["year"] == 2021].set_index("indicator")
    assert latest.at["victims", "population_share"] == pytest.approx(250 / 350)


def test_the_largest_contributor_and_its_share_of_the_sum():
    top = en.largest_contributor(TOTALS)
    # 2020: AAA's 30 of 31-34 is 88.2-96.8%; 2021: AAA's 6 of 8 convictions is 75%.
    shares = top.set_index(["indicator", "year"])[["iso3", "share_lower", "share_upper"]]
    assert shares.loc[("victims", 2020)].tolist() == ["AAA", 30 / 34 * 100, 30 / 31 * 100]
    assert shares.loc[("victims", 2021)].tolist() == ["AAA", 100, 100]
    assert shares.loc[("convicted", 2021)].tolist() == ["AAA", 75, 75]
    assert ("convicted", 2020) not in shares.index


def test_totals_and_rates_per_year():
    with_pop = en.attach_population(TOTALS[TOTALS["indicator"] == "victims"], POPULATION)
    sums = en.add_rates(en.sum_bounds(with_pop, ["indicator", "year"]))
    countries = {"victims": "countries"}
    totals = bounded.bounds_table(sums, "indicator", [2020, 2021], ["victims"], countries=countries)
    assert totals.loc[2020].tolist() == ["31–34", "2"]
    # 31-34 per 300,000 people: 10.33-11.33 per 100,000
    rate = ("rate_lower", "rate_upper")
    rates = bounded.bounds_table(sums, "indicator", [2020], ["victims"], None, rate, 2)
    assert rates.loc[2020].tolist() == ["10.33–11.33"]


def test_a_bounds_table_reads_with_years_as_a_column_and_dashes_for_no_figure():
    sums = en.sum_bounds(TOTALS[TOTALS["sex"] == "Total"], ["indicator", "year"])
    reporting = {k: f"countries reporting {en.LABELS[k]}" for k in en.LABELS}
    keys = ["victims", "convicted"]
    totals = bounded.bounds_table(
        sums, "indicator", [2020, 2021], keys, en.LABELS, countries=reporting
    )
    table = ev.view(totals, "Totals")
    shown = table.shown()
    assert shown.columns[0] == "year" and shown["year"].tolist() == ["2020", "2021"]
    assert "countries reporting detected victims" in shown.columns
    assert (shown == "").sum().sum() == 0 and tables_missing(shown) > 0
    assert "<td></td>" not in table.html() and "1,234–1,246" in table.html()


def tables_missing(shown: pd.DataFrame) -> int:
    return int((shown == "–").sum().sum())


def test_ratios_and_convictions_by_sex():
    totals = frame([cell("AAA", 2020, "convicted", 20), cell("AAA", 2020, "prosecuted", 40),
                    cell("AAA", 2020, "convicted", 5, "Female"),
                    cell("AAA", 2020, "convicted", 15, "Male")])  # fmt: skip
    ratio = en.ratios(totals)
    per_prosecution = ratio.set_index("ratio").loc["convictions per prosecution"]
    assert (per_prosecution["lower"], per_prosecution["upper"]) == (0.5, 0.5)
    by_sex = en.sum_bounds(totals[totals["sex"] != "Total"], ["sex", "year"])
    share = en.female_share(totals)
    table = ev.sex_table(by_sex, share, [2020, 2021])
    assert table.loc[2020].tolist() == ["5", "15", "25.0", "1"]
    assert table.index.tolist() == [2020]  # no figure by sex in 2021


def test_the_country_table_ranks_by_detected_victims():
    year = frame([cell("FRA", 2021, "victims", 40), cell("FRA", 2021, "convicted", 6),
                  cell("DEU", 2021, "victims", 90), cell("ITA", 2021, "convicted", 2)])  # fmt: skip
    population = POPULATION.assign(iso3=POPULATION["iso3"].map({"AAA": "FRA", "BBB": "DEU"}))
    population = pd.concat([population, population[population["iso3"] == "DEU"].assign(iso3="ITA")])
    country_year = en.add_rates(en.attach_population(year, population))
    table, sentence = ev.country_table(country_year, ["victims", "convicted"], 1, True, 2021)
    assert list(table.columns) == ["country", "detected victims", "persons convicted",
                                   "victims per 100,000", "convicted per 100,000"]  # fmt: skip
    assert table.index.tolist() == ["DEU"]  # the one row asked for: most detected victims
    assert table.loc["DEU"].tolist() == ["Germany", "90", "", "90.00", ""]
    assert sentence == "1 of the 2 countries reporting detected victims in 2021."
    table, _ = ev.country_table(country_year, ["victims", "convicted"], 5, True, 2021)
    assert table.loc["FRA"].tolist() == ["France", "40", "6", "16.00", "2.40"]


TIP = pd.DataFrame(
    {"measure": ["prosecutions", "prosecutions", "convictions"], "year": [2020, 2021, 2020],
     "tip": [100, 90, 40], "tip_report_edition": ["2021 TIP Report", "2022 TIP Report",
                                                  "2021 TIP Report"],
     "glotip_lower": [46.0, 120.0, 40.0], "glotip_upper": [49.0, 120.0, 40.0],
     "ratio_low": [100 / 49, 0.75, 1.0], "ratio_high": [100 / 46, 0.75, 1.0]}
)  # fmt: skip


def test_tip_against_glotip():
    table = ev.tip_table(TIP)
    assert list(table.columns) == [("prosecutions", "TIP"), ("prosecutions", "GLOTIP"),
                                   ("prosecutions", "ratio"), ("convictions", "TIP"),
                                   ("convictions", "GLOTIP"), ("convictions", "ratio")]  # fmt: skip
    assert table.loc[2020].tolist() == ["100", "46–49", "2.04–2.17", "40", "40", "1.00"]
    assert table.loc[2021, ("convictions", "TIP")] == ""
    top = pd.DataFrame({"indicator": ["prosecuted"], "year": [2021], "iso3": ["AAA"],
                        "share_lower": [83.4]})  # fmt: skip
    below = en.glotip_above_tip(TIP, top)
    assert below[["measure", "year", "iso3", "share_lower"]].values.tolist() == [
        ["prosecutions", 2021, "AAA", 83.4]
    ]


def test_eurostat_against_glotip():
    eu = pd.DataFrame(
        {"year": [2020, 2020, 2021], "measure": ["registered victims",
         "female share of registered victims (%)", "registered victims"],
         "eurostat": pd.array([7000.0, 63.27, pd.NA], "Float64"),
         "eurostat_release": ["Feb 2023", "Feb 2023", pd.NA],
         "eurostat_secondary": [False, True, pd.NA],
         "glotip_lower": pd.array([6000.0, 61.04, pd.NA], "Float64"),
         "glotip_upper": pd.array([6004.0, 62.5, pd.NA], "Float64"),
         "glotip_countries": pd.array([20, 18, 0], "Int64"),
         "gap_pct": pd.array([-14.2, -1.2, pd.NA], "Float64"),
         "gap_points": pd.array([pd.NA, -1.2 * 63.27 / 100, pd.NA], "Float64")}
    )  # fmt: skip
    table = ev.eu27_table(eu)
    assert len(table) == 2  # 2021 has a figure from neither source
    assert table["Eurostat"].tolist() == ["7,000", "63.3†"]
    assert table["GLOTIP"].tolist() == ["6,000–6,004", "61.0–62.5"]
    assert table["members reporting"].tolist() == ["20 of 27", "18 of 27"]
    # a count's gap in per cent of the Eurostat figure; a share's in points: -1.2% of 63.27
    assert table["gap"].tolist() == ["-14.2% of the Eurostat figure", "-0.8 points"]
    both = eu.iloc[:2]
    records = [ev.gap_record(r) for r in both.itertuples()]
    assert records == [{"gap_pct": -14.2, "gap_points": None},  # a count: no points
                       {"gap_pct": -1.2, "gap_points": round(-1.2 * 63.27 / 100, 2)}]  # fmt: skip
    totals = frame([cell("DEU", 2020, "victims", 100)])
    notes = ev.gap_notes(both.iloc[:1], totals)
    assert notes.startswith("**Largest discrepancies**, of counts and rates in per cent of the "
                            "Eurostat figure, of shares in points.\n\n"
                            "- **registered victims, 2020**: "
                            "Eurostat 7,000, GLOTIP 6,000–6,004 (gap -14.2% of the Eurostat "
                            "figure); members without a GLOTIP detected victims total: Austria, "
                            "Belgium, Bulgaria,")  # fmt: skip
    assert "Germany" not in notes
    assert ev.gap_notes(both.iloc[:0], totals) == "No year has both sources."
    assert "(gap -0.8 points); members without" in ev.gap_notes(both.iloc[1:], totals)


def test_a_gap_in_shares_reads_in_points_and_a_gap_in_counts_in_per_cent():
    # the example: Eurostat 63.0%, GLOTIP 70.2-70.3% is 7.2 points (11.4% relative)
    share = "female share of registered victims (%)"
    assert en.is_share_measure(share) and not en.is_share_measure("registered victims")
    gap = float(en.gap_percent([63.0], [70.2], [70.3]).iloc[0])
    points = float(en.gap_distance([63.0], [70.2], [70.3]).iloc[0])
    assert points == pytest.approx(7.2)
    assert ev.gap_text(gap, points) == "+7.2 points"
    assert ev.gap_text(gap, pd.NA) == f"{gap:+.1f}% of the Eurostat figure"
    assert ev.gap_text(pd.NA, pd.NA) == ""


def test_a_bounds_band_draws_the_lower_bound_and_fills_up_to_the_upper():
    fig, ax = plt.subplots()
    years = pd.Series([2020, 2021, 2022])
    plots.bounds_band(ax, years, pd.Series([10, 12, 8], dtype="Int64"),
                      pd.Series([10, 15, 8], dtype="Int64"), "sum")  # fmt: skip
    plots.bounds_band(ax, years, pd.Series([1, 2, 3]), pd.Series([1, 2, 3]), "other",
                      color="#ff0000")  # fmt: skip
    plots.integer_years(fig.axes)
    fig.canvas.draw()
    first, second = ax.get_lines()
    assert first.get_label() == "sum" and first.get_ydata().tolist() == [10.0, 12.0, 8.0]
    band = ax.collections[0].get_paths()[0].vertices
    assert band[:, 1].max() == 15.0 and band[:, 1].min() == 8.0
    assert second.get_color() == "#ff0000"
    assert np.allclose(ax.collections[1].get_facecolor()[0][:3], [1, 0, 0])
    ticks = [t for t in ax.get_xticks() if 2020 <= t <= 2022]
    assert all(float(t).is_integer() for t in ticks)
    plt.close(fig)
