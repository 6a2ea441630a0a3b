"""Victim aggregations on a small fixture whose counts are stated here, and GLOTIP shares.

What a report may show of them (suppression, texts) is tested in test_victim_views.py.
"""

from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint

from analysis import victims as vic
from analysis.data.errors import DataError
from analysis.publish import disclosure
from analysis.publish import release as rel
from analysis.publish import victim_views as views

# Records per (year, destination, gender). Female counts fall by about 10% a year, male rise.
COUNTS = {
    "USA": {"female": [100, 90, 81, 73], "male": [20, 22, 24, 27]},
    "RUS": {"female": [50, 45, 40, 36], "male": [40, 44, 48, 53]},
    "POL": {"female": [30, 27, 24, 22], "male": [12, 13, 15, 16]},
}
YEARS = [2015, 2016, 2017, 2018]
EXTRA = [  # (year, destination, gender, n): small and unknown cells
    (2018, "POL", "transgender_nonconforming", 3),
    (2016, "RUS", "unknown", 12),
    (2017, None, "female", 25),
]
CITIZENSHIP = {"USA": "MEX", "RUS": "UKR", "POL": "UKR"}
FEMALE = sum(sum(c["female"]) for c in COUNTS.values()) + 25  # 618 + 25 = 643
KNOWN_GENDER = FEMALE + sum(sum(c["male"]) for c in COUNTS.values()) + 3  # 643 + 334 + 3
CELLS = [(y, d, g, n) for d, c in COUNTS.items() for g, ns in c.items()
         for y, n in zip(YEARS, ns, strict=True)] + EXTRA  # fmt: skip


def fixture_records() -> pd.DataFrame:
    """One row per record; every 4th is a child, every 7th has no age; forms cycle by gender."""
    rows = []
    for year, dest, gender, n in CELLS:
        for i in range(n):
            minor = pd.NA if i % 7 == 6 else (i % 4 == 0)
            sexual = gender == "female" and i % 5 != 0 or gender == "male" and i % 5 == 0
            rows.append({
                "release": "kanon_2021", "year": year, "datasource": "case_management",
                "gender": gender, "is_minor": minor,
                "citizenship": CITIZENSHIP.get(dest), "exploitation_country": dest,
                "exploitation_un_region": {"USA": "Northern America", "RUS": "Eastern Europe",
                                           "POL": "Eastern Europe"}.get(dest),
                "is_sexual_exploit": sexual, "is_forced_labour": not sexual,
                "is_other_exploit": False, "is_sex_and_labour": pd.NA,
                "is_forced_marriage": pd.NA, "is_slavery_and_practices": pd.NA,
            })  # fmt: skip
    frame = pd.DataFrame(rows)
    for col in ["release", "datasource", "gender", "citizenship", "exploitation_country",
                "exploitation_un_region"]:  # fmt: skip
        frame[col] = frame[col].astype("string")
    bools = ["is_minor", "is_sexual_exploit", "is_forced_labour", "is_other_exploit",
             "is_sex_and_labour", "is_forced_marriage", "is_slavery_and_practices"]  # fmt: skip
    frame[bools] = frame[bools].astype("boolean")
    return frame.astype({"year": "Int64"})


GROUPS = {("female", False): "women", ("male", False): "men",
          ("female", True): "girls", ("male", True): "boys"}  # fmt: skip


def fixture_forms() -> Counter:
    """(person group, form) -> records, counted from the rules `fixture_records` states."""
    expected = Counter()
    for _, _, gender, n in CELLS:
        for i in range(n):
            if gender not in ("female", "male") or i % 7 == 6:  # no person group
                continue
            group = GROUPS[gender, i % 4 == 0]  # every 4th record is a child
            sexual = (i % 5 != 0) if gender == "female" else (i % 5 == 0)
            expected[group, "sexual exploitation" if sexual else "forced labour"] += 1
    return expected


def fixture_glotip() -> pd.DataFrame:
    """GLOTIP detected victims for USA and RUS 2015-2018; RUS 2016 male is suppressed (<5)."""
    rows = []
    for iso3, female, male in [("USA", [80, 85, 90, 95], [20, 15, 10, 5]),
                               ("RUS", [30, 30, 30, 30], [30, None, 30, 30])]:  # fmt: skip
        for year, f, m in zip(YEARS, female, male, strict=True):
            cells = [
                ("Female", "Total", f),
                ("Male", "Total", m),
                ("Total", "Total", f + (m or 2)),
                ("Total", "0 to 17 years", 10),
                ("Total", "18 years or over", 90),
            ]
            for sex, age, value in cells:
                rows.append(
                    {
                        "iso3": iso3,
                        "year": year,
                        "indicator": "Detected trafficking victims",
                        "dimension": "Total",
                        "category": "Total",
                        "sex": sex,
                        "age": age,
                        "value": value,
                        "is_suppressed": value is None,
                        "vintage": "2025",
                    }
                )
    frame = pd.DataFrame(rows)
    return frame.astype({"value": "Int64", "year": "Int64"})


def write_fixture_data(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    fixture_records().to_parquet(folder / "victims.parquet", index=False)
    fixture_glotip().to_parquet(folder / "glotip.parquet", index=False)
    frame = fixture_records().assign(age_band="unknown")  # and the release of them (no ages)
    rel.write(rel.build(frame), rel.YEARS, 10, rel.build_margins(frame), folder=folder)
    return folder


@pytest.fixture
def records(tmp_path):
    return vic.load("kanon_2021", write_fixture_data(tmp_path))


def test_load_refuses_unknown_releases_and_incomplete_files(tmp_path):
    with pytest.raises(ValueError, match="release must be one of"):
        vic.load("synthetic_2024", tmp_path)
    with pytest.raises(DataError, match="victims.parquet is missing"):
        vic.load("kanon_2021", tmp_path)
    fixture_records().drop(columns=["gender"]).to_parquet(tmp_path / "victims.parquet")
    with pytest.raises(DataError, match=r"victims.parquet: columns \['gender'\] are missing"):
        vic.load("kanon_2021", tmp_path)
    fixture_records().to_parquet(tmp_path / "victims.parquet")
    with pytest.raises(DataError, match="no rows for release 'global_2020'"):
        vic.load("global_2020", tmp_path)


def test_forms_follow_their_priority_and_unknown_stays_missing():
    flags = pd.DataFrame({
        "is_sexual_exploit": [True, True, False, False, pd.NA, False],
        "is_forced_labour": [True, False, True, False, pd.NA, False],
        "is_other_exploit": [False, True, False, True, pd.NA, False],
        "is_sex_and_labour": [pd.NA, pd.NA, pd.NA, pd.NA, pd.NA, True],
        "is_forced_marriage": pd.NA, "is_slavery_and_practices": pd.NA,
    }).astype("boolean")  # fmt: skip
    assert vic.exploitation_form(flags).tolist() == [
        "sexual and labour",
        "sexual exploitation",
        "forced labour",
        "other forms",
        pd.NA,
        "sexual and labour",
    ]


def test_person_groups_need_a_known_gender_and_age(records):
    groups = records.groupby(["gender", "age_group"], observed=True)["person_group"].unique()
    assert list(groups[("female", "child (0-17)")]) == ["girls"]
    assert list(groups[("male", "adult (18+)")]) == ["men"]
    assert records.loc[records["is_minor"].isna(), "person_group"].isna().all()
    assert records.loc[records["gender"] == "unknown", "person_group"].isna().all()


def test_overall_shares_are_the_stated_counts_with_wilson_intervals(records):
    chosen = vic.select(records, (2015, 2018))
    row = vic.shares(chosen, [], 0.9).iloc[0]
    assert (row["records"], row["female"], row["female_of"]) == (len(chosen), FEMALE, KNOWN_GENDER)
    low, high = proportion_confint(FEMALE, KNOWN_GENDER, alpha=0.1, method="wilson")
    assert (row["female_lower"], row["female_upper"]) == pytest.approx((low, high))
    known_age = chosen["is_minor"].notna()
    assert row["child_of"] == known_age.sum()
    assert row["child"] == chosen.loc[known_age, "is_minor"].sum()


def test_select_filters_years_destinations_and_region(records):
    assert len(vic.select(records, (2017, 2017))) == 81 + 24 + 40 + 48 + 24 + 15 + 25
    only = vic.select(records, (2015, 2018), destinations=["POL"])
    assert set(only["exploitation_country"]) == {"POL"} and len(only) == 103 + 56 + 3
    east = vic.select(records, (2015, 2018), region="Eastern Europe")
    assert set(east["exploitation_country"]) == {"RUS", "POL"}
    with pytest.raises(ValueError, match="year range is empty"):
        vic.select(records, (2018, 2015))


def test_top_destinations_counts(records):
    top = vic.top_destinations(records, 3).set_index("iso3")["records"]
    assert top.to_dict() == {"USA": 437, "RUS": 368, "POL": 162}


def test_year_grid_has_zeros_but_not_for_destination_years_without_records(records):
    grid = vic.year_destination_gender(records, ["USA", "POL"])
    usa = grid[grid["destination"] == "USA"]
    assert len(usa) == 4 * len(vic.GENDERS)  # four reporting years, every gender
    assert usa.query("gender == 'unknown'")["records"].eq(0).all()
    assert (
        grid.query("destination == 'POL' and year == 2018 and gender == 'male'")["records"].item()
        == 16
    )
    dropped = records[~((records["exploitation_country"] == "USA") & (records["year"] == 2016))]
    assert 2016 not in set(vic.year_destination_gender(dropped, ["USA"])["year"])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(st.integers(0, 40), min_size=3, max_size=3), min_size=2, max_size=6),
    st.integers(3, 20),  # at 2 a small cell is 1 whatever is hidden: no partner helps
    st.sampled_from(["columns", "rows", "table"]),
)
def test_a_published_total_never_reveals_a_single_small_cell(cells, threshold, lines):
    counts = pd.DataFrame(cells, columns=list("abc"))
    try:
        hidden = disclosure.hidden_cells(counts, threshold, lines)
    except disclosure.DisclosureError:  # only where the totals alone give a small cell away
        everything = counts > 0
        stacked = pd.Series(counts.to_numpy().ravel(), index=pd.MultiIndex.from_product(
            [range(counts.shape[0]), range(counts.shape[1])], names=["row", "column"]))  # fmt: skip
        table = disclosure.CountTable("t", "", stacked, pd.Series(everything.to_numpy().ravel(),
                                      index=stacked.index),
                                      disclosure.margins(stacked, disclosure.LINES[lines]),
                                      threshold)  # fmt: skip
        assert disclosure.exposed_cells([table.record()])
        return
    small = disclosure.is_small(counts, threshold)
    assert hidden[small].all().all()  # every small cell is hidden
    groups = {"columns": [hidden[c] for c in hidden], "rows": [r for _, r in hidden.iterrows()],
              "table": [hidden.stack()]}[lines]  # fmt: skip
    values = {"columns": [counts[c] for c in counts], "rows": [r for _, r in counts.iterrows()],
              "table": [counts.stack()]}[lines]  # fmt: skip
    for line, value in zip(groups, values, strict=True):
        if line.sum() == 1:  # allowed only when there is no other non-zero cell to hide
            assert (value[~line] > 0).sum() == 0
    text = disclosure.cell_text(counts, hidden, threshold)
    assert (text[small] == f"<{threshold}").all().all()
    assert set(text.where(hidden & ~small).stack().dropna()) <= {"(s)"}


def test_corridors_and_source_mix(records):
    table = vic.corridors(records, ["USA", "RUS", "POL"], 5)
    assert table.loc["UKR"].to_dict() == {"USA": 0, "RUS": 368, "POL": 162}
    mix = vic.source_mix(records).set_index("year")
    assert mix.loc[2017, "unknown_destination_share"] == pytest.approx(
        25 / (81 + 24 + 40 + 48 + 24 + 15 + 25)
    )
    assert mix.loc[2015, "hotline_share"] == 0 and mix.loc[2015, "destinations"] == 3


def test_shares_hide_nothing(records):
    # POL 2018: 22 female of 41 known; a threshold would hide it, but this table has none.
    pol = vic.shares(vic.select(records, (2018, 2018), ["POL"]), ["exploitation_country"], 0.95)
    assert (pol.loc[0, "female"], pol.loc[0, "female_of"]) == (22, 41)
    assert pol.loc[0, "female_share"] == pytest.approx(22 / 41)
    assert "female_suppressed" not in pol


def test_source_mix_counts_each_share(records):
    mix = vic.source_mix(records).set_index("year")
    year_2017 = 81 + 24 + 40 + 48 + 24 + 15 + 25
    assert (mix.loc[2017, "records"], mix.loc[2017, "unknown_destination"]) == (year_2017, 25)
    assert (mix.loc[2017, "usa"], mix.loc[2017, "usa_of"]) == (81 + 24, year_2017)
    assert mix.loc[2017, "usa_share"] == pytest.approx((81 + 24) / year_2017)
    assert mix.loc[2016, "hotline_of"] == 90 + 22 + 45 + 44 + 12 + 27 + 13  # every record


def test_forms_by_group_are_the_fixture_counts(records):
    forms = vic.forms_by_group(records)
    assert list(forms.index) == ["women", "men", "girls", "boys"]
    assert list(forms.columns) == ["sexual exploitation", "forced labour"]
    assert forms.stack().to_dict() == dict(fixture_forms())


def test_glotip_country_years_are_selected_like_records(tmp_path):
    table = vic.load_glotip("2025", write_fixture_data(tmp_path))
    assert len(table) == 8  # USA and RUS, 2015-2018
    picked = vic.select_country_years(table, (2016, 2017), region="Eastern Europe")
    assert set(zip(picked["iso3"], picked["year"], strict=True)) == {("RUS", 2016), ("RUS", 2017)}
    assert set(vic.select_country_years(table, (2015, 2018), ["USA"])["iso3"]) == {"USA"}


def test_pooled_female_share_sums_the_country_years_with_a_share():
    shares = views.glotip_shares(vic.glotip_by_sex_age(fixture_glotip(), "2025"), 10, 0.95)
    pooled = vic.pooled_female_share(shares, 0.9)
    # USA 2015-2017 (2018 hidden: 5 male) and RUS 2015, 2017, 2018 (2016 male suppressed).
    assert (pooled["country_years"], pooled["countries"]) == (6, 2)
    female, known = 80 + 85 + 90 + 3 * 30, 3 * 100 + 3 * 60
    assert (pooled["female"], pooled["known"]) == (female, known)
    low, high = proportion_confint(female, known, alpha=0.1, method="wilson")
    assert (pooled["share"], pooled["lower"], pooled["upper"]) == pytest.approx(
        (female / known, low, high)
    )


def test_glotip_shares_keep_suppressed_cells_missing():
    table = vic.glotip_by_sex_age(fixture_glotip(), "2025")
    rus = table.set_index(["iso3", "year"]).loc[("RUS", 2016)]
    assert pd.isna(rus["male"])  # suppressed: never summed to zero
    shares = vic.glotip_shares(table, 0.95).set_index(["iso3", "year"])
    assert np.isnan(shares.loc[("RUS", 2016), "female_share"])
    assert shares.loc[("USA", 2015), "female_share"] == pytest.approx(0.8)
    assert shares.loc[("USA", 2018), "female_share"] == pytest.approx(0.95)  # nothing hidden here
    assert shares.loc[("USA", 2018), "female_of"] == 100
    assert shares.loc[("USA", 2015), "child_share"] == pytest.approx(0.1)
    with pytest.raises(DataError, match="no detected-victim totals for vintage '2023'"):
        vic.glotip_by_sex_age(fixture_glotip(), "2023")
    twice = pd.concat([fixture_glotip(), fixture_glotip().head(1)])
    with pytest.raises(DataError, match="repeated"):
        vic.glotip_by_sex_age(twice, "2025")


def test_female_shares_are_compared_on_shared_country_years(records):
    # Compared are the shares a report shows (suppressed), as in the notebook.
    ctdc = views.shares(records[records["exploitation_country"].notna()],
                        ["exploitation_country", "year"], 10, 0.95)  # fmt: skip
    glotip = views.glotip_shares(vic.glotip_by_sex_age(fixture_glotip(), "2025"), 10, 0.95)
    pairs, summary = vic.compare_female_shares(ctdc, glotip)
    # USA 2015-2017 (2018 GLOTIP suppressed) and RUS 2015, 2017, 2018 (2016 suppressed).
    assert summary["country_years"] == 6 and summary["countries"] == 2
    usa15 = pairs.set_index(["iso3", "year"]).loc[("USA", 2015)]
    assert usa15["difference"] == pytest.approx(100 / 120 - 0.8)
    assert summary["mean_abs_difference"] == pytest.approx(pairs["difference"].abs().mean())


# --- One rule for every published output: JSON, text and figures hide what the table hides ------

COUNT_KEYS = {"count", "total", "records", "explicit", "of", "n", "flagged", "only_eu_explicit",
              "known", "domestic"}  # fmt: skip


def small_counts(results, threshold: int, path: str = "") -> list[str]:
    """Every count in a results JSON tree that is a small cell (1 to threshold - 1)."""
    found = []
    if isinstance(results, dict):
        for key, value in results.items():
            where = f"{path}/{key}"
            if key in COUNT_KEYS and isinstance(value, int) and not isinstance(value, bool):
                if 0 < value < threshold:
                    found.append(f"{where}={value}")
            else:
                found += small_counts(value, threshold, where)
    elif isinstance(results, list):
        for i, value in enumerate(results):
            found += small_counts(value, threshold, f"{path}[{i}]")
    return found


def test_small_counts_finds_a_small_count_anywhere():
    tree = {"a": {"count": 3, "total": 40}, "b": [{"records": 12}, {"explicit": 9}], "year": 5}
    assert small_counts(tree, 10) == ["/a/count=3", "/b[1]/explicit=9"]


def test_one_share_record_and_one_share_text():
    shown = disclosure.share_record(30, 80, 0.375, 0.27, 0.49, threshold=10)
    assert shown == {"count": 30, "total": 80, "suppressed": False, "share": 0.375,
                     "lower": 0.27, "upper": 0.49}  # fmt: skip
    rest_small = disclosure.share_record(75, 80, 0.9375, 0.86, 0.97, threshold=10)
    assert rest_small["count"] is None and rest_small["share"] is None  # 80 - 75 = 5
    assert rest_small["total"] == 80 and rest_small["suppressed"]
    assert disclosure.share_record(3, 5, 0.6, 0.2, 0.9, threshold=10)["total"] is None
    assert disclosure.share_record(40, 80, 0.5, 0.4, 0.6, 10, hidden=True)["count"] is None
    assert disclosure.share_text(0.764, 0.761, 0.766) == "76.4% (76.1–76.6)"
    assert disclosure.share_text(0.93, digits=0) == "93%"
    assert disclosure.share_text(float("nan")) == "suppressed"


def test_a_suppressed_other_sex_leaves_the_glotip_female_share_unknown():
    glotip = fixture_glotip()
    extra = glotip[(glotip["sex"] == "Male") & (glotip["iso3"] == "USA")].assign(
        sex="Other", value=pd.NA, is_suppressed=True
    )
    table = vic.glotip_by_sex_age(pd.concat([glotip, extra.head(1)], ignore_index=True), "2025")
    shares = vic.glotip_shares(table, 0.95).set_index(["iso3", "year"])
    assert np.isnan(shares.loc[("USA", 2015), "female_share"])  # 80 of 100 + (1 to 4)
    assert shares.loc[("USA", 2016), "female_share"] == pytest.approx(85 / 100)  # no Other row


def _bar_heights(ax, n_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Heights drawn per row: plain segments (rows x containers) and the hatched segment."""
    plain, hatched = [], np.zeros(n_rows)
    for container in ax.containers:
        heights = np.zeros(n_rows)
        for patch in container.patches:
            row = int(round(patch.get_x() + patch.get_width() / 2))
            heights[row] = patch.get_height()
        if container.patches and container.patches[0].get_hatch():
            hatched = heights
        else:
            plain.append(heights)
    return np.array(plain).T, hatched


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.lists(st.integers(0, 60), min_size=4, max_size=4), min_size=1, max_size=6),
    st.integers(2, 15),
)
def test_stacked_bars_never_draw_a_cell_the_table_hides(cells, threshold):
    import matplotlib.pyplot as plt

    from analysis.publish import plots

    counts = pd.DataFrame(cells, columns=list("abcd"))
    try:
        hidden = disclosure.hidden_cells(counts, threshold, "rows")
    except disclosure.DisclosureError:  # the totals alone give a cell away: no figure
        return
    totals = counts.sum(axis=1).astype(float)
    totals = totals.mask(disclosure.is_small(totals, threshold))
    fig, ax = plt.subplots()
    plots.stacked_bars(ax, counts, hidden, totals)
    plain, hatched = _bar_heights(ax, len(counts))
    plt.close(fig)
    drawn = totals.notna().to_numpy()
    expected = counts.where(~hidden, 0).to_numpy(dtype=float)
    assert np.allclose(plain[drawn], expected[drawn])  # a hidden cell is never a segment
    assert not plain[~drawn].any() and not hatched[~drawn].any()  # a small total: a gap
    rest = counts.where(hidden, 0).sum(axis=1).to_numpy(dtype=float)
    assert np.allclose(hatched[drawn], rest[drawn])  # hidden cells only together


def test_a_population_is_named_by_the_records_it_holds():
    """Two year ranges that hold the same records of a release give one name, so the audit
    links their tables; a range that holds every record is the whole release."""
    frame = pd.DataFrame({"release": ["a"] * 3 + ["b"] * 2,
                          "year": [2005.0, 2010.0, None, 2003.0, 2018.0]})  # fmt: skip
    assert vic.population("a") == "CTDC a: all records"
    # a has a record without a year: a range never holds all of a
    assert vic.population("a", (2002, 2022), frame) == "CTDC a: records registered 2005–2010"
    assert vic.population("a", (2005, 2010), frame) == vic.population("a", (2002, 2022), frame)
    assert vic.population("a", (2006, 2010), frame) == "CTDC a: records registered 2006–2010"
    assert vic.population("b", (2002, 2022), frame) == "CTDC b: all records"
    assert vic.population("b", (2004, 2022), frame) == "CTDC b: records registered 2004–2018"
    assert vic.population("b", (2002, 2021)) == "CTDC b: records registered 2002–2021"
