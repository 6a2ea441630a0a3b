"""Figures and results that notebooks hand to the report are written deterministically."""

import json

import matplotlib.pyplot as plt
import pytest

from analysis.publish import disclosure
from analysis.publish.report import Report


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
