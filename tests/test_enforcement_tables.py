"""US TIP, Eurostat and Belarus reference tables, and the whole enforcement step."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from analysis.clean import enforcement_tables as et
from analysis.data import sources
from analysis.data.errors import DataError


def raw(name: str) -> tuple[pd.DataFrame, Path]:
    source, columns, _ = et.TABLES[name]
    path = sources.raw_path(source)
    return et.read_table(path, columns), path


def copy_with(tmp_path: Path, name: str, edit) -> Path:
    """A copy of a registered table with one edit, in tmp_path (never under data/)."""
    source, _, _ = et.TABLES[name]
    frame = sources.read_csv(sources.raw_path(source), dtype="string")
    path = tmp_path / f"{name}.csv"
    edit(frame).to_csv(path, index=False)
    return path


@pytest.mark.realdata
def test_us_tip_table():
    frame, path = raw("us_tip")
    table = et.clean_us_tip(frame, path).table
    assert len(table) == len(frame) == table["year"].nunique()
    assert table["source_address"].notna().all() and table["tip_report_edition"].notna().all()
    year_2017 = table.set_index("year").loc[2017]
    assert year_2017["prosecutions"] == 17_471  # the 2024-edition value quoted in SOURCE.md
    assert year_2017["is_secondary"]
    assert table.loc[table["year"] == 2015, "victims_identified"].isna().all()  # not found


@pytest.mark.realdata
def test_eurostat_table():
    frame, path = raw("eurostat_thb")
    table = et.clean_eurostat(frame, path).table
    revisions = et.read_table(et.EUROSTAT_REVISIONS, et.EUROSTAT_COLUMNS)
    assert len(table) == len(frame) + len(revisions)
    # The 2020 female share: 64 in the Dec 2022 release, revised to 68 in Jan 2024 (given in a
    # note of the file, transcribed with its citation); comparisons take the latest.
    share_2020 = table[
        (table["year"] == 2020) & (table["indicator"] == "registered_victims_female_share")
    ].set_index("release")
    assert share_2020["value"].to_dict() == {"Dec 2022 release": 64, "Jan 2024 release": 68}
    assert share_2020["latest"].to_dict() == {"Dec 2022 release": False, "Jan 2024 release": True}
    assert "68" in share_2020.at["Dec 2022 release", "note"]
    assert share_2020.at["Jan 2024 release", "source_address"].endswith("ddn-20240124-1")
    assert table.groupby(["year", "indicator"])["latest"].sum().eq(1).all()
    assert table["release_month"].str.match(r"^20\d\d-\d\d$").all()
    assert table["is_secondary"].any() and not table["is_secondary"].all()


@pytest.mark.realdata
def test_belarus_table():
    frame, path = raw("belarus_press")
    table = et.clean_belarus(frame, path).table
    assert len(table) == len(frame)
    cumulative = table[table["year_start"] != table["year_end"]]
    assert cumulative[["year_start", "year_end"]].values.tolist() == [[2002, 2013]]
    assert set(table["value_qualifier"].dropna()) == {"more than", "approximately"}


@pytest.mark.realdata
def test_renamed_column_is_refused(tmp_path):
    path = copy_with(tmp_path, "us_tip", lambda f: f.rename(columns={"convictions": "convicted"}))
    with pytest.raises(DataError, match=r"us_tip.csv: columns differ.*missing \['convictions'\]"):
        et.read_table(path, et.US_TIP_COLUMNS)


@pytest.mark.realdata
def test_non_numeric_value_names_column_and_line(tmp_path):
    def edit(frame):
        frame.loc[2, "value"] = "about 7000"
        return frame

    path = copy_with(tmp_path, "eurostat_thb", edit)
    with pytest.raises(
        DataError, match=r"eurostat_thb.csv, column 'value': not a number in line\(s\) \[4\]"
    ):
        et.clean_eurostat(et.read_table(path, et.EUROSTAT_COLUMNS), path)


@pytest.mark.realdata
def test_labour_figure_above_total_is_refused(tmp_path):
    def edit(frame):
        frame.loc[frame["year"] == "2019", "convictions_labor"] = "99999"
        return frame

    path = copy_with(tmp_path, "us_tip", edit)
    with pytest.raises(DataError, match="labour figure exceeds its total"):
        et.clean_us_tip(et.read_table(path, et.US_TIP_COLUMNS), path)


@pytest.mark.realdata
def test_build_writes_every_output_with_accounting(tmp_path):
    _, tables, report = et.build(output_dir=tmp_path)
    for name in ["glotip", "glotip_vintage_diff", "us_tip", "eurostat_thb", "belarus_press"]:
        assert (tmp_path / f"{name}.parquet").is_file()
    assert (tmp_path / "quarantine" / "glotip.parquet").is_file()
    written = json.loads((tmp_path / "quality" / "enforcement.json").read_text())
    assert set(written) == {"glotip", "us_tip", "eurostat_thb", "belarus_press"}
    for entry in [*written["glotip"].values(), *(written[n] for n in tables)]:
        assert entry["rows_out"] + entry["rows_quarantined"] == (
            entry["rows_in"] + entry["rows_transcribed"]
        )
        assert sum(entry["quarantined_by_reason"].values()) == entry["rows_quarantined"]
    assert written["eurostat_thb"]["rows_transcribed"] == 1  # the 2020 female share, revised
    checked = {c["check"]: c["disagree"] for c in written["eurostat_thb"]["consistency"]}
    assert checked["form shares add up to 100"] == []  # 2021 and 2023 checked, none off
    stored = pd.read_parquet(tmp_path / "us_tip.parquet")
    assert list(stored.columns) == list(tables["us_tip"].columns)
    assert report["us_tip"]["rows_in"] == len(stored)


def _eurostat(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["year", "indicator", "value"]).assign(latest=True)


def test_eurostat_parts_are_checked_against_their_whole():
    population = pd.DataFrame({"iso3": ["DEU", "FRA", "USA"], "year": [2020] * 3,
                               "population": [60_000_000, 40_000_000, 300_000_000]})  # fmt: skip
    table = _eurostat([
        (2020, "victims_citizens_of_reporting_country_share", 40.7),
        (2020, "victims_other_eu_citizens_share", 17.3),
        (2020, "victims_non_eu_citizens_share", 37.0),  # adds up to 95: a contradiction
        (2020, "victims_sexual_exploitation_share", 55.0),
        (2020, "victims_forced_labour_share", 33.0),  # other forms unpublished: 88 <= 100
        (2020, "registered_victims", 1_500.0),
        (2020, "registered_victims_per_million", 15.0),  # 1,500 of 100 million EU: 15.0
        (2020, "victims_sexual_exploitation", 1_000.0),
        (2020, "victims_forced_labour", 600.0),  # 1,600 by form of 1,500 in all
    ])  # fmt: skip
    checks = et.source_checks(table, population).set_index("check")["agrees"]
    assert not checks["citizenship shares add up to 100"]
    assert checks["form shares at most 100 (one part not published)"]
    assert not checks["victims by form within the total"]
    assert checks["rate per million against the total and the EU-27 population"]
    wrong_rate = table.assign(value=table["value"].mask(
        table["indicator"] == "registered_victims_per_million", 17.0))  # fmt: skip
    again = et.source_checks(wrong_rate, population).set_index("check")["agrees"]
    assert not again["rate per million against the total and the EU-27 population"]
    summary = et.checks_summary(et.source_checks(table, population))
    assert {"source": "Eurostat", "check": "citizenship shares add up to 100", "years": [2020],
            "disagree": [2020]} in summary  # fmt: skip
    # An older release's value is not checked: only the latest of each figure.
    stale = pd.concat([table, _eurostat([(2020, "victims_non_eu_citizens_share", 42.0)])
                       .assign(latest=False)])  # fmt: skip
    assert not et.source_checks(stale, population).set_index("check")["agrees"][
        "citizenship shares add up to 100"]  # fmt: skip


@pytest.mark.realdata
def test_the_real_eurostat_figures_agree_with_themselves():
    from analysis.data import population as wpp

    tables, _ = et.clean_all()
    checks = et.source_checks(tables["eurostat_thb"], wpp.load())
    assert checks["agrees"].all()
    years = checks.groupby("check")["year"].apply(list).to_dict()
    assert years["citizenship shares add up to 100"] == [2020, 2023]  # 100.0% and 100.1%
    assert years["rate per million against the total and the EU-27 population"] == [2020, 2023]
    assert years["victims by form within the total"] == [2022]  # 9,703 of 10,093
