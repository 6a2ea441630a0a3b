"""Figures and results that notebooks hand to the report are written deterministically."""

import json
import re

import matplotlib.pyplot as plt
import pytest
from test_disclosure import grid, issue_14_tables, line_sums, naive

from analysis.publish import disclosure
from analysis.publish.report import TABLES_VERSION, Report


def draw():
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([2019, 2020, 2021], [10, 12, 9], marker="o")
    ax.set(title="Detected victims", xlabel="year", ylabel="victims (count)")
    return fig


def test_same_figure_gives_identical_bytes(tmp_path):
    for run in ("a", "b"):
        report = Report("10_x", tmp_path / run)
        report.figure(draw(), "trend")
        plt.close("all")
    for suffix in (".png", ".svg"):
        a = (tmp_path / "a/figures/10_x" / f"trend{suffix}").read_bytes()
        b = (tmp_path / "b/figures/10_x" / f"trend{suffix}").read_bytes()
        assert a == b
    svg = (tmp_path / "a/figures/10_x/trend.svg").read_text()
    assert "<dc:date>" not in svg and "Matplotlib v" not in svg


def test_results_json_is_sorted_and_plain(tmp_path):
    report = Report("10_x", tmp_path)
    report.record("share", 0.25)
    report.record("count", 12)
    report.save()
    text = (tmp_path / "results/10_x.json").read_text()
    assert json.loads(text) == {"notebook": "10_x", "results": {"count": 12, "share": 0.25}}
    assert text.index('"count"') < text.index('"share"')


def test_without_a_report_folder_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    report = Report("10_x", None)
    report.record("n", 12)
    assert report.figure(draw(), "trend") is None
    report.save()
    assert list(tmp_path.iterdir()) == []


def test_save_refuses_a_small_count_and_names_its_key(tmp_path):
    report = Report("10_x", tmp_path, min_cell=10)
    report.record("by_year", {"2019": {"records": 120}, "2020": {"records": 7}})
    with pytest.raises(disclosure.DisclosureError, match=r"/by_year/2020/records=7"):
        report.save()
    assert not (tmp_path / "results").exists()
    Report("10_x", tmp_path, min_cell=5).save()  # 7 is no small cell under a threshold of 5


def test_save_refuses_a_hidden_share_that_keeps_its_number(tmp_path):
    report = Report("30_x", tmp_path)
    hidden = disclosure.share_record(28, 28, 1.0, 0.879, 1.0, threshold=10, hidden=True)
    assert hidden["count"] is None and hidden["share"] is None and hidden["lower"] is None
    report.record("ok", hidden)
    report.save()
    report.record("leak", {"count": 28, "total": 28, "share": 1.0, "suppressed": True})
    with pytest.raises(disclosure.DisclosureError, match=r"/leak/count=28; /leak/share=1.0"):
        report.save()


def test_the_guard_works_without_a_report_folder_too():
    report = Report("10_x", None)
    report.record("count", 3)
    with pytest.raises(disclosure.DisclosureError, match="count=3"):
        report.save()


def test_save_writes_the_table_records_with_their_version(tmp_path):
    counts = grid([[3, 20, 30], [40, 50, 60], [70, 80, 90]])
    report = Report("20_x", tmp_path)
    table = disclosure.protect("Victims by row", "p", counts, line_sums(counts))
    assert report.table(table) is table
    report.record("count", 12)
    report.save()
    written = json.loads((tmp_path / "results/20_x.tables.json").read_text())
    record = json.loads(json.dumps(table.record()))
    assert written == {"notebook": "20_x", "version": TABLES_VERSION, "tables": [record]}
    cells = written["tables"][0]["cells"]
    assert cells[0] == {"key": ["0", "0"], "shown": "<10"}  # the 3 is nowhere
    assert sum(c["shown"] == "(s)" for c in cells) == 3
    assert json.loads((tmp_path / "results/20_x.json").read_text())["results"] == {"count": 12}


def test_save_refuses_tables_that_give_a_cell_away_together_and_writes_nothing(tmp_path):
    a, b = issue_14_tables()  # A's transgender total 64 pins B's small cell to 64 - 28 - 33
    report = Report("20_x", tmp_path)
    report.record("count", 12)
    report.table(a)
    report.table(b)
    expected = "20_x: its published tables give hidden cells away: B: small cell ['transgender'"
    with pytest.raises(disclosure.DisclosureError, match=re.escape(expected)):
        report.save()
    assert not (tmp_path / "results").exists()
    shared = disclosure.margins(b.counts, [("gender",)])
    fixed = Report("20_x", tmp_path)
    fixed.table(a)
    fixed.table(disclosure.protect("B", b.population, b.counts, shared=shared))
    fixed.save()
    assert len(json.loads((tmp_path / "results/20_x.tables.json").read_text())["tables"]) == 2


def test_the_table_guard_works_without_a_report_folder_too():
    counts = grid([[3, 20, 30], [40, 50, 60], [70, 80, 90]])
    hidden = counts.isin([3, 20])  # the old row rule: column 0 gives the 3 away
    report = Report("20_x", None)
    report.table(naive(counts, hidden, line_sums(counts), name="Victims by row"))
    with pytest.raises(
        disclosure.DisclosureError, match=r"Victims by row: small cell \['0', '0'\]"
    ):
        report.save()
