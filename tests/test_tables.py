"""The one table formatter (publish/tables.py) and the report's table gate."""

import numpy as np
import pandas as pd
import pytest

from analysis.publish import tables
from analysis.publish.report import Report


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1295.0, "1,295"),
        (58769, "58,769"),
        (np.int64(193025), "193,025"),
        (0.25, "0.2"),  # one decimal by default (banker's rounding is Python's)
        (12345.678, "12,345.7"),
        (np.nan, "–"),
        (None, "–"),
        (pd.NA, "–"),
        (True, "yes"),
        (np.bool_(False), "no"),
        (float("inf"), "∞"),
    ],
)
def test_numbers_read_as_people_write_them(value, text):
    assert tables.cell_text(value) == text


def test_shares_read_as_per_cent_and_text_passes_through():
    frame = pd.DataFrame({"share": [0.748, np.nan, "74.8–75.4%"], "records": ["<10", "(s)", 12.0]})
    shown = tables.Table(frame, shares=["share"]).shown()
    assert shown["share"].tolist() == ["74.8%", "–", "74.8–75.4%"]
    assert shown["records"].tolist() == ["<10", "(s)", "12"]


def test_names_read_in_words_and_the_index_is_not_shown():
    frame = pd.DataFrame({"rows_quarantined": [3], "size_kb": [1.5]}, index=[1242])
    html = tables.Table(frame, labels={"size_kb": "size (kB)"}).html()
    assert "rows quarantined" in html and "size (kB)" in html
    assert "1242" not in html and "_" not in html.split("<table")[1]
    shown = tables.Table(frame.rename_axis("year"), index=True).shown()
    assert list(shown.columns) == ["year", "rows quarantined", "size kb"]
    assert shown["year"].tolist() == ["1242"]  # a year: no thousands separator


def test_every_text_is_escaped_and_wide_tables_scroll():
    evil = "<script>alert(1)</script>"
    html = tables.Table(pd.DataFrame({evil: [evil]}), caption=evil, note=evil).html()
    assert "<script>" not in html and html.count("&lt;script&gt;") == 4
    assert html.startswith("<div") and "overflow-x:auto" in html


def test_numeric_columns_are_right_aligned():
    frame = pd.DataFrame({"place": ["Russia", "Poland"], "records": ["1,234", "<10"]})
    html = tables.Table(frame).html()
    assert '<td style="text-align:right">1,234</td>' in html
    assert '<td style="text-align:left">Russia</td>' in html  # the page would right-align it
    assert '<th style="text-align:right">records</th>' in html
    with_share = tables.Table(pd.DataFrame({"countries": ["14 (7%)", "0 (0%)"]})).html()
    assert '<td style="text-align:right">14 (7%)</td>' in with_share


@pytest.mark.parametrize(
    ("term", "text"),
    [
        ("C(destination)[T.IDN]:C(gender)[T.male]",
         "destination IDN (against USA) × gender male (against female)"),
        ("C(gender, Treatment('female'))[T.male]", "gender male (against female)"),
        ("year_c", "year c"),
        ("Intercept", "baseline (all reference categories)"),
    ],
)  # fmt: skip
def test_model_terms_read_in_words_with_their_reference(term, text):
    assert tables.model_term(term, {"destination": "USA", "gender": "female"}) == text


def test_model_terms_take_words_for_variables_and_levels():
    names = {"year_c": "year", "IDN": "Indonesia", "GHA": "Ghana"}
    term = tables.model_term("year_c:C(destination)[T.IDN]", {"destination": "GHA"}, names)
    assert term == "year × destination Indonesia (against Ghana)"


def test_a_shown_table_is_written_as_csv_and_linked(tmp_path):
    report = Report("10_x", tmp_path, 10)
    table = report.show_table(tables.Table(pd.DataFrame({"n_records": [1295.0]})), "counts")
    path = tmp_path / "tables" / "10_x" / "counts.csv"
    assert path.read_text() == 'n records\n"1,295"\n'
    assert 'href="tables/10_x/counts.csv"' in table.html()
    outside = Report("10_x", None, 10).show_table(tables.Table(pd.DataFrame({"a": [1]})), "a")
    assert "href" not in outside.html()


def test_year_columns_read_without_thousands_separators():
    frame = pd.DataFrame({"year": [2019.0, None], "year_start": [2004, 2006], "cells": [2019, 1]})
    shown = tables.Table(frame).shown()
    assert shown["year"].tolist() == ["2019", "–"]
    assert shown["year start"].tolist() == ["2004", "2006"]
    assert shown["cells"].tolist() == ["2,019", "1"]
    assert not tables.is_year_column("years reporting")
    labelled = tables.Table(pd.DataFrame({"first": [2007]}), labels={"first": "first year"})
    assert labelled.shown()["first year"].tolist() == ["2007"]
