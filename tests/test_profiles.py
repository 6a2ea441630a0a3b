"""Country profiles: ranked places with small cells collapsed, releases never added, the
generated paragraph, GLOTIP rates, and the real profile notebook fanned out over three countries."""

import itertools
import json
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from analysis import enforcement as en
from analysis import profiles
from analysis.data import paths
from analysis.data import population as wpp
from analysis.run import runner
from analysis.run.runner import RunOptions

COUNTS = pd.DataFrame(
    {
        "release": ["kanon_2021"] * 6 + ["global_2020"] * 2,
        "place": ["RUS", "POL", "AUT", "GRC", "BLR", "unknown", "RUS", "POL"],
        "records": [800, 23, 4, 3, 33, 596, 751, 12],
    }
)


def test_ranked_places_collapse_small_cells_and_keep_domestic_and_unknown():
    table = profiles.ranked(COUNTS, "kanon_2021", "BLR", "destinations", threshold=10, top=5)
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
    assert profiles.top_records(table) == [
        {"iso3": "RUS", "country": "Russia", "records": 800, "share_of_known": share}
    ]


def test_release_comparison_never_adds_releases():
    table = profiles.release_comparison(COUNTS, "BLR", "destinations", threshold=10)
    assert list(table.columns) == ["CTDC K-anonymised release (2021)", "CTDC Global Dataset (2020)"]
    assert table.loc["Russia"].tolist() == ["800", "751"]
    assert table.loc["Poland"].tolist() == ["(s)", "12"]  # protects the 7 in the K-anon column
    other = [i for i in table.index if i.startswith("other countries")]
    assert other == ["other countries (2), each fewer than 10 in every release"]
    assert table.loc[other[0]].tolist() == ["<10", "–"]


def _paragraph(dest_counts: pd.DataFrame, orig_counts: pd.DataFrame, threshold: int = 10):
    dest = profiles.ranked(dest_counts, "kanon_2021", "BLR", "destinations", threshold)
    orig = profiles.ranked(orig_counts, "kanon_2021", "BLR", "origins", threshold)
    empty = pd.DataFrame(columns=["scope", "indicator", "year", "lower", "upper"])
    facts = profiles.summary_facts("BLR", "kanon_2021", [2002, 2021], dest, orig, empty,
                                   pd.DataFrame(), threshold)  # fmt: skip
    return profiles.summary_paragraph(facts), dest, orig


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


def test_the_paragraph_states_small_counts_as_fewer_than_n():
    origins = pd.DataFrame({"release": ["kanon_2021"] * 2, "place": ["BLR", "UKR"],
                            "records": [4, 12]})  # fmt: skip
    text, _, orig = _paragraph(COUNTS, origins)
    assert "1,459 records registered in 2002–2021 concern citizens of Belarus" in text
    assert "Russia (800, 93%)." in text  # 800 / 863 known; Poland protects the other 7
    assert "Poland" not in text
    assert "16 records name Belarus as the place of exploitation; fewer than 10 of them" in text
    assert "Ukraine" not in text  # 16 - 12 would give the 4 domestic records away
    assert "GLOTIP publishes no enforcement totals for Belarus" in text
    by_place = orig.set_index("place")["records"]
    assert _recoverable_small_cells(by_place, _stated_counts(text), 10) == []
    assert _recoverable_small_cells(by_place, {16, 12}, 10) == ["BLR=4"]  # the old paragraph


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 400), min_size=6, max_size=6),
    st.lists(st.integers(0, 60), min_size=4, max_size=4),
    st.integers(5, 12),
)
def test_no_combination_of_stated_numbers_gives_a_small_cell_back(dest, orig, threshold):
    """Destinations RUS, POL, DEU, AUT, BLR (domestic), unknown; origins UKR, RUS, BLR, unknown.
    The paragraph and the ranked tables state counts; none of their signed sums may equal a
    small cell of either table."""
    places = ["RUS", "POL", "DEU", "AUT", "BLR", "unknown"]
    dest_counts = pd.DataFrame({"release": "kanon_2021", "place": places, "records": dest})
    orig_counts = pd.DataFrame({"release": "kanon_2021", "place": ["UKR", "RUS", "BLR", "unknown"],
                                "records": orig})  # fmt: skip
    dest_counts = dest_counts[dest_counts["records"] > 0]
    orig_counts = orig_counts[orig_counts["records"] > 0]
    text, dest_table, orig_table = _paragraph(dest_counts, orig_counts, threshold)
    sentences = re.split(r"(?<=\.) ", text)
    about_origins = [" as the place of exploitation" in x for x in sentences]
    parts = {
        "destinations": " ".join(x for x, o in zip(sentences, about_origins, strict=True) if not o),
        "origins": " ".join(x for x, o in zip(sentences, about_origins, strict=True) if o),
    }
    for role, table in (("destinations", dest_table), ("origins", orig_table)):
        if table.empty:
            continue
        by_row = table.set_index("place")["records"]
        shown = {int(n) for n, t in zip(table["records"], table["records_text"], strict=True)
                 if not t.startswith("<") and t != "(s)"}  # fmt: skip
        stated = _stated_counts(parts[role]) | shown
        assume(
            len({int(np.dot(s, by_row)) for s in itertools.product([0, 1], repeat=len(by_row))})
            == 2 ** len(by_row)
        )  # distinct subset sums: a stated number names one set
        assert _recoverable_small_cells(by_row, stated, threshold) == [], (text, table)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.lists(st.integers(0, 40), min_size=3, max_size=3), min_size=1, max_size=5),
    st.integers(2, 12),
)
def test_the_heatmap_hides_every_cell_its_table_hides(cells, threshold):
    import matplotlib.pyplot as plt

    from analysis.publish import disclosure, plots

    counts = pd.DataFrame(cells, columns=["female", "male", "unknown"])
    table = disclosure.suppress_table(counts, threshold, lines="rows")
    fig, ax = plt.subplots()
    hidden = disclosure.hidden_cells(counts, threshold, "rows")
    mesh = plots.count_heatmap(ax, counts, threshold, hidden=hidden)
    labels = np.array([t.get_text() for t in ax.texts]).reshape(counts.shape)
    image = np.ma.getmaskarray(mesh.get_array()).reshape(counts.shape)
    plt.close(fig)
    table_hidden = table.isin([f"<{threshold}", "(s)"]).to_numpy()
    assert (labels == table.to_numpy()).all()
    assert image[table_hidden].all()  # no colour for a hidden cell
    assert not image[~table_hidden].any()


def test_bad_country_codes_are_refused():
    with pytest.raises(ValueError, match="'BY' is not an ISO 3166-1 alpha-3 code"):
        profiles.check_iso3("BY")
    assert profiles.check_iso3(" blr") == "BLR"


def test_countries_with_data_are_sorted_iso3_codes():
    codes = profiles.countries_with_data()
    assert codes == sorted(set(codes))
    assert {"BLR", "UKR", "MDA", "TUV", "MUS"} <= set(codes)
    assert all(len(c) == 3 and c.isupper() for c in codes)
    victims = pd.read_parquet(paths.processed_dir() / "victims.parquet", columns=["citizenship"])
    assert set(victims["citizenship"].dropna()) - {"XKX"} <= set(codes) | {"XKX"}


def test_belarus_rates_per_100k_and_the_rest_of_its_region():
    glotip = en.load_glotip("2025")
    population = wpp.load()
    series = profiles.enforcement_series(glotip, population, "BLR", [2009, 2009])
    row = series[(series["scope"] == "country") & (series["indicator"] == "prosecuted")].iloc[0]
    pop = population[(population["iso3"] == "BLR") & (population["year"] == 2009)]["population"]
    assert row["value"] == 154
    assert row["rate"] == pytest.approx(154 / int(pop.iloc[0]) * 100_000)
    assert set(series["scope"]) == {"country", "rest of Eastern Europe"}
    rest = series[series["scope"] == "rest of Eastern Europe"]
    assert (rest["n_countries"] >= 1).all()


# --- The real notebook, fanned out over three countries (one run, in parallel) ----------------

FAN = ["BLR", "MUS", "TUV"]  # Belarus; Mauritius and Tuvalu: small island states, little data


@pytest.fixture(scope="module")
def fanned(tmp_path_factory):
    root = tmp_path_factory.mktemp("reports")
    options = RunOptions(only=["40_country_profile"], fan_out={"iso3": FAN}, jobs=3,
                         reports_root=root)  # fmt: skip
    status, run_dir = runner.run(options)
    assert status == 0
    results = {c: json.loads((run_dir / f"results/40_country_profile-{c}.json").read_text())
               for c in FAN}  # fmt: skip
    return run_dir, {c: r["results"] for c, r in results.items()}


def test_a_fan_out_of_three_countries_renders_three_reports(fanned):
    run_dir, results = fanned
    for code in FAN:
        assert (run_dir / f"40_country_profile-{code}.html").is_file()
        assert results[code]["iso3"] == code
        assert results[code]["summary"]
    assert (run_dir / "figures/40_country_profile-BLR/destinations_map.png").is_file()


def test_belarus_profile_names_its_top_destinations_from_the_data(fanned):
    _, results = fanned
    top = results["BLR"]["top_destinations"]
    columns = ["release", "citizenship", "exploitation_country"]
    victims = pd.read_parquet(paths.processed_dir() / "victims.parquet", columns=columns)
    mine = victims[(victims["release"] == "kanon_2021") & (victims["citizenship"] == "BLR")]
    foreign = mine["exploitation_country"].dropna()
    foreign = foreign[foreign != "BLR"].value_counts()
    assert top[0]["iso3"] == foreign.index[0] == "RUS"
    assert [t["records"] for t in top] == [int(n) for n in foreign[foreign >= 10]]
    assert results["BLR"]["glotip_series"]["prosecuted"]["2009"] == [154, 154]


def test_small_country_profiles_suppress_small_cells(fanned):
    _, results = fanned
    for code in ("MUS", "TUV"):
        for row in results[code]["top_destinations"] + results[code]["top_origins"]:
            assert row["records"] >= 10
    from test_victims import small_counts

    for code in FAN:
        assert small_counts(results[code], 10) == [], code
    assert results["TUV"]["records_by_release"] == {}
    assert "holds no records of citizens of Tuvalu" in results["TUV"]["summary"]
    mus_origins = results["MUS"]["summary"]
    assert "records name Mauritius as the place of exploitation" in mus_origins


def test_a_region_member_without_population_stays_in_the_sums_but_not_the_rate():
    glotip = en.load_glotip("2025")
    population = wpp.load()
    full = profiles.enforcement_series(glotip, population, "BLR", [2015, 2015])
    lacking = profiles.enforcement_series(
        glotip, population[population["iso3"] != "UKR"], "BLR", [2015, 2015]
    )
    rest = "rest of Eastern Europe"
    both = full[full["scope"] == rest].merge(
        lacking[lacking["scope"] == rest], on=["indicator", "year"], suffixes=("", "_lacking")
    )
    assert len(both) and (both["lower"] == both["lower_lacking"]).all()  # counts unchanged
    named = both["no_population_lacking"] == "UKR"  # where Ukraine reported that indicator
    assert named.any() and set(both["no_population_lacking"]) <= {"UKR", ""}
    assert (both.loc[named, "population_lacking"] < both.loc[named, "population"]).all()
    assert (both.loc[~named, "population_lacking"] == both.loc[~named, "population"]).all()
    assert set(both["no_population"]) == {""}
