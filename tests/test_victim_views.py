"""What the victims report shows, on the fixture of test_victims (its counts are stated there):
suppressed tables and shares, texts and results records."""

import json

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint
from test_victims import fixture_glotip, write_fixture_data

from analysis import models, trends
from analysis import victims as vic
from analysis.data import releases
from analysis.data.errors import DataError
from analysis.publish import disclosure
from analysis.publish import release as rel
from analysis.publish import victim_views as views

CODES = ["USA", "RUS", "POL"]
NAMES = {"USA": "United States", "RUS": "Russia", "POL": "Poland"}


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    return vic.load("kanon_2021", write_fixture_data(tmp_path_factory.mktemp("data")))


@pytest.fixture(scope="module")
def chosen(records):
    """The records of the three destinations: all but the 25 without a destination."""
    return vic.select(records, (2015, 2018), CODES)


@pytest.fixture(scope="module")
def published(records):
    """The tables of `chosen` at the threshold 10."""
    return protected(records)


@pytest.fixture(scope="module")
def fit(records):
    return trends.gender_trend(vic.year_destination_gender(records, CODES), 0.95)


def wilson_text(count: int, total: int) -> str:
    low, high = proportion_confint(count, total, alpha=0.05, method="wilson")
    return f"{100 * count / total:.1f}% ({100 * low:.1f}–{100 * high:.1f})"


# --- The selection's protected tables -----------------------------------------------------


MEMO: dict = {}  # protected tables of the module's fixture records, by their arguments


def protected(records, threshold=10, codes=CODES, years=(2015, 2018), scope=(CODES, "")):
    key = (id(records), threshold, tuple(codes), years, tuple(scope[0]), scope[1])
    if key not in MEMO or MEMO[key][0] is not records:  # (the frame is kept: its id stays)
        chosen = vic.select(records, years, scope[0] or None, scope[1] or None)
        MEMO[key] = records, views.protect_selection(records, chosen, "kanon_2021", years, scope,
                                                     codes, threshold)  # fmt: skip
    return MEMO[key][1]


def records_of(published, *more) -> list[dict]:
    return [t.record() for t in [*published.tables(), *more]]


def test_a_selection_names_who_it_counts():
    assert views.selection_population("kanon_2021", (2002, 2021), ([], ""), True) == (
        vic.population("kanon_2021")
    )
    assert views.selection_population("kanon_2021", (2010, 2015), (["RUS", "POL"], ""),
                                      False) == (
        "CTDC kanon_2021: records registered 2010–2015, exploited in POL, RUS"
    )  # fmt: skip
    assert views.selection_population("x", (2010, 2015), ([], "Eastern Europe"), False).endswith(
        "2010–2015, exploited in Eastern Europe"
    )


def test_the_whole_release_is_its_population_and_a_selection_its_own(records, published):
    whole = protected(records, scope=([], ""))  # every fixture record lies in 2015-2018
    assert {t.population for t in whole.tables()} == {vic.population("kanon_2021")}
    assert published.selection.population == vic.population("kanon_2021")
    assert {t.population for t in published.tables()[1:]} == {published.population}
    # the years hold every record of the release: only the destinations narrow it
    assert published.population == "CTDC kanon_2021: all records, exploited in POL, RUS, USA"
    assert published.selection.counts.to_dict() == {
        "selected": 992 - 25, "not selected": 25, "no year of registration": 0
    }  # fmt: skip


def test_no_table_of_the_selection_gives_a_small_cell_away(records, published):
    for tables in (published, protected(records, 13), protected(records, 20)):
        threshold = tables.grid.threshold
        assert disclosure.exposed_cells(records_of(tables)) == []
        for table in tables.tables():
            small = disclosure.is_small(table.counts, threshold)
            assert table.hidden[small].all()  # every small cell is hidden


def test_the_release_holds_the_selection_at_its_key_and_another_is_an_exploration(records):
    """The release step keeps a selection's tables under what they depend on; the report
    takes them as the release publishes them (the same records, hidden cells and sums), and
    protects any other selection itself."""
    chosen = vic.select(records, (2015, 2018), CODES)
    made = protected(records)
    key = views.selection_key("kanon_2021", (2015, 2018), (CODES, ""), CODES, 10)
    _, forms, _ = views.forms_table(vic.forms_by_group(chosen), made.population, 10)
    parts = {"trends": [(key, made.roles() | {"forms": forms})]}
    data = json.loads(json.dumps(rel.record({}, (2002, 2022), 10, {}, parts)))
    released = rel.Released.of(data)
    taken, held = views.selection_tables(records, chosen, "kanon_2021", (2015, 2018),
                                         (CODES, ""), CODES, 10, released)  # fmt: skip
    assert held is not None
    assert [t.record() for t in taken.tables()] == [t.record() for t in made.tables()]
    assert taken.population == made.population and taken.codes == made.codes
    assert taken.grid.determined({"destination": ["USA"]})
    _, again, _ = views.forms_table(vic.forms_by_group(chosen), made.population, 10, held,
                                    "kanon_2021")  # fmt: skip
    assert again.record() == forms.record()
    other, held = views.selection_tables(records, chosen, "kanon_2021", (2015, 2018),
                                         (CODES, ""), CODES, 13, released)  # fmt: skip
    assert held is None and other.grid.threshold == 13
    changed = records.assign(gender=records["gender"].where(records.index != 0, "male"))
    with pytest.raises(DataError, match="re-run the release step"):
        views.selection_tables(changed, vic.select(changed, (2015, 2018), CODES), "kanon_2021",
                               (2015, 2018), (CODES, ""), CODES, 10, released)  # fmt: skip


def test_a_whole_release_links_to_its_released_margins(records):
    """Over the whole release, the selection's tables and the release's margins (records by
    gender and by age band, each with its total) are audited together. The gender table
    hides the 3 transgender records and, to protect them, the male and unknown ones: no
    table of the selection may give those away either."""
    no_age = records.assign(age_band="unknown")
    cleaning = [*rel.margin_tables(records, "gender").values(),
                *rel.margin_tables(no_age, "age_band").values()]  # fmt: skip
    assert cleaning[0].kinds().to_dict() == {
        ("female",): "shown", ("male",): "secondary",
        ("transgender_nonconforming",): "small", ("unknown",): "secondary",
    }  # fmt: skip
    whole = protected(records, scope=([], ""))
    assert disclosure.exposed_cells(records_of(whole, *cleaning)) == []
    overall = views.overall_shares(records, whole, 0.95)
    assert overall["female_suppressed"] and overall["female_of_text"] == "an undisclosed number"
    # The grid's male cells would add up to the male records: shown, the audit objects.
    grid = whole.grid
    male = grid.counts.index.get_level_values("gender") == "male"
    shown = grid.hidden & ~(male & grid.counts.index.get_level_values("destination").isin(CODES))
    leaky = disclosure.CountTable("leaky", grid.population, grid.counts, shown, grid.sums, 10,
                                  grid.partial, grid.shared)  # fmt: skip
    assert disclosure.exposed_cells([leaky.record(), cleaning[0].record()])


def test_a_small_cell_of_the_grid_is_protected_against_every_sum(chosen, published):
    """POL 2018 holds 3 transgender records. POL's known-gender total (the top table) less
    the female and male cells the grid shows would give them away, so POL 2018 male is
    hidden too; POL 2018's own known-gender total is not published as a share total (a cell
    of it is small), and its shares are shown only where the published sums fix them."""
    grid = published.grid
    kinds = grid.kinds()
    assert kinds[("2018", "POL", "transgender_nonconforming")] == "small"
    assert kinds[("2018", "POL", "male")] == "secondary"
    known = {"year": ["2018"], "destination": ["POL"], "gender": views.KNOWN_GENDERS}
    assert known not in grid.sums
    by_year = views.year_shares(chosen, published, 0.95).set_index(["exploitation_country", "year"])
    female = {"year": ["2018"], "destination": ["POL"], "gender": ["female"]}
    assert by_year.loc[("POL", 2018), "female_suppressed"] == disclosure.share_hidden(
        (grid, female), (grid, known), 10
    )
    usa = by_year.loc[("USA", 2017)]  # a destination-year without a hidden cell
    assert not grid.hidden.xs(("2017", "USA"), level=["year", "destination"]).any()
    assert usa["female_share"] == pytest.approx(81 / 105) and not usa["female_suppressed"]
    # With POL 2018 male shown, the 3 would follow: the audit says so.
    hidden = grid.hidden.copy()
    hidden[("2018", "POL", "male")] = False
    leaky = disclosure.CountTable("leaky", grid.population, grid.counts, hidden, grid.sums, 10,
                                  grid.partial, grid.shared)  # fmt: skip
    assert disclosure.exposed_cells([leaky.record()])


def test_a_masked_share_loses_its_interval_too():
    frame = pd.DataFrame({"x": [3], "x_share": [0.5], "x_lower": [0.1], "x_upper": [0.9]})
    masked = views.mask_share(frame, "x", [True])
    assert (
        masked[["x_share", "x_lower", "x_upper"]].isna().all().all() and masked["x_suppressed"][0]
    )
    assert frame.loc[0, "x_share"] == 0.5  # the input is left as it was


def test_counts_table_never_shows_a_small_cell_and_protects_totals(records, published):
    grid = protected(records, 15)
    table = views.counts_table(grid)
    # POL male 12 (2015) and 13 (2016) are small at 15.
    assert table.loc[2015, "POL"].endswith(" / <15") and table.loc[2016, "POL"].endswith("<15")
    cells = views.grid_cells(grid)
    assert set(cells.loc[cells["hidden"], "text"]) <= {"<15", "(s)"}
    assert not (disclosure.is_small(cells["records"], 15) & ~cells["hidden"]).any()
    table = views.counts_table(published)
    assert table.loc[2018, "POL"].endswith(" / (s)")  # a partner of the 3 transgender records
    assert table.loc[2017, "USA"] == "81 / 24" and list(table.columns) == CODES
    assert views.legend(15).startswith("<15: a small cell; (s): a cell hidden")


def test_a_figure_draws_no_count_the_table_hides(records):
    cells = views.grid_cells(protected(records, 13))
    shown = cells.set_index(["year", "destination", "gender"])["shown"]
    assert np.isnan(shown[(2015, "POL", "male")])  # 12 < 13
    assert (cells["shown"].isna() == cells["hidden"]).all()  # every destination-year reports
    assert set(cells["gender"]) == {"female", "male"} and set(cells["destination"]) == set(CODES)


def test_a_destination_year_without_records_is_a_gap(records):
    dropped = records[~((records["exploitation_country"] == "USA") & (records["year"] == 2016))]
    published = protected(dropped)
    cells = views.grid_cells(published).set_index(["year", "destination", "gender"])
    assert np.isnan(cells.loc[(2016, "USA", "female"), "shown"])
    assert views.counts_table(published).loc[2016, "USA"] == "–"


def test_observed_totals_only_where_the_grid_fixes_them(records, published, fit):
    for tables in (published, protected(records, 13)):
        totals, drawn = views.drawable_fit(fit, tables)
        cells = tables.grid.hidden.unstack("gender")[["female", "male"]]
        assert len(drawn) == len(fit.data) - int(cells.to_numpy().sum())
        for row in totals.itertuples():
            pattern = {"year": [str(row.year)], "destination": CODES, "gender": [row.gender]}
            assert np.isnan(row.observed) == (not tables.grid.determined(pattern))
    totals, drawn = views.drawable_fit(fit, published)
    observed = totals.dropna(subset=["observed"])
    assert len(observed) and (observed["observed"] == observed["records"]).all()
    fig = views.trend_figure(fit, published, "Source: test")
    assert len(fig.axes[1].collections[0].get_offsets()) == len(drawn)
    plt.close(fig)


# --- The selection and who reported ------------------------------------------------------------


def test_selection_record_and_words(records):
    published = protected(records, years=(2016, 2018), scope=(["POL"], ""))
    selected = 27 + 13 + 24 + 15 + 22 + 16 + 3
    assert int(published.selection.counts.sum()) == 992
    assert views.cell_count(published.selection, "selected") == selected
    assert views.cell_count(published.selection, "no year of registration") == 0
    assert views.cell_words(published.selection, "selected") == str(selected)
    assert views.cell_words(published.selection, "no year of registration") == "0"


def test_the_yearly_bars_are_sums_of_the_grid(records, published):
    values, hidden, totals = views.destination_bars(published)
    assert list(values.columns) == ["United States", "other top destinations"]
    assert values.loc[2017].tolist() == [81 + 24, 40 + 48 + 24 + 15]
    assert totals[2017] == 81 + 24 + 40 + 48 + 24 + 15
    whole = protected(records, 13, scope=([], ""))
    values, hidden, totals = views.destination_bars(whole)
    assert values.loc[2017, "unknown destination"] == 25
    groups = views.bar_groups(CODES)
    for year in values.index:
        for group in values.columns:
            text = disclosure.sum_words(whole.grid, {"year": [str(year)],
                                                "destination": groups[group]}, False)  # fmt: skip
            assert hidden.loc[year, group] == (not text[0].isdigit())


def test_source_mix_hides_shares_the_tables_do_not_fix(records):
    hotline = records.assign(datasource=records["datasource"].where(
        records["exploitation_country"] != "USA", "hotline"))  # fmt: skip
    published = protected(hotline)
    chosen = vic.select(hotline, (2015, 2018), CODES)
    mix = views.source_mix(chosen, published).set_index("year")
    assert mix.loc[2016, "usa_share"] == pytest.approx(112 / 253)
    assert mix.loc[2016, "hotline_share"] == pytest.approx(112 / 253)
    for year, row in mix.iterrows():
        total = (published.grid, {"year": [str(year)]})
        usa = (published.grid, {"year": [str(year)], "destination": ["USA"]})
        assert row["usa_suppressed"] == disclosure.share_hidden(usa, total, 10)
    assert mix.loc[2016, "records_text"] == published.grid.sum_text({"year": ["2016"]}) == "253"


# --- Top destinations and corridors ------------------------------------------------------------


def test_top_destinations_records_and_shares(records, chosen, published):
    top = vic.top_destinations(chosen, 3)
    per_dest = views.destination_shares(chosen, published, 0.95)
    assert per_dest["exploitation_country"].tolist() == CODES
    usa = per_dest.set_index("exploitation_country").loc["USA"]
    assert (usa["records_text"], usa["female_of_text"]) == ("437", "437")
    assert views.row_share_text(usa, "female") == wilson_text(344, 437)
    assert views.known_share(published, ["USA"]) == pytest.approx(437 / 967)
    assert views.known_share(published, top["iso3"].tolist()) == 1
    assert views.count_record(usa["records_text"]) == 437
    assert views.row_share_record(usa, "female", 10)["count"] == 344
    pol = records.index[records["exploitation_country"].eq("POL").fillna(False)]
    few = records.drop(index=pol[7:])
    small = protected(few)
    rows = views.destination_shares(vic.select(few, (2015, 2018), CODES), small, 0.95)
    few_pol = rows.set_index("exploitation_country").loc["POL"]
    assert len(few[few["exploitation_country"] == "POL"]) < 10
    assert views.count_record(few_pol["records_text"]) is None
    assert views.row_share_record(few_pol, "female", 10)["total"] is None


def test_a_sentence_says_fewer_than_for_a_small_count(records):
    few = vic.select(records, (2018, 2018), ["POL"]).head(7)
    published = views.protect_selection(records, few, "kanon_2021", (2018, 2018), (["POL"], ""),
                                        ["POL"], 10)  # fmt: skip
    overall = views.overall_shares(few, published, 0.95)
    assert views.row_share_text(overall, "female") == "suppressed"
    assert overall["female_of_text"] == "fewer than 10"


def test_corridors_are_protected_labelled_and_only_shown_flows_recorded(records):
    corridor = vic.corridors(records, CODES, 5)
    table = views.protect_corridors(corridor, "p", 200)
    assert table.partial == ("citizenship", "destination") and not table.sums
    labelled, hidden = views.labelled_corridors(corridor, table, NAMES)
    assert hidden.loc["Ukraine (UKR)", "Poland"]  # 162 < 200
    assert not hidden.loc["Ukraine (UKR)", "Russia"]  # 200 <= 368
    assert labelled.loc["Ukraine (UKR)"].to_dict() == {"United States": 0, "Russia": 368,
                                                       "Poland": 162}  # fmt: skip
    assert views.corridor_records(labelled, hidden) == [
        {"citizenship": "Mexico (MEX)", "destination": "United States", "records": 437},
        {"citizenship": "Ukraine (UKR)", "destination": "Russia", "records": 368},
    ]
    shown = views.protect_corridors(corridor, "p", 10)
    assert len(views.corridor_records(*views.labelled_corridors(corridor, shown, NAMES))) == 3


# --- Forms -------------------------------------------------------------------------------------


def test_sparse_forms_are_merged_and_rows_with_a_hidden_cell_lose_their_shares():
    counts = pd.DataFrame({"sexual": [50, 40, 30], "labour": [20, 30, 3], "other": [4, 0, 25],
                           "marriage": [2, 11, 30]}, index=["women", "men", "girls"])  # fmt: skip
    forms, table, row_share = views.forms_table(counts, "p", 10)
    assert list(forms.columns) == ["sexual", views.MERGED_FORMS]  # labour, other, marriage merged
    assert forms[views.MERGED_FORMS].tolist() == [26, 41, 58]
    assert not table.hidden.any() and table.partial == ("person_group", "form")
    assert row_share.loc["women", "sexual"] == pytest.approx(50 / 76)
    single = pd.DataFrame({"a": [50, 40], "b": [3, 30]}, index=["women", "men"])
    forms, table, row_share = views.forms_table(single, "p", 10)  # one sparse column: no merge
    # The 3 is small; the table total is published, so the smallest other cell (30) hides too.
    hidden = table.hidden.unstack("form").reindex_like(forms)
    assert list(forms.columns) == ["a", "b"] and hidden["b"].all() and not hidden["a"].any()
    assert row_share.isna().all().all()
    residuals = views.forms_residuals(models.adjusted_residuals(forms), table)
    assert residuals.isna().all().all()  # every row and column total holds a hidden cell


def test_forms_on_the_fixture(chosen, published):
    forms, table, row_share = views.forms_table(vic.forms_by_group(chosen), "p", 10)
    test = models.association(forms)
    n = int(forms.to_numpy().sum())
    assert table.sum_text({}) == f"{n:,}" and test["n"] == n and test["p_value"] < 0.001
    assert row_share.loc["women", "sexual exploitation"] == pytest.approx(
        forms.loc["women", "sexual exploitation"] / forms.loc["women"].sum()
    )


def test_p_values_and_rate_ratios_as_text():
    assert views.p_text(0.0004) == "< 0.001" and views.p_text(0.0004, relation=True) == "< 0.001"
    assert views.p_text(0.04213) == "0.042" and views.p_text(0.04213, relation=True) == "= 0.042"
    assert views.ratio_text(0.95349, 0.9401, 0.96612) == "0.95 (0.94–0.97)"


# --- Trend models ------------------------------------------------------------------------------


# --- GLOTIP and findings -----------------------------------------------------------------------


def test_glotip_shares_as_published_and_pooled():
    shares = views.glotip_shares(vic.glotip_by_sex_age(fixture_glotip(), "2025"), 10, 0.95)
    usa = shares.set_index(["iso3", "year"])
    assert np.isnan(usa.loc[("USA", 2018), "female_share"])  # 5 male records < 10
    assert usa.loc[("USA", 2015), "female_share"] == pytest.approx(0.8)
    pooled = vic.pooled_female_share(shares, 0.95)
    assert (pooled["female"], pooled["known"], pooled["countries"]) == (345, 480, 2)


def test_glotip_agreement_and_the_widest_disagreements(chosen, published):
    glotip = views.glotip_shares(vic.glotip_by_sex_age(fixture_glotip(), "2025"), 10, 0.95)
    tables = views.compared_tables(chosen, glotip, published)
    assert tables == {}  # USA and RUS are top destinations: the gender grid fixes their shares
    ctdc = views.country_year_shares(chosen, glotip, published, 0.95, tables)
    pairs, agreement = vic.compare_female_shares(ctdc, glotip)
    both = ctdc.dropna(subset=["female_share"]).merge(
        glotip.dropna(subset=["female_share"]), left_on=["exploitation_country", "year"],
        right_on=["iso3", "year"])  # fmt: skip
    assert agreement["country_years"] == len(both) == len(pairs) > 0
    assert agreement["countries"] == pairs["iso3"].nunique()
    widest = views.widest_disagreements(pairs, 2).shown()
    # USA 2017: CTDC 81 of 105 (77.1%) against GLOTIP 90%, the widest gap.
    assert widest.iloc[0].to_dict() == {
        "country and year": "United States 2017",
        "CTDC female share (interval)": wilson_text(81, 105),
        "CTDC records of known gender": "105", "GLOTIP female share": "90.0%",
        "GLOTIP detected victims of known sex": "100",
    }  # fmt: skip
    # In a k-anonymised release a CTDC share of 0% (no women among the records) may be a
    # redaction: such a country-year is not ranked, and the note says so.
    edge = pairs.assign(female_share_ctdc=pairs["female_share_ctdc"].where(
        pairs.index != pairs["difference"].abs().idxmax(), 0.0))  # fmt: skip
    censored = views.widest_disagreements(edge, 2, redacted_below=11)
    assert "United States 2017" not in set(censored.shown()["country and year"])
    assert censored.note == ("Not ranked: 1 country-year in which the CTDC records have no "
                             "women or no men, which in this release may be a redaction of 1 "
                             "to 10 records rather than none.")  # fmt: skip
    assert views.widest_disagreements(edge, 2).note == ""  # a release without redaction
    fig = views.agreement_figure(pairs, "Source: test")
    assert len(fig.axes[0].lines[0].get_xdata()) == len(pairs)
    plt.close(fig)


def test_shares_compared_outside_the_top_destinations_come_from_their_own_tables(records, chosen):
    """With USA the only top destination, RUS's shares come from one protected table: its
    female and known-gender records in the years GLOTIP has a share for (2016 has none)."""
    glotip = views.glotip_shares(vic.glotip_by_sex_age(fixture_glotip(), "2025"), 10, 0.95)
    published = protected(records, codes=["USA"])
    tables = views.compared_tables(chosen, glotip, published)
    ctdc = views.country_year_shares(chosen, glotip, published, 0.95, tables)
    assert list(tables) == ["RUS"]
    table = tables["RUS"]
    assert table.partial == ("destination", "year", "gender")
    assert list(table.counts.index.unique("year")) == ["2015", "2017", "2018"]
    assert table.sum_text({"year": ["2017"], "gender": views.KNOWN_GENDERS}) == str(40 + 48)
    # Its female cells and known-gender totals are shown; with no transgender record, the
    # male ones follow from them.
    assert set(table.kinds()) == {"shown"}
    rus = ctdc.set_index(["exploitation_country", "year"]).loc["RUS"]
    assert rus.loc[2017, "female_share"] == pytest.approx(40 / 88)
    assert disclosure.exposed_cells([t.record() for t in tables.values()]) == []
    # The release holds them at the report's defaults: restored, they show the same; a
    # destination it lacks is an error, not a table protected on the side.
    held = {code: t.record() for code, t in tables.items()}
    again = views.compared_tables(chosen, glotip, published, held, "kanon_2021")
    assert again["RUS"].hidden.equals(table.hidden) and again["RUS"].sums == table.sums
    with pytest.raises(DataError, match="no table compared with GLOTIP for RUS"):
        views.compared_tables(chosen, glotip, published, {}, "kanon_2021")


# --- Does the trend hold? --------------------------------------------------------------------


def sensitivity_fixture(female=None, male=None) -> pd.DataFrame:
    """A small `trends.sensitivity` table: the report's model, quasi-Poisson and one without
    Poland; (irr, lower, upper) per row, women and men (men default: one row crossing 1)."""
    female = female or [(0.9, 0.85, 0.95), (0.92, 0.86, 0.98), (0.91, 0.85, 0.97)]
    male = male or [(1.1, 1.05, 1.15), (1.08, 0.97, 1.2), (1.12, 1.02, 1.22)]
    names = ["negative binomial (NB2), the report's model", "quasi-Poisson", "NB2 without POL"]
    rows = []
    for name, f, m in zip(names, female, male, strict=True):
        row = {"model": name, "n_obs": 24, "aic": 100.0 if "NB2" in name else np.nan, "note": ""}
        for gender, (irr, lo, hi) in (("female", f), ("male", m)):
            row |= {f"{gender}_irr": irr, f"{gender}_lower": lo, f"{gender}_upper": hi,
                    f"{gender}_p_value": 0.01}  # fmt: skip
        rows.append(row)
    return pd.DataFrame(rows)


def test_a_trend_is_stated_only_where_every_row_agrees():
    table = sensitivity_fixture()
    assert trends.robust_direction(table, "female") == "falling"
    assert views.robust_text(table, "female").startswith(
        "Records of women are **falling** under every model of the table (rate ratio per year "
        "0.90 to 0.92"
    )
    men = views.robust_text(table, "male")
    assert men.startswith("**No robust trend is found for men**: the rate ratio per year "
                          "ranges from 1.08 to 1.12")  # fmt: skip
    assert men.endswith("the rise under the report's model (1.10 (1.05–1.15)) does not hold "
                        "under quasi-Poisson.")  # fmt: skip
    # The report's model crossing 1: the rows that move it are named with their side.
    crossing = sensitivity_fixture(male=[(1.02, 0.95, 1.1), (1.1, 1.01, 1.2), (0.9, 0.85, 0.95)])
    text = views.robust_text(crossing, "male")
    assert "the report's model gives 1.02 (0.95–1.10), an interval that includes 1" in text
    assert "it is rising under quasi-Poisson; it is falling under NB2 without Poland." in text
    # Where the table leaves out destinations with few years, its first row says so, and so
    # does the sentence: it is not the model of the table above it.
    fewer = crossing.assign(model=crossing["model"].where(crossing.index > 0, (
        "negative binomial (NB2), the report's model, without the one destination with fewer "
        "than 3 years of records")))  # fmt: skip
    assert "the report's model on these destinations gives 1.02 (0.95–1.10)" in (
        views.robust_text(fewer, "male")
    )


def test_sensitivity_rows_in_words():
    models_ = [views.model_label(m) for m in sensitivity_fixture()["model"]]
    assert models_[1:] == ["quasi-Poisson", "NB2 without Poland"]
    assert views.ratio_text(np.nan, np.nan, np.nan) == "–"
    assert views.model_label("Poisson, standard errors clustered by destination") == (
        "Poisson with standard errors clustered by destination"
    )


def test_the_gender_mix_shift_in_words():
    share = {"irr": 0.852, "lower": 0.84, "upper": 0.86, "n_obs": 55}
    text = views.share_trend_text(share)
    assert "the odds that a record is female fell by **15% a year** (odds ratio 0.85 " in text
    assert "not about victims" in views.share_trend_text({**share, "irr": 1.2})
    assert "rose by **20% a year**" in views.share_trend_text({**share, "irr": 1.2})


def test_the_trend_sentence_states_only_a_robust_trend(fit):
    share = {"irr": 0.9, "lower": 0.85, "upper": 0.95, "n_obs": 12}
    female = fit.trend.set_index("gender").loc["female", "irr"]
    line = views.trend_sentence(fit, sensitivity_fixture(), share)
    assert line == (
        f"Yearly trend within the top destinations, under every model: records of "
        f"women {female - 1:+.1%} a year; no robust trend for men; within "
        "destinations the odds that a record is female fell by 10% a year"
    )
    # The gender mix's own second look: a direction only where every check agrees.
    unsettled = {**share, "clustered": {"irr": 0.9, "lower": 0.8, "upper": 1.02}, "robust": None}
    line = views.trend_sentence(fit, sensitivity_fixture(), unsettled)
    assert "fell" not in line.split("; ", 2)[-1] and line.endswith(
        "the gender mix within destinations has no direction that holds under every check "
        "(not errors clustered by destination)"
    )  # the check that crosses 1 is named
    failed = {**unsettled, "clustered": {"failed": "LinAlgError: singular matrix"}}
    assert views.unsettled_by(failed) == "errors clustered by destination (not fitted)"
    settled = {**unsettled, "clustered": {"irr": 0.9, "lower": 0.8, "upper": 0.97},
               "robust": "falling"}  # fmt: skip
    line = views.trend_sentence(fit, sensitivity_fixture(), settled)
    assert line.endswith("fell by 10% a year, under every check the report makes")
    both = sensitivity_fixture(female=[(0.9, 0.8, 1.01)] * 3)
    assert views.trend_sentence(fit, both, share).startswith(
        "No yearly trend for women or men holds across models;"
    )


def test_the_synthetic_release_gets_no_intervals_tests_or_models(records, chosen, published):
    assert releases.inference_allowed("kanon_2021")
    assert not releases.inference_allowed("synthetic_2021")
    level = None  # the notebook's level without inference: shares without intervals
    overall = views.overall_shares(chosen, published, level)
    per_dest = views.destination_shares(chosen, published, level)
    assert overall[["female_lower", "child_upper"]].isna().all()
    assert per_dest.filter(regex="_(lower|upper)$").isna().all().all()
    assert "(" not in views.row_share_text(overall, "child")
    assert views.year_shares(chosen, published, level).filter(regex="_lower$").isna().all().all()


def test_the_release_protects_the_selection_of_the_reports_defaults():
    """The release step holds the trends report's tables for its default parameters only: a
    scheduled run of the report slices the release only while the two agree."""
    import ast
    from pathlib import Path

    from analysis.run import steps

    notebook = Path(__file__).resolve().parents[1] / "notebooks" / "10_victim_trends.ipynb"
    defaults = {k: ast.literal_eval(v) for k, v in steps.notebook_parameters(notebook).items()}
    assert defaults["release"] == views.DEFAULT_RELEASE
    assert (defaults["year_min"], defaults["year_max"]) == views.DEFAULT_YEARS
    assert defaults["top_n"] == views.DEFAULT_TOP
    assert defaults["glotip_vintage"] == views.DEFAULT_GLOTIP
    assert (defaults["destinations"], defaults["region"]) == ([], "")


@pytest.mark.realdata
@pytest.mark.slow
def test_the_notebook_on_a_release_that_does_not_name_its_sources(tmp_path):
    """global_2020 has records of persons (intervals and a trend model) but no contributor per
    record: the US share stands in for the hotline's, and no hotline years are left out."""
    from executed_notebook import execute

    from analysis.data import paths

    run = execute("10_victim_trends", "10_victim_trends", {"release": "global_2020"}, tmp_path)
    results, said = run.results, run.said
    table = pd.read_parquet(paths.processed_dir() / "victims.parquet")
    rows = table[table["release"] == "global_2020"]
    assert rows["datasource"].isna().all()  # the branch: the release names no contributor
    chosen = rows[rows["year"].between(2002, 2021)]
    per_year = chosen.groupby(chosen["year"].astype(int))
    records = per_year.size()
    destinations = per_year["exploitation_country"].nunique()
    assert results["records"] == {"release": len(rows), "selected": len(chosen),
                                  "without_year": int(rows["year"].isna().sum())}  # fmt: skip
    assert results["destinations_by_year"] == {str(y): int(n) for y, n in destinations.items()}
    assert "hotline_share_by_year" not in results
    known = chosen["gender"].isin(["female", "male", "transgender_nonconforming"])
    female = results["female_share"]
    assert (female["count"], female["total"]) == (int((chosen["gender"] == "female").sum()),
                                                  int(known.sum()))  # fmt: skip
    assert female["lower"] < female["share"] < female["upper"]  # persons: with intervals
    # The selection sentence: the release's name, its records and intervals (no described-only).
    label = releases.CTDC["global_2020"].label
    selection = said("views.cell_words(counted")
    assert selection.startswith(f"**{label}**: {len(rows):,} records, of which **{len(chosen):,}**")
    assert f"({int(records.index.min())}-{int(records.index.max())} present)" in selection
    assert "Intervals are 95% Wilson intervals" in selection
    assert views.DESCRIBED_NOTE not in selection
    # The contributor note: the busiest year, and the US share as the closest proxy.
    peak = int(records.idxmax())
    note = said("the closest proxy.")  # the contributor mix note
    assert note.startswith(
        f"The busiest year, {peak}, holds {records.max() / records.sum():.0%} of all selected "
        f"records; {destinations.min()} to {destinations.max()} destination countries appear"
    )
    assert note.endswith(
        " This release does not say which contributor a record came from; the US share "
        "(hotline-dominated) is the closest proxy."
    )
    assert "Hotline records exist only" not in note and "hotline's share" not in note
    # The trend section: fitted, and its checks say why no hotline years are left out.
    assert results["trend_model"]["n_obs"] > 0
    checks = said("so no hotline years are left out")
    assert "the release does not name its sources, so no hotline years are left out" in checks
    assert not any("hotline years" in r["model"] for r in results["trend_sensitivity"])
    findings = said("Read with care")
    assert "**No trend model.**" not in findings and "- **Trend.** " in findings
