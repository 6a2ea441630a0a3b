"""The guard a kernel's reads go through, in process: the environment the runner sets decides."""

from __future__ import annotations

import pytest

from analysis.data import guard


def test_the_runner_environment_names_the_step_and_its_reads():
    assert guard.environment("10_x", ("victims", "raw:mse_tables")) == {
        guard.STEP_ENV: "10_x",
        guard.READS_ENV: "victims,raw:mse_tables",
    }


def test_a_step_reads_what_it_declares_and_nothing_else(as_step):
    as_step("10_x", "victims", "raw:mse_tables")
    assert guard.running_step() == "10_x"
    guard.check_read("victims")
    guard.check_read("raw:mse_tables")
    with pytest.raises(guard.UndeclaredRead, match="step 10_x reads table 'glotip' but does not"):
        guard.check_read("glotip")
    with pytest.raises(guard.UndeclaredRead, match="reads raw source 'ctdc_kanon_2021' but"):
        guard.check_read("raw:ctdc_kanon_2021")
    with pytest.raises(guard.UndeclaredRead, match="table 'mse_tables'"):  # not the raw source
        guard.check_read("mse_tables")


def test_a_step_without_reads_may_read_nothing(as_step):
    as_step("03_x")
    with pytest.raises(guard.UndeclaredRead, match="add 'victims' to its reads"):
        guard.check_read("victims")


def test_every_raw_source_but_no_table_for_raw_star(as_step):
    as_step("00_x", "raw:*")
    guard.check_read("raw:ctdc_kanon_2021")
    with pytest.raises(guard.UndeclaredRead, match="table 'victims'"):
        guard.check_read("victims")


def test_without_a_runner_everything_may_be_read(as_step):
    assert guard.running_step() is None
    guard.check_read("victims")
    guard.check_read("raw:anything")
