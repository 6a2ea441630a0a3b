"""Country profiles: ranked places with small cells collapsed, releases never added, the
generated paragraph, GLOTIP rates, and the real profile notebook fanned out over three countries."""

import json

import pandas as pd
import pytest

from analysis import enforcement as en
from analysis import paths, profiles, runner
from analysis import population as wpp
from analysis.runner import RunOptions

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
    known = 800 + 23 + 7 + 33
    assert table.iloc[0]["share"] == pytest.approx(800 / known)
    assert table.iloc[2]["share_text"] == "suppressed"
    assert table.iloc[-1]["share_text"] == ""  # unknown place has no share of known places
    assert profiles.top_records(table)[1] == {
        "iso3": "POL", "country": "Poland", "records": 23, "share_of_known": round(23 / known, 4)
    }  # fmt: skip


def test_release_comparison_never_adds_releases():
    table = profiles.release_comparison(COUNTS, "BLR", "destinations", threshold=10)
    assert list(table.columns) == ["CTDC K-anonymised release (2021)", "CTDC Global Dataset (2020)"]
    assert table.loc["Russia"].tolist() == ["800", "751"]
    assert table.loc["Poland"].tolist() == ["23", "12"]
    other = [i for i in table.index if i.startswith("other countries")]
    assert other == ["other countries (2), each fewer than 10 in every release"]
    assert table.loc[other[0]].tolist() == ["<10", "–"]


def test_the_paragraph_states_small_counts_as_fewer_than_n():
    origins = profiles.ranked(
        pd.DataFrame({"release": ["kanon_2021"] * 2, "place": ["BLR", "UKR"], "records": [4, 12]}),
        "kanon_2021", "BLR", "origins", threshold=10,
    )  # fmt: skip
    dest = profiles.ranked(COUNTS, "kanon_2021", "BLR", "destinations", threshold=10)
    empty = pd.DataFrame(columns=["scope", "indicator", "year", "lower", "upper"])
    facts = profiles.summary_facts("BLR", "kanon_2021", [2002, 2021], dest, origins, empty,
                                   pd.DataFrame(), 10)  # fmt: skip
    text = profiles.summary_paragraph(facts)
    assert "1,459 records registered in 2002–2021 concern citizens of Belarus" in text
    assert "Russia (800, 93%) and Poland (23, 3%)" in text  # 800 / 863 known
    assert "Ukraine (12)." in text  # its share would reveal the 4 domestic records
    assert "16 records name Belarus as the place of exploitation; fewer than 10 of them" in text
    assert " 4 " not in text
    assert "GLOTIP publishes no enforcement totals for Belarus" in text


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
    assert results["TUV"]["records_by_release"] == {}
    assert "holds no records of citizens of Tuvalu" in results["TUV"]["summary"]
    mus_origins = results["MUS"]["summary"]
    assert "records name Mauritius as the place of exploitation" in mus_origins
