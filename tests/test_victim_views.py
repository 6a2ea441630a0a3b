"""What the victims report shows, on the fixture of test_victims (its counts are stated there):
suppressed tables and shares, texts and results records."""

import re

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint
from test_victims import FEMALE, KNOWN_GENDER, fixture_glotip, write_fixture_data

from analysis import models, trends
from analysis import victims as vic
from analysis.publish import disclosure
from analysis.publish import victim_views as views

CODES = ["USA", "RUS", "POL"]
NAMES = {"USA": "United States", "RUS": "Russia", "POL": "Poland"}


@pytest.fixture
def records(tmp_path):
    return vic.load("kanon_2021", write_fixture_data(tmp_path))


@pytest.fixture
def fit(records):
    return trends.gender_trend(vic.year_destination_gender(records, CODES), 0.95)


def wilson_text(count: int, total: int) -> str:
    low, high = proportion_confint(count, total, alpha=0.05, method="wilson")
    return f"{100 * count / total:.1f}% ({100 * low:.1f}–{100 * high:.1f})"


# --- Suppression -------------------------------------------------------------------------------


def test_a_share_is_hidden_when_its_count_or_the_rest_is_small():
    counts = pd.Series([0, 3, 50, 95, pd.NA], dtype="Int64")
    totals = pd.Series([100, 100, 100, 100, pd.NA], dtype="Int64")
    hidden = disclosure.hidden_shares(counts, totals, 10)
    assert hidden.tolist() == [False, True, False, True, False]
    table = pd.DataFrame({"x": [3, 50], "x_of": [100, 100], "x_share": [0.03, 0.5]})
    hidden = views.hide_shares(table, ("x",), 10)
    assert np.isnan(hidden.loc[0, "x_share"]) and hidden.loc[1, "x_share"] == 0.5
    assert hidden["x_suppressed"].tolist() == [True, False]
    assert table.loc[0, "x_share"] == 0.03  # the input is left as it was


def test_shares_by_destination_are_suppressed_when_they_would_reveal_a_small_cell(records):
    pol_2018 = vic.select(records, (2018, 2018), ["POL"])
    # 22 female of 22 + 16 + 3 known: the rest (19) is not small, so the share is shown.
    shown = views.shares_by_destination(pol_2018, ["POL"], 10, 0.95)
    assert shown.loc[0, "female_share"] == pytest.approx(22 / 41)
    strict = views.shares_by_destination(pol_2018, ["POL"], 20, 0.95)
    assert strict.loc[0, "female_suppressed"] and np.isnan(strict.loc[0, "female_share"])
    record = views.row_share_record(strict.iloc[0], "female", 20)
    assert record["count"] is None and record["share"] is None and record["total"] == 41
    assert views.row_share_text(strict.iloc[0], "female") == "suppressed"


def test_shares_by_destination_keep_the_order_of_the_codes(records):
    table = views.shares_by_destination(records, ["POL", "USA"], 10, 0.95)
    assert table["exploitation_country"].tolist() == ["POL", "USA"]
    assert table["records"].tolist() == [162, 437]
    by_year = views.shares_by_destination(records, CODES, 10, 0.95, by_year=True)
    assert len(by_year) == 3 * 4 and by_year["records"].sum() == 437 + 368 + 162


def test_counts_table_never_shows_a_small_cell_and_protects_totals(records):
    grid = vic.year_destination_gender(records, CODES)
    table = views.counts_table(grid, CODES, threshold=15)
    # POL male: 12, 13 are small (primary); USA, RUS have none below 15.
    assert table.loc[2015, "POL"] == "30 / <15" and table.loc[2016, "POL"] == "27 / <15"
    assert table.loc[2015, "USA"] == "100 / 20"
    # A single small cell in a column gets a partner: threshold 13 leaves only POL male 12 small.
    table = views.counts_table(grid, CODES, threshold=13)
    assert table.loc[2015, "POL"] == "30 / <13" and table.loc[2016, "POL"] == "27 / (s)"
    assert "`<13`" in views.grid_legend(13) and "`(s)`" in views.grid_legend(13)


def test_a_figure_draws_no_count_the_table_hides(records):
    grid = vic.year_destination_gender(records, CODES)
    shown = views.shown_grid(grid, 13).set_index(["year", "destination", "gender"])["shown"]
    assert np.isnan(shown[(2015, "POL", "male")]) and np.isnan(shown[(2016, "POL", "male")])
    assert shown[(2017, "POL", "male")] == 15
    # The 3 transgender records of POL 2018 are small; the zeros beside them are drawn.
    assert np.isnan(shown[(2018, "POL", "transgender_nonconforming")])
    assert shown[(2018, "USA", "unknown")] == 0


def test_observed_totals_hide_a_total_that_holds_a_hidden_cell():
    fitted = pd.DataFrame({"year": [2015, 2015, 2016, 2016], "gender": ["female"] * 4,
                           "records": [40, 3, 40, 30], "fitted": [39.0, 4, 41, 29]})  # fmt: skip
    hidden = disclosure.is_small(fitted["records"], 10)
    totals = views.observed_totals(fitted, hidden, 10).set_index("year")
    assert np.isnan(totals.loc[2015, "observed"])  # 43 would give away the 3
    assert totals.loc[2016, "observed"] == 70
    assert totals.loc[2015, "fitted"] == 43


def test_the_trend_figure_leaves_out_the_hidden_cells(fit):
    totals, drawn = views.drawable_fit(fit, 13)
    assert len(drawn) == len(fit.data) - 2  # POL male 2015 (12) and its partner 2016 (13)
    assert not ((drawn["destination"] == "POL") & drawn["year"].isin([2015, 2016])
                & (drawn["gender"] == "male")).any()  # fmt: skip
    pol_2015_male = totals.set_index(["year", "gender"]).loc[(2015, "male")]
    assert np.isnan(pol_2015_male["observed"])  # it holds the hidden 12
    fig = views.trend_figure(fit, 13, "Source: test")
    assert len(fig.axes[1].collections[0].get_offsets()) == len(drawn)
    plt.close(fig)


# --- The selection and who reported ------------------------------------------------------------


def test_selection_text_and_record(records):
    chosen = vic.select(records, (2016, 2018), ["POL"])
    assert views.selection_record(records, chosen) == {
        "release": 992, "selected": 27 + 13 + 24 + 15 + 22 + 16 + 3, "without_year": 0
    }  # fmt: skip
    text = views.selection_text(records, chosen, "kanon_2021", (2016, 2018), (["POL"], ""),
                                0.9, 10)  # fmt: skip
    assert text.startswith("**Release `kanon_2021`**: 992 records, of which **120** were ")
    assert "for destinations POL. 0 records" in text and "90% Wilson" in text
    assert views.scope_text([], "") == "all destinations (including unknown)"
    assert views.scope_text(["POL", "RUS"], "Eastern Europe") == (
        "destinations POL, RUS, region Eastern Europe"
    )


def test_source_mix_hides_shares_that_would_reveal_a_small_count():
    rows = pd.DataFrame({
        "year": [2019] * 100 + [2020] * 100,
        "exploitation_country": ["USA"] * 97 + [None] * 3 + ["USA"] * 50 + [None] * 50,
        "datasource": ["hotline"] * 200,
    })  # fmt: skip
    mix = views.source_mix(rows, threshold=10)
    by_year = mix.set_index("year")
    assert np.isnan(by_year.loc[2019, "unknown_destination_share"])  # 3 of 100
    assert by_year.loc[2019, "unknown_destination_suppressed"]
    assert np.isnan(by_year.loc[2019, "usa_share"])  # 97 of 100: the rest is 3
    assert by_year.loc[2020, "usa_share"] == pytest.approx(0.5)
    assert by_year.loc[2020, "hotline_share"] == 1.0 and not by_year.loc[2020, "hotline_suppressed"]
    table = views.mix_table(mix, 10, has_source=True).set_index("year")
    assert table.loc[2019, "US share"] == "suppressed" and table.loc[2020, "US share"] == "50.0%"
    assert table.loc[2020, "hotline share"] == "100.0%"
    assert views.mix_records(mix, True) == {
        "destinations_by_year": {2019: 1, 2020: 1},
        "hotline_share_by_year": {2019: 1.0, 2020: 1.0},
    }
    note = views.mix_note(mix, 10, has_source=True)
    assert "Hotline records exist only for 2019-2020" in note
    assert "reveal fewer than 10 records reads *suppressed*" in note


def test_without_sources_the_us_share_is_the_proxy(records):
    mix = views.source_mix(records, 10)
    assert "hotline share" not in views.mix_table(mix, 10, has_source=False)
    assert "hotline_share_by_year" not in views.mix_records(mix, False)
    note = views.mix_note(mix, 10, has_source=False)
    assert note.startswith("The busiest year, 2017, holds 26% of all selected records; 3 to 3 ")
    assert note.endswith("the US share (hotline-dominated) is the closest proxy.")


# --- Top destinations and corridors ------------------------------------------------------------


def test_top_destinations_table_records_and_text(records):
    top = vic.top_destinations(records, 3)
    per_dest = views.shares_by_destination(records, CODES, 10, 0.95)
    table = views.top_table(top, per_dest, 10).set_index("destination")
    usa = table.loc["United States (USA)"]
    assert (usa["records"], usa["gender known"]) == ("437", "437")
    assert usa["female share"] == wilson_text(344, 437)
    assert usa["% of known destinations"] == f"{100 * 437 / (437 + 368 + 162):.1f}%"
    strict = views.destination_records(per_dest, 200)
    assert strict["POL"]["records"] is None and strict["USA"]["records"] == 437
    assert strict["POL"]["female_share"]["total"] is None  # all 162 known: small at 200
    overall = views.shares(records, [], 10, 0.95).iloc[0]
    text = views.overall_text(overall, top, 10)
    assert text.startswith(f"Across the selection, **{wilson_text(FEMALE, KNOWN_GENDER)}** of ")
    assert f"of the {KNOWN_GENDER} records with a known gender" in text
    assert text.endswith(
        "The top 3 destinations hold 100% of the records with a known destination."
    )


def test_a_sentence_says_fewer_than_for_a_small_count(records):
    few = vic.select(records, (2018, 2018), ["POL"]).head(7)
    overall = views.shares(few, [], 10, 0.95).iloc[0]
    text = views.overall_text(overall, vic.top_destinations(few, 1), 10)
    assert "**suppressed** of the fewer than 10 records with a known gender" in text
    assert "7" not in text.split("hold")[0]


def test_corridors_are_labelled_and_only_large_flows_recorded(records):
    corridor = views.label_corridors(vic.corridors(records, CODES, 5), NAMES)
    assert corridor.loc["Ukraine (UKR)"].to_dict() == {"United States": 0, "Russia": 368,
                                                       "Poland": 162}  # fmt: skip
    assert views.corridor_records(corridor, 200) == [
        {"citizenship": "Mexico (MEX)", "destination": "United States", "records": 437},
        {"citizenship": "Ukraine (UKR)", "destination": "Russia", "records": 368},
    ]
    assert len(views.corridor_records(corridor, 10)) == 3  # the zeros are no flows


# --- Forms -------------------------------------------------------------------------------------


def test_sparse_forms_are_merged_and_rows_with_a_hidden_cell_lose_their_shares():
    counts = pd.DataFrame({"sexual": [50, 40, 30], "labour": [20, 30, 3], "other": [4, 0, 25],
                           "marriage": [2, 11, 30]}, index=["women", "men", "girls"])  # fmt: skip
    forms, hidden, row_share = views.forms_table(counts, 10)
    assert list(forms.columns) == ["sexual", views.MERGED_FORMS]  # labour, other, marriage merged
    assert forms[views.MERGED_FORMS].tolist() == [26, 41, 58]
    assert not hidden.any().any()
    assert row_share.loc["women", "sexual"] == pytest.approx(50 / 76)
    single = pd.DataFrame({"a": [50, 40], "b": [3, 30]}, index=["women", "men"])
    forms, hidden, row_share = views.forms_table(single, 10)  # one sparse column: no merge
    # The 3 is small; the table total is published, so the smallest other cell (30) hides too.
    assert list(forms.columns) == ["a", "b"] and hidden["b"].all() and not hidden["a"].any()
    assert row_share.isna().all().all()
    cells = views.forms_cells(forms, hidden, row_share, 10)
    assert cells.to_numpy().tolist() == [["50", "<10"], ["40", "(s)"]]
    shown = views.forms_cells(*views.forms_table(counts, 10), 10)
    assert shown.loc["women", "sexual"] == f"50 ({50 / 76:.0%})"


def test_forms_text_on_the_fixture(records):
    forms, hidden, row_share = views.forms_table(vic.forms_by_group(records), 10)
    test = models.association(forms)
    text = views.forms_text(test, len(records), 10)
    n = int(forms.to_numpy().sum())
    assert text.startswith(f"{n} records have a known group and form ({len(records) - n} do not)")
    assert f"on {test['dof']} df, p < 0.001;" in text
    assert views.row_share_records(row_share)["women"]["sexual exploitation"] == pytest.approx(
        forms.loc["women", "sexual exploitation"] / forms.loc["women"].sum()
    )


def test_p_values_and_rate_ratios_as_text():
    assert views.p_text(0.0004) == "< 0.001" and views.p_text(0.0004, relation=True) == "< 0.001"
    assert views.p_text(0.04213) == "0.042" and views.p_text(0.04213, relation=True) == "= 0.042"
    assert views.irr_text(0.95349, 0.9401, 0.96612) == "0.953 (0.940–0.966)"


# --- Trend models ------------------------------------------------------------------------------


def test_trend_records_hold_the_model_numbers(fit):
    out = views.trend_records(fit)
    assert out["trend_model"]["formula"] == fit.formula
    assert out["trend_model"]["family"] == "poisson"
    female = fit.trend.set_index("gender").loc["female"]
    keys = ("irr", "lower", "upper", "p_value")
    assert out["irr_year_by_gender"]["female"] == {k: female[k] for k in keys}
    assert out["irr_year_male_vs_female"] == fit.ratio
    assert set(out["irr_year_by_gender_common_gender_ratio"]["male"]) == {"irr", "lower", "upper"}


def test_trend_table_and_text(fit):
    table = views.trend_table(fit, 0.95).set_index("gender")
    change = table["change per year"]
    assert all(re.fullmatch(r"[+-]\d+\.\d%", c) for c in change)
    # The fixture's counts fall ~10% a year for women and rise ~10% for men.
    assert float(change["female"][:-1]) == pytest.approx(-10, abs=0.5)
    assert float(change["male"][:-1]) == pytest.approx(10, abs=0.5)
    assert re.fullmatch(
        r"0\.\d{3} \(0\.\d{3}–0\.\d{3}\)", table.loc["female", "IRR per year (95% CI)"]
    )
    text = views.trend_text(fit)
    assert text.startswith("24 year × destination × gender counts.")
    assert "the model used is **poisson**." in text and "α =" not in text
    ratio = fit.ratio
    assert f"trend is {views.irr_text(ratio['irr'], ratio['lower'], ratio['upper'])}." in text


def test_coefficient_and_diagnostics_tables(fit):
    coef = views.coefficient_table(fit, 0.95).set_index("term")
    assert "Intercept" not in coef.index and "year_c" in coef.index
    assert coef.loc["year_c:C(gender)[T.male]", "p"] == "< 0.001"  # the slopes differ clearly
    diag = views.diagnostics_table(fit.diagnostics)["value"]
    assert diag["family"] == "poisson" and diag["observations"] == 24
    assert diag["residual df"] == "16" and diag["NB α"] == ""  # 24 - 8 terms; Poisson


def test_an_overdispersed_fit_names_its_alpha():
    from test_models import simulated_counts

    data = simulated_counts(2, alpha=0.3)
    fit = trends.gender_trend(data.assign(year=2000 + data["year_c"]), 0.95)
    assert "the model used is **negative binomial** (α = " in views.trend_text(fit)
    assert views.diagnostics_table(fit.diagnostics)["value"]["NB α"] == f"{fit.model.alpha:.3f}"


# --- GLOTIP and findings -----------------------------------------------------------------------


def test_glotip_shares_as_published_and_pooled():
    shares = views.glotip_shares(vic.glotip_by_sex_age(fixture_glotip(), "2025"), 10, 0.95)
    usa = shares.set_index(["iso3", "year"])
    assert np.isnan(usa.loc[("USA", 2018), "female_share"])  # 5 male records < 10
    assert usa.loc[("USA", 2015), "female_share"] == pytest.approx(0.8)
    pooled = vic.pooled_female_share(shares, 0.95)
    record = views.pooled_record(pooled, 10)
    assert (record["count"], record["total"], record["countries"]) == (345, 480, 2)
    assert views.pooled_record({**pooled, "female": 3, "known": 8}, 10)["total"] is None


def test_glotip_text_and_the_widest_disagreements(records):
    ctdc = views.shares(records[records["exploitation_country"].notna()],
                        ["exploitation_country", "year"], 10, 0.95)  # fmt: skip
    glotip = views.glotip_shares(vic.glotip_by_sex_age(fixture_glotip(), "2025"), 10, 0.95)
    pairs, agreement = vic.compare_female_shares(ctdc, glotip)
    pooled = vic.pooled_female_share(glotip, 0.95)
    text = views.glotip_text(pooled, agreement, "66%", "2025", 10)
    assert text.startswith("GLOTIP (2025 export) publishes a usable female share for 6 ")
    assert "of their 480 detected victims of known sex are female (CTDC: 66%)." in text
    assert "**6 country-years in 2 countries** are in both." in text
    none = views.glotip_text(pooled, {"country_years": 0, "countries": 0}, "66%", "2025", 10)
    assert none.endswith("No country-year is in both sources with an unsuppressed share.")
    widest = views.widest_disagreements(pairs, 2)
    # USA 2017: CTDC 81 of 105 (77.1%) against GLOTIP 90%, the widest gap.
    assert widest.iloc[0].to_dict() == {
        "country-year": "United States 2017", "CTDC": wilson_text(81, 105),
        "CTDC known gender": "105", "GLOTIP": "90.0%", "GLOTIP known sex": "100",
    }  # fmt: skip
    fig = views.agreement_figure(pairs, "Source: test")
    assert len(fig.axes[0].lines[0].get_xdata()) == 6
    plt.close(fig)


def test_findings_state_the_fixture_numbers(records, fit):
    per_dest = views.shares_by_destination(records, CODES, 10, 0.95)
    overall = views.shares(records, [], 10, 0.95).iloc[0]
    forms, _, _ = views.forms_table(vic.forms_by_group(records), 10)
    test = models.association(forms)
    agreement = {"country_years": 6, "countries": 2, "mean_abs_difference": 0.0675}
    text = views.findings(overall, per_dest, NAMES, test, fit, agreement, "kanon_2021",
                          (2015, 2018), 10)  # fmt: skip
    lines = text.split("\n")
    assert lines[0] == (
        f"- **Female share.** {wilson_text(FEMALE, KNOWN_GENDER)} of {KNOWN_GENDER} CTDC "
        f"`kanon_2021` records with known gender (2015-2018); children are "
        f"{views.row_share_text(overall, 'child')} of those with known age."
    )
    assert lines[1].startswith(
        f"- **Destinations.** United States 437 records, {wilson_text(344, 437)} female; Russia "
    )
    assert f"n = {int(forms.to_numpy().sum())})" in lines[2]
    assert lines[3].startswith("- **Trend** (poisson, within destinations): female records -")
    assert lines[3].endswith(".") and "overdispersed" not in lines[3]
    assert lines[4].startswith("- **Second source.** On 6 shared country-years")
    assert "differ by 7% points" in lines[4]
    assert lines[5].startswith("- **Read with care.**")
