"""The table catalog: one declaration per processed table, reads and writes through it, and the
guard that refuses a read the running step did not declare."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis import catalog
from analysis.data import files, guard, paths, sources
from analysis.data.errors import DataError
from analysis.run import steps


def test_every_step_reads_declared_tables_and_every_table_has_a_writing_step():
    step_names = {s.notebook for s in steps.STEPS}
    read = {name for s in steps.STEPS for name in s.processed_inputs}
    assert read <= set(catalog.TABLES)
    assert {t.writer for t in catalog.TABLES.values()} <= step_names
    assert steps.dependencies()["10_victim_trends"] == {
        "01_clean_victims", "02_clean_enforcement", "05_release"
    }  # fmt: skip


def test_a_step_writes_exactly_the_tables_the_catalog_gives_it():
    by_step = {s.notebook: s.writes for s in steps.STEPS}
    assert by_step["01_clean_victims"] == ["victims", "victims_quarantine", "victims_quality"]
    assert "glotip_vintage_diff" in by_step["02_clean_enforcement"]
    assert by_step["10_victim_trends"] == []


def test_each_processed_table_has_the_columns_of_its_schema():
    for entry in catalog.TABLES.values():
        schema = entry.load_schema()
        if schema is None:
            continue
        frame = catalog.read(entry.name)
        assert list(frame.columns) == list(schema.columns), entry.name


def test_read_names_the_missing_file_and_columns(tmp_path):
    with pytest.raises(DataError, match=r"victims\.parquet is missing: run the step 01_clean"):
        catalog.read("victims", folder=tmp_path)
    catalog.write("victims_quarantine", pd.DataFrame({"a": [1]}), tmp_path)  # no schema
    with pytest.raises(DataError, match=r"victims\.parquet: columns \['b'\] are missing"):
        catalog.read("victims_quarantine", required=["a", "b"], folder=tmp_path)
    assert catalog.read("victims_quarantine", ["a"], folder=tmp_path)["a"].tolist() == [1]
    # A table with a schema is checked against it when written: nothing else reaches disk.
    with pytest.raises(DataError, match=r"us_tip\.parquet: \d+ schema failure"):
        catalog.write("us_tip", pd.DataFrame({"a": [1]}), tmp_path)
    assert not (tmp_path / "us_tip.parquet").exists()
    with pytest.raises(KeyError, match="no processed table 'nope'"):
        catalog.read("nope")


def test_json_tables_round_trip(tmp_path):
    catalog.write("victims_quality", {"total": {"rows_in": 3}}, tmp_path)
    assert catalog.read_json("victims_quality", tmp_path) == {"total": {"rows_in": 3}}


def test_a_running_step_may_read_only_what_it_declares(as_step, tmp_path):
    files.write_parquet(pd.DataFrame({"iso3": ["BLR"]}), tmp_path / "glotip.parquet")
    as_step("10_victim_trends", "victims", "glotip")
    assert catalog.read("glotip", folder=tmp_path)["iso3"].tolist() == ["BLR"]
    with pytest.raises(guard.UndeclaredRead, match="step 10_victim_trends reads table 'us_tip'"):
        catalog.read("us_tip", folder=tmp_path)
    with pytest.raises(guard.UndeclaredRead, match="raw source 'mse_tables'"):
        sources.raw_path("mse_tables", "UKdat_5.csv")


def test_a_step_may_not_write_a_table_another_step_owns(as_step, tmp_path):
    as_step("10_victim_trends", "victims")
    with pytest.raises(guard.UndeclaredRead, match="which 02_clean_enforcement owns"):
        catalog.write("glotip", pd.DataFrame({"a": [1]}), tmp_path)
    assert not (tmp_path / "glotip.parquet").exists()


def test_the_data_sources_step_may_read_every_raw_source(as_step):
    as_step("00_data_sources", "raw:*")
    assert sources.raw_path("mse_tables", "UKdat_5.csv").is_file()
    with pytest.raises(guard.UndeclaredRead):
        catalog.read("victims")


def test_without_a_runner_every_read_is_allowed(as_step):
    assert guard.running_step() is None
    assert len(catalog.read("belarus_press")) > 0
    assert catalog.table("glotip").location() == paths.processed_dir() / "glotip.parquet"
