"""The published MSE tables: every table named is a registered file, and reads as published."""

from __future__ import annotations

from analysis.data import mse_tables, sources


def test_every_named_table_is_a_registered_file_and_every_file_is_named():
    (source,) = sources.select([mse_tables.SOURCE])
    registered = {f.name for f in source.files}
    assert {mse_tables.file_name(name) for name in mse_tables.TABLES} == registered


def test_a_table_reads_with_one_column_per_list_and_a_count_column():
    korea = mse_tables.read("Korea")
    assert list(korea.columns[:3]) == ["L1", "L2", "L3"]
    assert korea.iloc[:, -1].sum() == 123  # cases seen (Chan, Silverman and Vincent 2021)
    assert mse_tables.TABLES["Kosovo"].trafficking is False
