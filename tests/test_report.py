"""Figures and results that notebooks hand to the report are written deterministically."""

import json

import matplotlib.pyplot as plt

from analysis.report import Report


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
    report.record("n", 1)
    assert report.figure(draw(), "trend") is None
    report.save()
    assert list(tmp_path.iterdir()) == []
