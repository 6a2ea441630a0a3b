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
    stored = pd.read_parquet(tmp_path / "us_tip.parquet")
    assert list(stored.columns) == list(tables["us_tip"].columns)
    assert report["us_tip"]["rows_in"] == len(stored)
