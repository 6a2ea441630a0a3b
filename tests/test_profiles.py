"""Country profiles: the countries with data, a country's records and places, GLOTIP rates
against its region, and the real profile notebook fanned out over three countries."""

import json

import pandas as pd
import pytest

from analysis import catalog, profiles
from analysis import enforcement as en
from analysis.data import population as wpp
from analysis.run import runner
from analysis.run.runner import RunOptions

# Records of a made-up country AAA: citizens exploited in BBB, CCC, at home or somewhere unknown,
# and citizens of DDD exploited in AAA; one record of another release.
RECORDS = pd.DataFrame(
    {
        "release": ["kanon_2021"] * 7 + ["global_2020"],
        "year": [2019, 2019, 2020, 2020, 2020, 2021, 2021, 2019],
        "citizenship": ["AAA", "AAA", "AAA", "AAA", "AAA", "DDD", "AAA", "AAA"],
        "exploitation_country": ["BBB", "BBB", "CCC", "AAA", None, "AAA", "BBB", "BBB"],
        "gender": ["female", "male", "female", "female", None, "male", "female", "male"],
    }
)


def test_places_are_counted_per_release_with_unknown_kept():
    counts = profiles.place_counts(RECORDS, "AAA", "destinations")
    assert counts.values.tolist() == [
        ["global_2020", "BBB", 1],
        ["kanon_2021", "AAA", 1],
        ["kanon_2021", "BBB", 3],
        ["kanon_2021", "CCC", 1],
        ["kanon_2021", "unknown", 1],
    ]
    assert profiles.foreign_places(counts, "kanon_2021", "AAA").to_dict() == {"BBB": 3, "CCC": 1}
    origins = profiles.place_counts(RECORDS, "AAA", "origins")
    assert origins.values.tolist() == [["kanon_2021", "AAA", 1], ["kanon_2021", "DDD", 1]]
    with pytest.raises(ValueError, match="role must be one of"):
        profiles.place_counts(RECORDS, "AAA", "transit")


def test_over_time_and_by_group_keep_the_named_places_and_bucket_the_rest():
    timeline = profiles.over_time(RECORDS, "AAA", "kanon_2021", "destinations", ["BBB"])
    assert list(timeline.columns) == ["BBB", "other foreign", "AAA", "unknown"]
    assert timeline.loc[2019].tolist() == [2, 0, 0, 0]
    assert timeline.loc[2020].tolist() == [0, 1, 1, 1]
    by_gender = profiles.by_group(RECORDS, "AAA", "kanon_2021", "destinations", ["BBB"], "gender")
    assert by_gender.loc["BBB"].to_dict() == {"female": 2, "male": 1, "unknown": 0}
    assert by_gender.loc["unknown"].to_dict() == {"female": 0, "male": 0, "unknown": 1}
    with pytest.raises(ValueError, match="column must be gender, form or age_group"):
        profiles.by_group(RECORDS, "AAA", "kanon_2021", "destinations", [], "citizenship")


def test_bad_country_codes_are_refused():
    with pytest.raises(ValueError, match="'BY' is not an ISO 3166-1 alpha-3 code"):
        profiles.check_iso3("BY")
    assert profiles.check_iso3(" blr") == "BLR"


def test_countries_with_data_are_sorted_iso3_codes():
    codes = profiles.countries_with_data()
    assert codes == sorted(set(codes))
    assert {"BLR", "UKR", "MDA", "TUV", "MUS"} <= set(codes)
    assert all(len(c) == 3 and c.isupper() for c in codes)
    victims = catalog.read("victims", columns=["citizenship"])
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


@pytest.mark.slow
def test_a_fan_out_of_three_countries_renders_three_reports(fanned):
    run_dir, results = fanned
    for code in FAN:
        assert (run_dir / f"40_country_profile-{code}.html").is_file()
        assert results[code]["iso3"] == code
        assert results[code]["summary"]
        # Each report is titled with its country's name and says nothing of another country.
        page = (run_dir / f"40_country_profile-{code}.html").read_text()
        name = results[code]["country"]
        assert f"<title>Country profile: {name}</title>" in page
        assert "Belarus by default" not in page, code
        assert f"citizens of {name} identified as victims" in page, code
        # The notebook's introduction: the small-cell rule in words, no parameter name.
        assert "every CTDC count from 1 to 9 is shown as" in page and "min_cell" not in page
    assert (run_dir / "figures/40_country_profile-BLR/destinations_map.png").is_file()


@pytest.mark.slow
def test_belarus_profile_names_its_top_destinations_from_the_data(fanned):
    _, results = fanned
    top = results["BLR"]["top_destinations"]
    columns = ["release", "citizenship", "exploitation_country"]
    victims = catalog.read("victims", columns=columns)
    mine = victims[(victims["release"] == "kanon_2021") & (victims["citizenship"] == "BLR")]
    foreign = mine["exploitation_country"].dropna()
    foreign = foreign[foreign != "BLR"].value_counts()
    assert top[0]["iso3"] == foreign.index[0] == "RUS"
    assert [t["records"] for t in top] == [int(n) for n in foreign[foreign >= 10]]
    assert results["BLR"]["glotip_series"]["prosecuted"]["2009"] == [154, 154]
    # The profiles page's numbers: the main destination as the ranking headline states it, on
    # its base of records naming a place, and the last GLOTIP rate of detected victims.
    from analysis.publish.profile_views import MIN_RANKING_BASE

    key, latest = results["BLR"]["key_numbers"], results["BLR"]["glotip_latest"]["victims"]
    main = key["main_destination"]
    assert (main["country"], main["records"]) == (top[0]["country"], top[0]["records"])
    assert main["base"] >= MIN_RANKING_BASE and main["share"] == top[0]["share_of_known"]
    assert f"of the {main['base']:,} records that name" in results["BLR"]["headline"][1]
    assert key["victims_per_100k"] == {
        "year": latest["year"],
        "text": latest["rate"],
        "bounds": latest["rate_bounds"],
    }
    assert results["TUV"]["key_numbers"]["main_destination"] is None  # no ranking headline


@pytest.mark.slow
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


@pytest.mark.realdata
@pytest.mark.slow
def test_a_profile_from_the_earlier_export_names_what_the_latest_revised(tmp_path):
    """Ukraine from the 2023 GLOTIP export (the vintage passed as a string, as the runner does):
    its figures are that export's, and a paragraph names the totals the latest export revised."""

    from executed_notebook import execute

    from analysis.data import releases

    params = {"iso3": "UKR", "glotip_vintage": "2023"}
    run = execute("40_country_profile", "40_country_profile-UKR", params, tmp_path)
    results, said = run.results, run.said

    newest = max(releases.GLOTIP)
    assert results["glotip_vintage"] == "2023" != newest
    first, last = results["years"]

    def totals(vintage: str) -> pd.DataFrame:  # Ukraine's published totals, as in the raw export
        g = en.load_glotip(vintage)
        keep = (g["iso3"] == "UKR") & (g["dimension"] == "Total") & (g["sex"] == "Total")
        keep &= (g["age"] == "Total") & g["year"].between(first, last)
        names = {raw: key for key, raw in en.INDICATORS.items()}
        rows = g[keep & g["indicator"].isin(names)].dropna(subset=["value"])
        return rows.assign(indicator=rows["indicator"].map(names))[["indicator", "year", "value"]]

    before, after = totals("2023"), totals(newest)
    pair = before.merge(after, on=["indicator", "year"], suffixes=("_before", "_after"))
    low = pair[["value_before", "value_after"]].min(axis=1).clip(lower=1)
    high = pair[["value_before", "value_after"]].max(axis=1)
    pair = pair[(high >= profiles.REVISED_FACTOR * low) & (high - low >= profiles.REVISED_BY)]
    expected = {(r.indicator, int(r.year), int(r.value_before), int(r.value_after))
                for r in pair.itertuples()}  # fmt: skip
    recorded = {(r["indicator"], r["year"], r["before"], r["after"])
                for r in results["glotip_revised_since"]}  # fmt: skip
    assert recorded == expected
    victims_2019 = pair[(pair["indicator"] == "victims") & (pair["year"] == 2019)]
    assert len(victims_2019) == 1  # the revision the paragraph must name (1,345 to 262)
    paragraph = said("pr.revised_totals(")
    assert paragraph.startswith(
        f"**Revised since.** The {releases.GLOTIP[newest].label} changes figures shown here "
        f"from the {releases.GLOTIP['2023'].label}: "
    )
    for indicator, year, was, now in expected:
        assert f"{en.LABELS[indicator]} in {year} from {was:,} to {now:,}" in paragraph
    # The figures shown are the 2023 export's: its last published count of detected victims.
    mine = before[before["indicator"] == "victims"].sort_values("year")
    year, count = int(mine["year"].iloc[-1]), int(mine["value"].iloc[-1])
    latest = results["glotip_latest"]["victims"]
    assert (latest["year"], latest["count"]) == (year, f"{count:,}")
    summary = said('report.record("summary"')
    assert f"In GLOTIP, Ukraine last reported {count:,} detected victims ({year})" in summary
    assert results["summary"].startswith(f"In the {releases.CTDC['kanon_2021'].label}, ")
