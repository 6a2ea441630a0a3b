"""Enforcement trends: bounds through sums, rates and ratios on hand-computed fixtures; the
real-data EU-27 comparison; and the notebook on a small scope."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from analysis import catalog
from analysis import enforcement as en
from analysis.data import paths
from analysis.data import population as wpp
from analysis.data.errors import DataError
from analysis.run import pipeline

EU27 = ["AUT", "BEL", "BGR", "CYP", "CZE", "DEU", "DNK", "ESP", "EST", "FIN", "FRA", "GRC", "HRV",
        "HUN", "IRL", "ITA", "LTU", "LUX", "LVA", "MLT", "NLD", "POL", "PRT", "ROU", "SVK", "SVN",
        "SWE"]  # fmt: skip


def cell(iso3, year, indicator, value, sex="Total"):
    """One published total; value None is a `<5` cell (bounds 1-4)."""
    suppressed = value is None
    return {"iso3": iso3, "year": year, "indicator": indicator, "sex": sex,
            "value": pd.NA if suppressed else value, "lower": 1 if suppressed else value,
            "upper": 4 if suppressed else value, "is_suppressed": suppressed}  # fmt: skip


def frame(rows) -> pd.DataFrame:
    return pd.DataFrame(rows).astype(
        {"iso3": "string", "year": "Int64", "indicator": "string", "sex": "string",
         "value": "Int64", "lower": "Int64", "upper": "Int64", "is_suppressed": "boolean"}
    )  # fmt: skip


POPULATION = pd.DataFrame(
    {"iso3": ["AAA", "BBB", "AAA", "BBB"], "year": pd.array([2020, 2020, 2021, 2021], "Int64"),
     "population": pd.array([200_000, 100_000, 250_000, 100_000], "Int64"),
     "variant": ["estimate"] * 4}
)  # fmt: skip


def test_sum_with_a_suppressed_cell_carries_bounds():
    totals = frame([cell("AAA", 2020, "victims", 10), cell("BBB", 2020, "victims", None),
                    cell("CCC", 2020, "victims", 0)])  # fmt: skip
    (row,) = en.sum_bounds(totals, ["indicator", "year"]).itertuples()
    assert (row.lower, row.upper) == (11, 14)  # 10 + 0 + (1..4)
    assert pd.isna(row.value)  # never guessed
    assert (row.n_countries, row.n_suppressed) == (3, 1)


def test_sum_without_suppressed_cells_is_exact():
    totals = frame([cell("AAA", 2020, "victims", 10), cell("BBB", 2020, "victims", 7)])
    (row,) = en.sum_bounds(totals, ["year"]).itertuples()
    assert row.value == row.lower == row.upper == 17


def test_two_suppressed_cells_add_two_to_eight():
    totals = frame([cell("AAA", 2020, "convicted", None), cell("BBB", 2020, "convicted", None)])
    (row,) = en.sum_bounds(totals, ["year"]).itertuples()
    assert (row.lower, row.upper) == (2, 8)


def test_rates_per_100k_for_countries_and_their_sum():
    totals = frame([cell("AAA", 2020, "victims", 10), cell("BBB", 2020, "victims", None)])
    with_pop = en.attach_population(totals, POPULATION)
    countries = en.add_rates(with_pop).set_index("iso3")
    assert countries.at["AAA", "rate"] == pytest.approx(5.0)  # 10 / 200,000 * 100,000
    assert countries.at["BBB", "rate_lower"] == pytest.approx(1.0)  # 1 / 100,000
    assert countries.at["BBB", "rate_upper"] == pytest.approx(4.0)
    assert pd.isna(countries.at["BBB", "rate"])
    (total,) = en.add_rates(en.sum_bounds(with_pop, ["year"])).itertuples()
    assert total.population == 300_000  # only the reporting countries
    assert total.rate_lower == pytest.approx(11 / 3)  # 11 / 300,000 * 100,000
    assert total.rate_upper == pytest.approx(14 / 3)


def test_rate_needs_a_population_for_every_country_year():
    totals = frame([cell("CCC", 2020, "victims", 10)])
    with pytest.raises(DataError, match=r"CCC', 2020"):
        en.attach_population(totals, POPULATION)


def test_ratio_bounds_by_hand():
    got = en.ratio_bounds(pd.Series([5, 1, 3]), pd.Series([5, 4, 3]), pd.Series([10, 8, 0]),
                          pd.Series([10, 11, 4]))  # fmt: skip
    assert got.loc[0].tolist() == [0.5, 0.5, 0.5]
    assert pd.isna(got.at[1, "value"])
    assert got.at[1, "lower"] == pytest.approx(1 / 11) and got.at[1, "upper"] == pytest.approx(0.5)
    assert got.at[2, "lower"] == pytest.approx(0.75) and pd.isna(got.at[2, "upper"])


def test_conviction_ratios_use_countries_reporting_both():
    totals = frame(
        [cell("AAA", 2020, "convicted", 6), cell("AAA", 2020, "prosecuted", 20),
         cell("BBB", 2020, "convicted", None), cell("BBB", 2020, "prosecuted", 10),
         cell("CCC", 2020, "convicted", 50),  # no prosecutions: left out of the ratio
         cell("AAA", 2020, "victims", 30)]
    )  # fmt: skip
    got = en.ratios(totals).set_index("ratio")
    per_pros = got.loc["convictions per prosecution"]
    assert per_pros["n_countries"] == 2
    assert per_pros["lower"] == pytest.approx(7 / 30) and per_pros["upper"] == pytest.approx(
        10 / 30
    )
    per_victim = got.loc["convictions per detected victim"]
    assert per_victim["value"] == pytest.approx(6 / 30) and per_victim["n_countries"] == 1


def test_female_share_bounds_by_hand():
    totals = frame(
        [cell("AAA", 2020, "convicted", 20), cell("AAA", 2020, "convicted", 5, "Female"),
         cell("BBB", 2020, "convicted", 10), cell("BBB", 2020, "convicted", None, "Female"),
         cell("CCC", 2020, "convicted", 8)]  # no female figure: not in the share
    )  # fmt: skip
    (row,) = en.female_share(totals).itertuples()
    assert row.n_countries == 2
    assert row.lower == pytest.approx(600 / 30) and row.upper == pytest.approx(900 / 30)


def test_coverage_counts_reporting_countries_and_their_population():
    totals = frame([cell("AAA", 2020, "victims", 3), cell("BBB", 2020, "victims", None),
                    cell("AAA", 2021, "victims", 4)])  # fmt: skip
    got = en.coverage(totals, ["AAA", "BBB"], [2020, 2021], POPULATION).set_index("year")
    assert got["n_reporting"].tolist() == [2, 1]
    assert got["share"].tolist() == [1.0, 0.5]
    assert got.at[2021, "population_share"] == pytest.approx(250 / 350)


def test_balanced_panel_keeps_countries_reporting_every_year():
    totals = frame([cell("AAA", 2020, "victims", 3), cell("AAA", 2021, "victims", 4),
                    cell("BBB", 2021, "victims", 9)])  # fmt: skip
    assert set(en.balanced_panel(totals, [2020, 2021])["iso3"]) == {"AAA"}


def test_largest_contributor_share():
    totals = frame([cell("AAA", 2020, "victims", 30), cell("BBB", 2020, "victims", 10)])
    (row,) = en.largest_contributor(totals).itertuples()
    assert row.iso3 == "AAA" and row.share_value == pytest.approx(75.0)


def test_gap_percent_is_zero_inside_the_range_and_signed_outside():
    got = en.gap_percent(pd.Series([100, 100, 100]), pd.Series([90, 110, 80]),
                         pd.Series([105, 120, 90]))  # fmt: skip
    assert got.tolist() == pytest.approx([0.0, 10.0, -10.0])


def test_gap_distance_of_shares_is_in_points():
    got = en.gap_distance(pd.Series([63.0, 26.0, 50.0]), pd.Series([70.2, 34.7, 40.0]),
                          pd.Series([70.3, 59.9, 60.0]))  # fmt: skip
    assert got.tolist() == pytest.approx([7.2, 8.7, 0.0])


def test_largest_gaps_rank_shares_by_points_and_counts_by_per_cent():
    """The issue's case: a small share 8.7 points off (33.5% relative) and a large share 7.2
    points off (11.4%), beside counts ranked by per cent."""
    victims_share = "female share of registered victims (%)"
    convicted_share = "female share of convicted persons (%)"
    table = pd.DataFrame({
        "measure": [convicted_share, victims_share, victims_share, "convicted persons",
                    "registered victims", "registered victims"],
        "year": [2020, 2022, 2019, 2020, 2022, 2021],
        "eurostat": [26.0, 63.0, 40.0, 1295.0, 10093.0, 7155.0],
        "glotip_lower": [34.7, 70.2, 42.0, 315.0, 8514.0, 7327.0],
        "glotip_upper": [59.9, 70.3, 44.0, 333.0, 8517.0, 7330.0],
    })  # fmt: skip
    table["gap_pct"] = en.gap_percent(table["eurostat"], table["glotip_lower"],
                                      table["glotip_upper"])  # fmt: skip
    share = table["measure"].map(en.is_share_measure)
    table["gap_points"] = en.gap_distance(table["eurostat"], table["glotip_lower"],
                                          table["glotip_upper"]).where(share)  # fmt: skip
    top = en.largest_gaps(table, n=2)
    assert list(zip(top["measure"], top["year"], strict=True)) == [
        ("convicted persons", 2020),
        ("registered victims", 2022),  # -74%, -16%
        (convicted_share, 2020),
        (victims_share, 2022),  # +8.7, +7.2 points
    ]
    # in points 63.0 -> 70.2 (7.2) ranks above 40.0 -> 42.0 (2.0), though 5% relative is less
    assert en.largest_gaps(table[share & (table["year"] != 2020)], n=1)["year"].tolist() == [2022]


def test_tip_comparison_keeps_the_edition():
    us_tip = pd.DataFrame(
        {"year": pd.array([2020], "Int64"), "prosecutions": pd.array([100], "Int64"),
         "convictions": pd.array([40], "Int64"), "victims_identified": pd.array([pd.NA], "Int64"),
         "tip_report_edition": ["2024 TIP Report"], "is_secondary": [True]}
    )  # fmt: skip
    world = en.sum_bounds(
        frame([cell("AAA", 2020, "prosecuted", 45), cell("BBB", 2020, "prosecuted", None),
               cell("AAA", 2020, "convicted", 40)]), ["indicator", "year"])  # fmt: skip
    got = en.tip_comparison(us_tip, world).set_index("measure")
    assert "victims_identified" not in got.index  # no TIP figure, no row
    assert got.at["prosecutions", "tip_report_edition"] == "2024 TIP Report"
    assert got.at["prosecutions", "ratio_low"] == pytest.approx(100 / 49)
    assert got.at["prosecutions", "ratio_high"] == pytest.approx(100 / 46)
    assert got.at["convictions", "ratio_low"] == got.at["convictions", "ratio_high"] == 1.0


def test_glotip_above_tip_names_the_largest_contributor():
    tip = pd.DataFrame({"measure": ["prosecutions", "convictions", "convictions"],
                        "year": [2020, 2020, 2021], "ratio_high": [0.8, 1.5, pd.NA]}).astype(
        {"ratio_high": "Float64"})  # fmt: skip
    top = pd.DataFrame({"indicator": ["prosecuted", "convicted"], "year": [2020, 2020],
                        "iso3": ["AAA", "BBB"], "share_lower": [60.0, 40.0]})  # fmt: skip
    got = en.glotip_above_tip(tip, top)
    assert got[["measure", "year", "indicator", "iso3"]].values.tolist() == [
        ["prosecutions", 2020, "prosecuted", "AAA"]
    ]


def test_one_vintage_per_series():
    glotip = pd.DataFrame({"vintage": ["2025", "2023"]})
    with pytest.raises(DataError, match="never splice"):
        en.country_totals(glotip)
    with pytest.raises(DataError, match="never splice"):
        en.total_and_later_peak(glotip, "GBR", 2013)


def long_glotip(rows) -> pd.DataFrame:
    """Cells in the processed GLOTIP layout (all sexes, ages and forms), one vintage."""
    out = frame(rows).assign(dimension="Total", age="Total", vintage="2025")
    return out.assign(indicator=out["indicator"].map(en.INDICATORS))


def test_total_and_later_peak_keeps_bounds_and_names_a_missing_year():
    glotip = long_glotip([cell("GBR", 2013, "victims", 816), cell("GBR", 2014, "victims", None),
                          cell("GBR", 2016, "victims", 900), cell("GBR", 2015, "victims", 950),
                          cell("FRA", 2017, "victims", 5000)])  # fmt: skip
    got = en.total_and_later_peak(glotip, "GBR", 2013)
    assert (got["vintage"], got["value"], got["lower"], got["upper"]) == ("2025", 816, 816, 816)
    assert got["later_peak"] == {"year": 2015, "value": 950, "lower": 950, "upper": 950}
    small = en.total_and_later_peak(glotip, "GBR", 2014)
    assert (small["value"], small["lower"], small["upper"]) == (None, 1, 4)
    assert en.total_and_later_peak(glotip, "FRA", 2017)["later_peak"] is None
    message = r"vintage 2025: no published total of '.+' for GBR in 2012; years published: \[2013"
    with pytest.raises(DataError, match=message):
        en.total_and_later_peak(glotip, "GBR", 2012)


def test_bad_selection_is_named():
    with pytest.raises(ValueError, match="unknown region 'Atlantis'"):
        en.select(pd.Series(["FRA"]), region="Atlantis")
    with pytest.raises(ValueError, match=r"\['XXX'\]"):
        en.select(pd.Series(["FRA"]), ["fra", "XXX"])
    with pytest.raises(ValueError, match="indicators must be"):
        en.indicator_keys(["arrests"])


def test_the_scope_is_every_country_of_the_export_in_it():
    cells = [cell("FRA", 2020, "victims", 3), cell("BLR", 2015, "convicted", 9),
             cell("DEU", 2021, "victims", None), cell("FRA", 2021, "victims", 4)]  # fmt: skip
    glotip = long_glotip(cells)
    assert en.scope_countries(glotip) == ["BLR", "DEU", "FRA"]
    assert en.scope_countries(glotip, region="EU27") == ["DEU", "FRA"]
    assert en.scope_countries(glotip, ["blr", "UKR"]) == ["BLR"]  # UKR is not in this export


def test_region_selection():
    iso3 = pd.Series(["FRA", "NOR", "BLR", "XKX"])
    assert en.select(iso3, region="EU27").tolist() == [True, False, False, False]
    assert en.select(iso3, region="Eastern Europe").tolist() == [False, False, True, False]
    assert en.select(iso3, ["blr"]).tolist() == [False, False, True, False]
    assert en.eu27_members() == EU27


# --- Real data --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real():
    glotip = en.load_glotip("2025")
    totals = en.country_totals(glotip, sexes=("Total", "Female", "Male"))
    eurostat = catalog.read("eurostat_thb")
    return glotip, totals, eurostat, wpp.load()


@pytest.mark.realdata
def test_eu27_comparison_reports_both_sources_for_2019_to_2022(real):
    glotip, totals, eurostat, population = real
    table = en.eu27_comparison(totals, eurostat, population, [2019, 2020, 2021, 2022])
    both = table[table["eurostat"].notna() & table["glotip_lower"].notna()]
    assert sorted(both["year"].unique()) == [2019, 2020, 2021, 2022]
    assert (table["glotip_countries"] <= 27).all()
    keyed = table.set_index(["measure", "year"])
    # Eurostat figures as transcribed (Feb 2023 release; Dec 2022 release for the 2019 rate).
    assert keyed.at[("registered victims", 2021), "eurostat"] == 7155
    assert keyed.at[("registered victims per million inhabitants", 2019), "eurostat"] == 17
    # Each figure in its latest release: the 2020 female share as revised in January 2024.
    share_2020 = keyed.loc[("female share of registered victims (%)", 2020)]
    assert (share_2020["eurostat"], share_2020["eurostat_release"]) == (68, "Jan 2024 release")
    is_share = table["measure"].map(en.is_share_measure).astype(bool)
    assert table["gap_points"].notna().equals(table["gap_pct"].notna() & is_share)  # shares only
    assert table.loc[is_share, "gap_points"].abs().max() <= 100  # in points, not per cent
    # The GLOTIP side, recomputed here from the raw long table without the package's helpers.
    raw = glotip[(glotip["indicator"] == en.INDICATORS["victims"])
                 & (glotip["dimension"] == "Total") & (glotip["sex"] == "Total")
                 & (glotip["age"] == "Total") & glotip["iso3"].isin(EU27)
                 & (glotip["year"] == 2021)]  # fmt: skip
    row = keyed.loc[("registered victims", 2021)]
    assert (row["glotip_lower"], row["glotip_upper"]) == (raw["lower"].sum(), raw["upper"].sum())
    assert row["glotip_countries"] == raw["iso3"].nunique()
    for year in [2020, 2021, 2022]:
        assert pd.notna(keyed.at[("registered victims", year), "eurostat"])
        assert pd.notna(keyed.at[("convicted persons", year), "eurostat"])


@pytest.mark.realdata
def test_world_sums_match_the_raw_table(real):
    glotip, totals, _, _ = real
    world = en.sum_bounds(totals[totals["sex"] == "Total"], ["indicator", "year"])
    got = world.set_index(["indicator", "year"]).loc[("convicted", 2020)]
    raw = glotip[(glotip["indicator"] == "Persons convicted") & (glotip["dimension"] == "Total")
                 & (glotip["sex"] == "Total") & (glotip["age"] == "Total")
                 & (glotip["year"] == 2020)]  # fmt: skip
    suppressed = int(raw["is_suppressed"].sum())
    published = int(raw["value"].sum())
    assert (got["lower"], got["upper"]) == (published + suppressed, published + 4 * suppressed)
    assert got["n_countries"] == len(raw)


@pytest.mark.realdata
@pytest.mark.slow
def test_notebook_on_the_eu(tmp_path, real):
    glotip, *_ = real
    notebook = paths.notebooks_dir() / "20_enforcement_trends.ipynb"
    params = {"region": "EU27", "years": [2019, 2022], "panel_years": 3,
              "report_dir": str(tmp_path)}  # fmt: skip
    outcome = pipeline.execute(notebook, tmp_path / "out.ipynb", params)
    assert outcome.ok, outcome.error
    results = json.loads((tmp_path / "results" / "20_enforcement_trends.json").read_text())
    results = results["results"]
    assert results["scope"] == "EU27" and results["countries_in_scope"] == 27
    assert sorted({r["year"] for r in results["eu27_comparison"]}) == [2019, 2020, 2021, 2022]
    raw = glotip[(glotip["indicator"] == "Persons prosecuted") & (glotip["dimension"] == "Total")
                 & (glotip["sex"] == "Total") & (glotip["age"] == "Total")
                 & glotip["iso3"].isin(EU27) & (glotip["year"] == 2022)]  # fmt: skip
    got = results["totals_last_year"]["prosecuted"]
    assert (got["lower"], got["upper"], got["countries"]) == (
        raw["lower"].sum(),
        raw["upper"].sum(),
        len(raw),
    )
    assert results["coverage_last_year"]["prosecuted"]["countries"] == len(raw)
    # the records the notebook writes from its last year: every ratio, rate and gap it reports
    ratios = results["ratios_last_year"]
    assert set(ratios) == set(en.RATIOS) and all(r["lower"] <= r["upper"] for r in ratios.values())
    assert set(results["rate_per_100k_last_year"]) == set(results["totals_last_year"])
    gaps = results["eu27_largest_gaps"]
    assert gaps and all(set(g) == {"year", "measure", "gap_pct", "gap_points"} for g in gaps)
    low, high = results["female_share_convicted_last_year_pct"]
    assert 0 <= low <= high <= 100
    assert (tmp_path / "figures" / "20_enforcement_trends" / "trends.png").is_file()


@pytest.mark.realdata
@pytest.mark.slow
def test_notebook_on_three_countries_of_the_earlier_export(tmp_path):
    """A few chosen countries (fewer than the small-cell threshold: a count of countries is not
    a count of persons) from the 2023 export, whose years end in 2021, with the default years."""
    notebook = paths.notebooks_dir() / "20_enforcement_trends.ipynb"
    params = {"countries": ["DEU", "FRA", "ITA"], "vintage": "2023", "report_dir": str(tmp_path)}
    outcome = pipeline.execute(notebook, tmp_path / "out.ipynb", params)
    assert outcome.ok, outcome.error
    results = json.loads((tmp_path / "results" / "20_enforcement_trends.json").read_text())
    results = results["results"]
    last = int(en.load_glotip("2023")["year"].max())
    assert last == 2021 and results["years"] == [2003, last]
    assert results["coverage_last_year"]["victims"]["scope_countries"] == 3
