"""What the data and cleaning reports (00, 01, 02) show: their tables as a reader sees them, on
the CTDC fixtures and small hand-made quality records."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis.clean import ctdc
from analysis.publish import cleaning_views as views
from analysis.publish import disclosure
from analysis.publish import release as rel

FIXTURES = Path(__file__).parent / "fixtures" / "ctdc"


@pytest.fixture(scope="module")
def victims(tmp_path_factory) -> ctdc.Victims:
    files = {name: FIXTURES / f"{name}.csv" for name in ctdc.CODINGS}
    return ctdc.build(files=files, output_dir=tmp_path_factory.mktemp("processed"))


def test_release_margins_of_a_handful_of_records_hide_every_count(victims):
    for column in ("gender", "is_sexual_exploit"):
        for name, table in rel.margin_tables(victims.table, column).items():
            text = disclosure.cell_text(table.counts, table.hidden, table.threshold)
            assert all(c in {"<10", "(s)", "0"} for c in text), (column, name, list(text))
            assert table.sum_text({}) in {"<10", "(s)"}, (column, name)


QUALITY = {
    "2025": {"rows_in": 100, "rows_out": 90, "rows_quarantined": 10, "rows_written": 80,
             "quarantined_by_reason": {"not a country": 10}, "suppressed_cells_in": 30,
             "suppressed_cells_kept": 28, "values_with_thousands_separator": 2,
             "repeated_keys": {"groups_by_kind": {"age parts": 4}, "rows_with_repeated_key": 12,
                               "rows_removed_by_summing": 10}},
    "2023": {"rows_in": 50, "rows_out": 50, "rows_quarantined": 0, "rows_written": 50,
             "quarantined_by_reason": {}, "suppressed_cells_in": 20, "suppressed_cells_kept": 20,
             "values_with_thousands_separator": 0,
             "repeated_keys": {"groups_by_kind": {}, "rows_with_repeated_key": 0,
                               "rows_removed_by_summing": 0}},
}  # fmt: skip


def test_glotip_quality_tables_have_one_column_per_export_and_whole_numbers():
    reasons = views.glotip_reasons(QUALITY).shown()
    assert reasons.to_dict("list") == {"reason": ["not a country"], "export 2025": ["10"],
                                       "export 2023": ["0"]}  # fmt: skip
    quarantines = {"2025": pd.DataFrame({"txtVALUE": ["<5", "7", "<5"]}),
                   "2023": pd.DataFrame({"txtVALUE": ["3"]})}  # fmt: skip
    suppressed = views.glotip_suppressed(QUALITY, quarantines).shown()
    assert suppressed["export 2025"].tolist() == ["30", "28", "2", "2"]
    assert suppressed["export 2023"].tolist() == ["20", "20", "0", "0"]
    repeats = views.glotip_repeats(QUALITY).shown()
    assert repeats["repeated keys"].tolist()[0] == "groups: age parts"
    assert repeats["export 2023"].tolist() == ["0", "0", "0"]


def test_belarus_series_shows_suppressed_cells_as_ranges_and_years_plainly():
    rows = pd.DataFrame(
        {"iso3": "BLR", "dimension": "Total", "sex": "Total", "age": "Total",
         "indicator": ["Persons convicted", "Persons convicted", "Detected trafficking victims"],
         "year": [2003, 2004, 2004], "lower": [1.0, 176.0, 418.0], "upper": [4.0, 176.0, 418.0]}
    )  # fmt: skip
    shown = views.belarus_series_view(rows, range(2003, 2006)).shown()
    assert shown["year"].tolist() == ["2003", "2004", "2005"]
    assert shown["Persons convicted"].tolist() == ["1–4", "176", "–"]
    assert shown["Detected trafficking victims"].tolist() == ["–", "418", "–"]


def test_us_tip_rows_say_where_they_come_from():
    tip = pd.DataFrame(
        {"year": pd.array([2003, 2016], "Int64"), "prosecutions": pd.array([7992, None], "Int64"),
         "tip_report_edition": ["2007 TIP Report", "2017 TIP Report (secondary)"],
         "is_secondary": pd.array([False, True], "boolean"), "source_address": ["a", "b"],
         "note": [None, "x"]}
    )  # fmt: skip
    shown = views.us_tip_view(tip).shown()
    assert shown["taken from"].tolist() == ["report", "secondary"]
    assert shown["prosecutions"].tolist() == ["7,992", "–"]
    assert shown["year"].tolist() == ["2003", "2016"]


FIXTURES = Path(__file__).parent / "fixtures" / "ctdc"


def test_a_release_mostly_quarantined_or_with_unknown_columns_is_a_warning(tmp_path):
    raw = pd.read_csv(FIXTURES / "kanon_2021.csv", dtype=str, keep_default_na=False)
    raw["gender"] = "F"  # not a gender label of this release: every row is quarantined
    raw["<script>survivor</script>"] = "1"
    path = tmp_path / "kanon.csv"
    raw.to_csv(path, index=False)
    quality = ctdc.clean(["kanon_2021", "global_2020"],
                         files={"kanon_2021": path,
                                "global_2020": FIXTURES / "global_2020.csv"}).quality  # fmt: skip
    warnings = views.cleaning_warnings(quality)
    label = views.release_label("kanon_2021")
    assert warnings == [
        f"{label}: {len(raw)} of its {len(raw)} raw rows (100%) were quarantined, so what the "
        "reports show of it rests on the few rows left; its coding may have changed.",
        f"{label} has columns that the cleaning does not know and did not read "
        "(<script>survivor</script>): the release's coding may have changed.",
    ]


def test_half_quarantined_is_not_yet_a_warning():
    quality = {"glotip": {"2025": {"rows_in": 10, "rows_quarantined": 5},
                          "2023": {"rows_in": 10, "rows_quarantined": 6}}}  # fmt: skip
    assert views.enforcement_warnings(quality) == [
        "The GLOTIP 2023 export: 6 of its 10 raw rows (60%) were quarantined, so what the "
        "reports show of it rests on the few rows left; its coding may have changed."
    ]
