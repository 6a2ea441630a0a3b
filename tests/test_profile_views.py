"""What a country profile shows: ranked places with small cells collapsed, releases never
added, the generated paragraph never giving a small cell away, figures hiding what tables hide."""

import itertools
import re

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from analysis import profiles as pr
from analysis.data.errors import DataError
from analysis.publish import disclosure, plots
from analysis.publish import profile_views as pv
from analysis.publish.bounded import format_bounds

COUNTS = pd.DataFrame(
    {
        "release": ["kanon_2021"] * 6 + ["global_2020"] * 2,
        "place": ["RUS", "POL", "AUT", "GRC", "BLR", "unknown", "RUS", "POL"],
        "records": [800, 23, 4, 3, 33, 596, 751, 12],
    }
)


def test_ranked_places_collapse_small_cells_and_keep_domestic_and_unknown():
    table, _ = pv.ranked(COUNTS, "kanon_2021", "BLR", "destinations", threshold=10, top=5)
    assert table["place"].tolist() == ["RUS", "POL", "other countries (2)", "BLR", "unknown"]
    other = table.iloc[2]
    assert other["country"] == "other countries (2), each fewer than 10"
    assert other["records_text"] == "<10"  # 4 + 3 = 7: still a small cell
    # The total (1,459) is published, so the 7 needs a second hidden row: the smallest, Poland.
    assert table.iloc[1]["records_text"] == "(s)" and table.iloc[1]["share_text"] == "suppressed"
    known = 800 + 23 + 7 + 33
    assert table.iloc[0]["share"] == pytest.approx(800 / known)
    assert table.iloc[2]["share_text"] == "suppressed"
    assert table.iloc[-1]["share_text"] == ""  # unknown place has no share of known places
    share = round(800 / known, 4)
    assert pv.top_records(table) == [
        {"iso3": "RUS", "country": "Russia", "records": 800, "share_of_known": share}
    ]


def test_release_comparison_never_adds_releases():
    table = pv.release_comparison(COUNTS, "BLR", "destinations", threshold=10)
    assert list(table.columns) == ["CTDC K-anonymised release (2021)", "CTDC Global Dataset (2020)"]
    assert table.loc["Russia"].tolist() == ["800", "751"]
    assert table.loc["Poland"].tolist() == ["(s)", "12"]  # protects the 7 in the K-anon column
    other = [i for i in table.index if i.startswith("other countries")]
    assert other == ["other countries (2), each fewer than 10 in every release"]
    assert table.loc[other[0]].tolist() == ["<10", "–"]


def _paragraph(dest_counts: pd.DataFrame, orig_counts: pd.DataFrame, threshold: int = 10):
    """What the findings may state per role (`stated`), and the numbers notebook 40 states of
    it: the records and those naming a place (in words), the domestic count and the records of
    each foreign place shown."""
    dest, _ = pv.ranked(dest_counts, "kanon_2021", "BLR", "destinations", threshold)
    orig, _ = pv.ranked(orig_counts, "kanon_2021", "BLR", "origins", threshold)
    facts = {"destinations": pv.stated(dest, threshold), "origins": pv.stated(orig, threshold)}
    text = {}
    for role, said in facts.items():
        counts = [
            disclosure.count_words(n, threshold)
            for n in (said["records"], said["known"])
            if n is not None
        ]
        places = [f"{n:,}" for n in said["shown"]["records"].head(3)]
        text[role] = " ".join([*counts, said["domestic"] or "", *places])
    return facts, text, dest, orig


def _stated_counts(text: str) -> set[int]:
    """Counts the text states: numbers not part of a year range, a share or 'fewer than N'."""
    text = re.sub(r"(?i)\d{4}–\d{4}|\d+%|fewer than \d+|\(\d{4}\)", " ", text)
    return {int(n.replace(",", "")) for n in re.findall(r"\d[\d,]*", text)}


def _recoverable_small_cells(counts: pd.Series, stated: set[int], threshold: int) -> list[str]:
    """Small cells that a signed sum of stated numbers gives back: a cell is recoverable when
    its indicator lies in the span of the row sets whose sums are stated."""
    rows = list(counts.index)
    spans = [np.array(s, dtype=float) for s in itertools.product([0, 1], repeat=len(rows))
             if any(s) and int(np.dot(s, counts.to_numpy())) in stated]  # fmt: skip
    if not spans:
        return []
    basis = np.array(spans)
    rank = np.linalg.matrix_rank(basis)
    leaks = []
    for i, row in enumerate(rows):
        if 0 < counts.iloc[i] < threshold:
            unit = np.eye(len(rows))[i]
            if np.linalg.matrix_rank(np.vstack([basis, unit])) == rank:
                leaks.append(f"{row}={counts.iloc[i]}")
    return leaks


def test_a_paragraph_whose_total_gives_a_small_cell_away_is_refused():
    """16 records, 4 of them domestic: Ukraine's 12 hidden as `(s)` is known to be 10 or more,
    so the 16 would leave at most 6 domestic records: no cell can protect them."""
    origins = pd.DataFrame({"release": ["kanon_2021"] * 2, "place": ["BLR", "UKR"],
                            "records": [4, 12]})  # fmt: skip
    with pytest.raises(disclosure.DisclosureError, match="give it away"):
        _paragraph(COUNTS, origins)


def test_the_paragraph_states_small_counts_as_fewer_than_n():
    origins = pd.DataFrame({"release": ["kanon_2021"] * 3, "place": ["BLR", "UKR", "POL"],
                            "records": [4, 12, 30]})  # fmt: skip
    facts, stated, _, orig = _paragraph(COUNTS, origins)
    assert (facts["destinations"]["records"], facts["destinations"]["known"]) == (1459, 863)
    # 800 / 863 known; Poland protects the other 7, so Russia alone is named
    assert facts["destinations"]["shown"]["place"].tolist() == ["RUS"]
    assert facts["destinations"]["shown"]["share"].tolist() == [pytest.approx(800 / 863)]
    assert facts["origins"]["records"] == 46
    assert facts["origins"]["domestic"] == "fewer than 10"
    by_place = orig.set_index("place")["records"]
    assert _recoverable_small_cells(by_place, _stated_counts(stated["origins"]), 10) == []
    assert _recoverable_small_cells(by_place, {46, 12, 30}, 10) == ["BLR=4"]  # all stated


@settings(max_examples=20, deadline=None)
@given(
    st.lists(st.integers(0, 400), min_size=6, max_size=6),
    st.lists(st.integers(0, 60), min_size=4, max_size=4),
    st.integers(5, 12),
)
@example(dest=[0] * 6, orig=[1, 3, 5, 0], threshold=5)  # 9 records, 5 domestic: other places 4
def test_no_combination_of_stated_numbers_gives_a_small_cell_back(dest, orig, threshold):
    """Destinations RUS, POL, DEU, AUT, BLR (domestic), unknown; origins UKR, RUS, BLR, unknown.
    The findings (from the summary facts) and the ranked tables state counts; none of their
    signed sums may equal a small cell of either table."""
    places = ["RUS", "POL", "DEU", "AUT", "BLR", "unknown"]
    dest_counts = pd.DataFrame({"release": "kanon_2021", "place": places, "records": dest})
    orig_counts = pd.DataFrame({"release": "kanon_2021", "place": ["UKR", "RUS", "BLR", "unknown"],
                                "records": orig})  # fmt: skip
    dest_counts = dest_counts[dest_counts["records"] > 0]
    orig_counts = orig_counts[orig_counts["records"] > 0]
    try:
        _, parts, dest_table, orig_table = _paragraph(dest_counts, orig_counts, threshold)
    except disclosure.DisclosureError as refused:  # nothing is published: safe
        assert "cannot be protected" in str(refused) or "give it away" in str(refused)
        return
    for role, table in (("destinations", dest_table), ("origins", orig_table)):
        if table.empty:
            continue
        # The cells themselves: a row of other countries is the sum of its places, which may
        # be known while each of its small places keeps its range (the rule's one exception).
        cells = {}
        for _, row in table.iterrows():
            cells.update(row["members"] or {row["place"]: row["records"]})
        by_row = pd.Series(cells)
        shown = {int(n) for n, t in zip(table["records"], table["records_text"], strict=True)
                 if not t.startswith("<") and t != "(s)"}  # fmt: skip
        stated = _stated_counts(parts[role]) | shown
        assume(
            len({int(np.dot(s, by_row)) for s in itertools.product([0, 1], repeat=len(by_row))})
            == 2 ** len(by_row)
        )  # distinct subset sums: a stated number names one set
        assert _recoverable_small_cells(by_row, stated, threshold) == [], (parts, table)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.lists(st.integers(0, 40), min_size=3, max_size=3), min_size=1, max_size=5),
    st.integers(2, 12),
)
def test_the_heatmap_hides_every_cell_its_table_hides(cells, threshold):
    counts = pd.DataFrame(cells, columns=["female", "male", "unknown"])
    try:
        hidden = disclosure.hidden_cells(counts, threshold, "rows")
    except disclosure.DisclosureError:  # the totals alone give a cell away: no heatmap
        return
    table = disclosure.cell_text(counts, hidden, threshold)
    fig, ax = plt.subplots()
    mesh = plots.count_heatmap(ax, counts, threshold, hidden=hidden)
    labels = np.array([t.get_text() for t in ax.texts]).reshape(counts.shape)
    image = np.ma.getmaskarray(mesh.get_array()).reshape(counts.shape)
    plt.close(fig)
    table_hidden = table.isin([f"<{threshold}", "(s)"]).to_numpy()
    assert (labels == table.to_numpy()).all()
    assert image[table_hidden].all()  # no colour for a hidden cell
    assert not image[~table_hidden].any()


def test_places_are_named_with_domestic_and_unknown_said_in_words():
    assert pv.place_label("RUS", "BLR", "destinations") == "Russia"
    assert pv.place_label("BLR", "BLR", "destinations") == "Belarus (within the country)"
    assert pv.place_label("BLR", "BLR", "origins") == "Belarus (the country's own citizens)"
    assert pv.place_label("unknown", "BLR", "origins") == "citizenship unknown"
    table = pd.DataFrame({"RUS": [1], "other foreign": [2]})
    renamed = pv.readable_places(table, "BLR", "destinations", axis="columns")
    assert list(renamed.columns) == ["Russia", "other foreign"]


def records_by_release(counts: pd.DataFrame) -> dict[str, str]:
    """Each release's total as its comparison table publishes it, as notebook 40 records it."""
    tables = pv.comparison_tables(counts, "BLR", "destinations", 10)
    return {release: table.sum_text({}, words=True) for release, table in tables.items()}


def test_records_by_release_state_small_totals_in_words():
    assert records_by_release(COUNTS) == {"global_2020": "763", "kanon_2021": "1,459"}
    small = COUNTS.assign(records=[1, 1, 1, 1, 1, 1, 800, 3])
    assert records_by_release(small) == {"global_2020": "803", "kanon_2021": "fewer than 10"}


def test_a_total_that_would_give_a_small_place_away_is_withheld():
    # Canada in the synthetic release: 6 records in the USA, 11 of unknown place. With 17
    # published, hiding the 11 as "(s)" (at least 10) would still bound the 6 below 8.
    counts = pd.DataFrame(
        {"release": ["synthetic_2021"] * 2, "place": ["USA", "unknown"], "records": [6, 11]}
    )
    table = pv.comparison_tables(counts, "CAN", "destinations", 10)["synthetic_2021"]
    assert table.hidden.tolist() == [True, True]
    assert table.sum_text({}, words=True) == "an undisclosed number"
    assert disclosure.exposed_cells([table.record()]) == []
    with pytest.raises(disclosure.DisclosureError, match="sums published elsewhere"):
        disclosure.protect("t", "p", table.counts, threshold=10, partial=("place",), shared=({},))


def test_a_map_lists_its_places_as_its_table_shows_them():
    values = pd.Series({"RUS": 800, "MLT": 3, "SGP": 12})
    table = disclosure.protect("map", "p", pv.map_counts(values), threshold=10)
    assert pv.map_text(values, table).to_dict() == {"RUS": "800", "MLT": "<10", "SGP": "12"}


def test_the_small_cell_text_needs_a_threshold():
    with pytest.raises(ValueError, match="at least 1"):
        disclosure.small_text(0)


def ranked_of(totals: dict[str, int], threshold: int = 10) -> pv.Places:
    counts = pd.DataFrame({"release": "kanon_2021", "place": list(totals),
                           "records": list(totals.values())})  # fmt: skip
    return pv.places(counts, "kanon_2021", "BLR", "destinations", threshold, 5, [2019, 2021])


def test_the_timeline_leaves_out_every_point_its_table_hides():
    timeline = pd.DataFrame(
        {"RUS": [40, 3, 25], "POL": [12, 15, 11]}, index=pd.Index([2019, 2020, 2021], name="year")
    ).rename_axis(columns="place")
    places = ranked_of({"RUS": 68, "POL": 38})
    table = places.breakdown("t", timeline.stack())
    assert table.shared == 2 and table.population == places.table.population
    fig = pv.over_time_figure(timeline, table, "BLR", "destinations", title="t", source="Source: x")
    lines = {line.get_label(): line.get_ydata() for line in fig.axes[0].get_lines()}
    texts = " ".join(t.get_text() for t in fig.texts)
    plt.close(fig)
    assert "Counts the table hides (<10, (s)) not drawn" in texts
    # 3 is small; the ranked table publishes Russia's total, so 25 (the smallest other) hides.
    assert np.isnan(lines["Russia"][1]) and np.isnan(lines["Russia"][2])
    assert lines["Russia"][0] == 40 and list(lines["Poland"]) == [12, 15, 11]
    shown = disclosure.cell_text(timeline, pv.hidden_like(table, "place", timeline), 10)
    assert shown["RUS"].tolist() == ["40", "<10", "(s)"]
    assert shown.loc[2020].tolist() == ["<10", "15"]
    places.check()
    assert disclosure.exposed_cells([t.record() for t in places.tables()]) == []


def test_the_heatmaps_come_with_the_tables_they_show():
    gender = pd.DataFrame({"female": [30, 4], "male": [20, 40]}, index=["RUS", "unknown"])
    gender = gender.rename_axis(index="place", columns="gender")
    places = ranked_of({"RUS": 50, "unknown": 44})
    form = gender.rename_axis(columns="form").rename(columns={"female": "sexual exploitation",
                                                              "male": "forced labour"})  # fmt: skip
    groups = {"gender": gender, "form": form}
    tables = {c: places.breakdown(f"by {c}", g.stack()) for c, g in groups.items()}
    fig, shown = pv.group_heatmaps(groups, tables, ["RUS"], "BLR", "destinations", title="t",
                                   source="Source: x")  # fmt: skip
    labels = [t.get_text() for t in fig.axes[0].texts]
    texts = " ".join(t.get_text() for t in fig.texts)
    plt.close(fig)
    assert "Cells below 10 shown as <10; (s): hidden to protect one" in texts
    assert list(shown) == ["gender", "form"]
    assert shown["gender"].loc["place of exploitation unknown"].tolist() == ["<10", "(s)"]
    assert labels == ["30", "20", "<10", "(s)"]


def test_a_place_the_ranked_table_hides_is_hidden_in_every_breakdown():
    """Poland is hidden in the ranked table (to protect the 7 records of the other places):
    a breakdown showing all of Poland's cells would add up to it."""
    places = pv.places(COUNTS, "kanon_2021", "BLR", "destinations", 10, 5, [2002, 2021])
    assert places.ranked.set_index("place").loc["POL", "records_text"] == "(s)"
    cells = {"RUS": [800, 0], "POL": [12, 11], "other foreign": [7, 0], "BLR": [33, 0],
             "unknown": [500, 96]}  # fmt: skip
    by_year = pd.DataFrame(cells, index=pd.Index([2019, 2020], name="year")).rename_axis(
        columns="place"
    )
    table = places.breakdown("by year", by_year.stack())
    kinds = table.kinds()
    assert kinds[(2019, "POL")] == kinds[(2020, "POL")] == "secondary"
    places.check()
    assert disclosure.exposed_cells([t.record() for t in places.tables()]) == []


def test_the_profile_populations_and_the_release_comparison_tables():
    places = pv.places(COUNTS, "kanon_2021", "BLR", "destinations", 10, 5, [2002, 2021])
    assert places.table.population == "CTDC kanon_2021: records of citizens of BLR registered " \
        "2002–2021"  # fmt: skip
    assert pv.population("global_2020", "BLR", "origins", [2002, 2021]) == (
        "CTDC global_2020: records of people exploited in BLR registered 2002–2021"
    )
    kanon = places.comparison["kanon_2021"]
    assert kanon.population == places.table.population and kanon.partial == ("place",)
    assert kanon.kinds()[("POL",)] == "secondary"  # hidden in the ranked table: here too
    assert places.comparison["global_2020"].population.startswith("CTDC global_2020: ")
    text = pv.release_comparison(COUNTS, "BLR", "destinations", 10, places.comparison)
    assert text.loc["Poland"].tolist() == ["(s)", "12"]


def test_the_map_hides_what_protects_a_small_place():
    """Austria (4) and Greece (3) are the other foreign places, 7 together: the map shows each
    as fewer than 10; Cyprus (15) in the other places too would give their sum away less
    Cyprus, so the map hides it (not drawn)."""
    counts = pd.concat([COUNTS, pd.DataFrame({"release": ["kanon_2021"], "place": ["CYP"],
                                              "records": [15]})])  # fmt: skip
    places = pv.places(counts, "kanon_2021", "BLR", "destinations", 10, 1, [2002, 2021])
    foreign = pd.Series({"RUS": 800, "POL": 23, "AUT": 4, "GRC": 3, "CYP": 15})
    table = places.map_table("map", pv.map_counts(foreign))
    kinds = table.kinds()
    assert kinds[("AUT",)] == kinds[("GRC",)] == "small"
    fig, info = pv.place_map(foreign, "BLR", 10, title="t", source="s", extent="auto", table=table)
    plt.close(fig)
    secondary = {c for (c,), k in kinds.items() if k == "secondary"}
    assert secondary and set(info.classes) == set(foreign.index) - secondary
    shown = pv.map_text(foreign, table)
    assert shown["AUT"] == shown["GRC"] == "<10" and shown["RUS"] == "800"
    places.check()
    assert disclosure.exposed_cells([t.record() for t in places.tables()]) == []


def test_the_profile_tables_and_the_cleaning_tables_of_the_release_pass_the_audit():
    """A profile counts the records of one country's citizens: another population than the
    release's margins of the whole release, audited together all the same."""
    from test_victims import fixture_records

    from analysis import victims as vic
    from analysis.publish import release as rel

    records = vic.add_groups(fixture_records())
    cleaning = rel.margin_tables(records, "gender")
    places = pv.places(COUNTS, "kanon_2021", "BLR", "destinations", 10, 5, [2002, 2021])
    tables = [*places.tables(), *cleaning.values()]
    assert {t.population for t in tables} >= {vic.population("kanon_2021"),
                                              places.table.population}  # fmt: skip
    assert disclosure.exposed_cells([t.record() for t in tables]) == []


def test_glotip_tables_show_ranges_for_suppressed_cells():
    series = pd.DataFrame(
        {"scope": ["country", "country", "rest of Eastern Europe"],
         "indicator": ["victims", "victims", "victims"], "year": [2020, 2021, 2021],
         "lower": [12, 1, 50], "upper": [12, 4, 53], "rate_lower": [0.125, 0.01, 0.2],
         "rate_upper": [0.125, 0.04, 0.21], "no_population": ["", "", "UKR, MDA"]}
    )  # fmt: skip
    table = pv.enforcement_table(series)
    assert table.loc[2021].tolist() == ["1–4", "0.01–0.04"]
    assert table.loc[2020].tolist() == ["12", "0.12"]
    both = pv.enforcement_table(series.assign(indicator=["victims", "prosecuted", "victims"]))
    assert list(both.columns) == [
        "detected victims", "detected victims per 100,000", "persons prosecuted",
        "persons prosecuted per 100,000",
    ]  # fmt: skip
    assert both.loc[2021].tolist() == ["", "", "1–4", "0.01–0.04"]  # no figure: '–' on the page


def test_a_ranked_table_for_the_reader():
    table, _ = pv.ranked(COUNTS, "kanon_2021", "BLR", "destinations", threshold=10, top=5)
    shown = table.set_index("country")[["records_text", "share_text"]]
    assert shown.loc["place of exploitation unknown"].tolist() == ["596", ""]  # '–' on the page
    assert shown.loc["Poland"].tolist() == ["(s)", "suppressed"]


@pytest.mark.parametrize(
    ("share", "text"),
    [(27 / 10_000, "<1%"), (0.0, "0%"), (0.9996, ">99%"), (1.0, "100%"), (0.004, "<1%")],
)
def test_a_share_that_rounds_to_0_or_100_but_is_neither_says_so(share, text):
    from analysis.publish import disclosure

    assert disclosure.share_text(share, digits=0) == text


# --- Caseloads of one year or one programme, and crisis years ---------------------------------


def _timeline_table(timeline: pd.DataFrame, threshold: int = 10):
    """The over-time table protected with its row and column totals published."""
    counts = timeline.stack()
    sums = disclosure.margins(counts, [("year",), ("place",)])
    return disclosure.protect("Records by year and place", "p", counts, sums, threshold)


def test_a_place_whose_records_are_mostly_of_one_year_is_marked_so():
    timeline = pd.DataFrame(
        {"MLI": [32, 412, 95, 15], "RUS": [0, 0, 108, 0], "LBY": [40, 45, 40, 0],
         "GHA": [0, 8, 1, 0]},
        index=pd.Index([2018, 2019, 2020, 2021], name="year"),
    ).rename_axis(columns="place")  # fmt: skip
    marks = pv.one_year_marks(timeline, _timeline_table(timeline))
    # 412 of 554 (74%) and 108 of 108; Libya's largest year is 36%; Ghana's 8 is a small cell.
    assert marks == {"MLI": "412 registered in 2019", "RUS": "all registered in 2020"}
    assert pv.one_year_marks(timeline.iloc[:0], None) == {}


def test_a_one_year_mark_never_states_a_cell_its_table_hides():
    timeline = pd.DataFrame(
        {"MLI": [30, 2], "RUS": [4, 40]}, index=pd.Index([2019, 2020], name="year")
    ).rename_axis(columns="place")
    table = _timeline_table(timeline)
    assert table.hidden.any()  # the 4 is small; with the totals published, the 30 is hidden too
    hidden = pv.hidden_like(table, "place", timeline)
    assert bool(hidden.at[2019, "MLI"])
    assert "MLI" not in pv.one_year_marks(timeline, table)


def _context(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=pr.CONTEXT_COLUMNS)
    return frame.astype({"first_year": "Int64", "last_year": "Int64"})


def test_cited_notes_meet_the_years_and_the_country_they_concern():
    context = _context([
        {"iso3": "BLR", "role": "destinations", "place": "RUS", "first_year": 2015,
         "last_year": 2019, "short": "one programme", "note": "one shelter's cases",
         "source": "A cited source"},
        {"iso3": "BLR", "role": "glotip", "place": None, "first_year": 2022, "last_year": 2022,
         "short": "war year", "note": "a year of war", "source": "Another source"},
        {"iso3": "BLR", "role": "glotip", "place": None, "first_year": 2010, "last_year": 2011,
         "short": "old", "note": "an old crisis", "source": "S"},
        {"iso3": "UKR", "role": "destinations", "place": "RUS", "first_year": 2015,
         "last_year": 2019, "short": "other country", "note": "not Belarus", "source": "S"},
    ])  # fmt: skip
    assert pr.context_for(context, "BLR", "destinations", [2002, 2022])["short"].tolist() == [
        "one programme"
    ]
    assert pr.context_for(context, "BLR", "glotip", [2022, 2022])["short"].tolist() == ["war year"]
    assert pr.context_for(context, "BLR", "destinations", [2020, 2022]).empty


def test_the_last_glotip_figures_with_the_regions_rate():
    series = pd.DataFrame(
        {
            "scope": ["country", "country", "rest of Eastern Europe"],
            "indicator": ["victims"] * 3,
            "year": [2021, 2022, 2022],
            "lower": [200, 1, 50],
            "upper": [200, 4, 53],
            "rate_lower": [2.2, 0.01, 0.2],
            "rate_upper": [2.2, 0.04, 0.21],
        }
    )
    assert pv.glotip_latest(series) == {
        "victims": {
            "year": 2022,
            "count": "1–4",
            "rate": "0.01–0.04",
            "rate_bounds": [0.01, 0.04],
            "region_rate": "0.20–0.21",
            "region": "rest of Eastern Europe",
            "check": None,
        }
    }
    assert pv.glotip_latest(series.iloc[:0]) is None


def test_the_cited_notes_are_valid_and_the_nga_and_ukr_rows_are_there():
    notes = pr.context_notes()
    keys = set(zip(notes["iso3"], notes["role"], notes["place"].fillna(""), strict=True))
    assert {("NGA", "destinations", "MLI"), ("UKR", "glotip", "")} <= keys
    assert notes["source_address"].str.startswith("https://").all()


@pytest.mark.parametrize(
    ("line", "column"),
    [
        ("XXX,glotip,,2022,2022,s,n,src,https://a", "iso3"),
        ("UKR,glotip,,2023,2022,s,n,src,https://a", "first > last year"),
        ("UKR,glotip,,2022,2022,s,n,src,http://a", "source_address"),
        ("UKR,somewhere,,2022,2022,s,n,src,https://a", "role"),
    ],
)
def test_a_bad_cited_note_is_an_error_naming_file_column_and_line(tmp_path, line, column):
    path = tmp_path / "caseload_context.csv"
    path.write_text(",".join(pr.CONTEXT_COLUMNS) + "\n" + line + "\n")
    with pytest.raises(DataError, match=re.escape(str(path))) as caught:
        pr.context_notes(path)
    assert column in str(caught.value)


def test_the_release_holds_the_profiles_breakdowns_at_the_notebooks_defaults():
    """A scheduled profile slices the release only while its defaults are the release's."""
    import ast
    from pathlib import Path

    from analysis.publish import release as rel
    from analysis.run import steps

    notebook = Path(__file__).resolve().parents[1] / "notebooks" / "40_country_profile.ipynb"
    defaults = {k: ast.literal_eval(v) for k, v in steps.notebook_parameters(notebook).items()}
    assert (defaults["release"], defaults["top_n"]) == (pv.DEFAULT_RELEASE, pv.DEFAULT_TOP)
    assert tuple(defaults["years"]) == rel.YEARS
    assert defaults["min_cell"] == disclosure.DEFAULT_THRESHOLD


def profile_parts(iso3: str):
    """A profile's places and breakdown counts at the defaults, as notebook 40 makes them."""
    from analysis.publish import release as rel

    released = rel.load()
    records = pr.load_victims(iso3, rel.YEARS)
    counts, (dest, orig) = pv.both_places(records, pv.DEFAULT_RELEASE, iso3, 10, pv.DEFAULT_TOP,
                                          rel.YEARS, released)  # fmt: skip
    parts = pv.part_counts(records, iso3, pv.DEFAULT_RELEASE, pv.main_places(dest.ranked), *counts)
    held = released.held("profiles", pv.profile_key(iso3, pv.DEFAULT_RELEASE, pv.DEFAULT_TOP))
    return dest, orig, parts, held


def test_a_profile_at_its_defaults_shows_its_breakdowns_as_the_release_holds_them():
    dest, orig, parts, held = profile_parts("NGA")
    # K-anon names no foreign citizen exploited in Nigeria: no origins map, no table of it.
    assert parts["origins_map"].empty
    assert set(held) == {"over_time", "gender", "form", "destinations_map"}
    restored = pv.protect_parts(parts, dest, orig, held)
    assert {p: t.record() for p, t in restored.items()} == held
    assert int(restored["destinations_map"].counts.sum()) == int(parts["destinations_map"].sum())
    dest.check()  # restored, the page's tables still fix nothing small together
    dest, orig, parts, _ = profile_parts("NGA")  # protected here, as an exploration would
    alone = pv.protect_parts(parts, dest, orig, None)
    assert {p: t.record() for p, t in alone.items()} == held


def test_a_release_without_a_profiles_breakdown_is_an_error():
    dest, orig, parts, held = profile_parts("NGA")
    with pytest.raises(DataError, match="holds no gender table.*re-run the release step"):
        pv.protect_parts(parts, dest, orig, {k: v for k, v in held.items() if k != "gender"})


def test_the_glotip_records_hold_what_the_profile_shows_of_glotip():
    """The audit reads the GLOTIP figures a profile publishes: its own totals as the
    enforcement table shows them, and each detected-abroad sum as the page prints it."""
    from analysis import enforcement as en
    from analysis.data import population as wpp

    glotip, years = en.load_glotip("2025"), [2002, 2022]
    series = pr.enforcement_series(glotip, wpp.load(), "BLR", years)
    abroad = pr.detected_abroad(glotip, "BLR", years)
    own, detected = pv.glotip_records(glotip, series, abroad, "BLR", years, "2025")
    table = pv.enforcement_table(series)
    shown = {(c["key"][0], c["key"][3]): c["shown"] for c in own["cells"]}
    victims = table[en.LABELS["victims"]].str.rstrip(" *†")
    for year, text in victims[victims != ""].items():
        assert str(shown[("victims", str(year))]).replace("<5", "1–4") == text.replace(",", "")
    sums = {s["of"]["iso3"][0]: str(s["shown"]) for s in detected["sums"]}
    page = abroad.head(pv.ABROAD_ROWS)  # as notebook 40 prints them
    assert len(sums) == len(page) > 0
    for iso3, text in zip(page["iso3"], format_bounds(page["lower"], page["upper"]), strict=True):
        assert sums[iso3].replace(",", "") == text.replace(",", "")
    assert detected["population"] == "GLOTIP 2025: victims with the citizenship of BLR " \
        "detected abroad"  # fmt: skip
    assert disclosure.exposed_cells([own, detected]) == []


def test_a_release_made_before_it_held_profiles_is_an_error_not_an_exploration():
    from analysis.publish import release as rel

    assert pv.held_parts(None, "NGA", pv.DEFAULT_RELEASE, pv.DEFAULT_TOP) is None
    older = rel.Released((2002, 2022), 10, {}, {}, {"trends": {}})
    with pytest.raises(DataError, match="holds no country profile's tables.*re-run"):
        pv.held_parts(older, "NGA", pv.DEFAULT_RELEASE, pv.DEFAULT_TOP)
    released = rel.load()
    assert pv.held_parts(released, "NGA", "global_2020", pv.DEFAULT_TOP) is None  # exploration
    assert set(pv.held_parts(released, "NGA", pv.DEFAULT_RELEASE, pv.DEFAULT_TOP)) == {
        "over_time", "gender", "form", "destinations_map"}  # fmt: skip


def test_a_profile_from_an_earlier_export_names_what_the_latest_revised():
    revised = pr.revised_totals("UKR", [2003, 2022], "2023")
    assert revised.to_dict("records") == [
        {"indicator": "victims", "year": 2019, "before": 1345, "after": 262},
        {"indicator": "victims", "year": 2020, "before": 1680, "after": 219},
    ]  # the 2025 export's figures, against those of 30 May 2023
    assert pr.revised_totals("UKR", [2003, 2022], "2025").empty  # the latest revises nothing
    assert pr.revised_totals("BLR", [2003, 2022], "2023").empty
