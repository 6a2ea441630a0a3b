"""Report.figure shows each figure once, sharp and with alt text, keeps reproducible files and
a record of its layout; Report.headline keeps up to three sentences for the index."""

from __future__ import annotations

import json
import struct

import IPython.display
import matplotlib.pyplot as plt
import pytest

from analysis.publish import disclosure
from analysis.publish.report import Report


def draw(title: str = "Detected victims by year", outside: bool = False):
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([2019, 2020, 2021], [10, 12, 9], marker="o")
    ax.set_title(title, loc="left")
    ax.set(xlabel="year", ylabel="victims (count)")
    fig.tight_layout()
    if outside:
        fig.text(1.05, 0.5, "a note beyond the right edge")
    return fig


@pytest.fixture
def shown(monkeypatch) -> list:
    """What the notebook would display (IPython's display, captured)."""
    found = []
    monkeypatch.setattr(IPython.display, "display", lambda *objs, **kw: found.extend(objs))
    return found


def png_size(data: bytes) -> tuple[int, int]:
    return struct.unpack(">II", data[16:24])


def test_the_figure_is_shown_once_at_twice_its_resolution_with_its_title(tmp_path, shown):
    report = Report("10_x", tmp_path)
    fig = draw()
    report.figure(fig, "trend")
    assert not plt.fignum_exists(fig.number)  # closed: the inline backend shows nothing more
    (image,) = shown
    data, metadata = image.data, image._repr_png_()[1]
    assert data == (tmp_path / "figures/10_x/trend.png").read_bytes()
    width, height = png_size(data)
    assert (width, height) == (800, 600)  # 4 x 3 inches at 200 dpi
    assert (metadata["width"], metadata["height"]) == (width // 2, height // 2)
    assert metadata["alt"] == "Detected victims by year"


def test_the_suptitle_is_the_alt_text_and_a_figure_without_titles_its_name(shown):
    fig = draw(title="")
    fig.suptitle("Records per year")
    Report("10_x", None).figure(fig, "by_year")
    untitled = draw(title="")
    Report("10_x", None).figure(untitled, "records_by_year")
    assert [image.metadata["alt"] for image in shown] == ["Records per year", "records by year"]


def test_the_same_figure_gives_the_same_files(tmp_path, shown):
    for run in ("a", "b"):
        Report("10_x", tmp_path / run).figure(draw(), "trend")
    for suffix in (".png", ".svg"):
        first = (tmp_path / "a/figures/10_x" / f"trend{suffix}").read_bytes()
        assert first == (tmp_path / "b/figures/10_x" / f"trend{suffix}").read_bytes()
    assert [image.data for image in shown][0] == shown[1].data


def test_outside_a_run_the_figure_shows_and_nothing_is_written(tmp_path, monkeypatch, shown):
    monkeypatch.chdir(tmp_path)
    report = Report("10_x", None)
    assert report.figure(draw(), "trend") is None
    report.save()
    assert len(shown) == 1 and list(tmp_path.iterdir()) == []


def test_save_writes_each_figures_title_and_layout_problems(tmp_path, shown):
    report = Report("10_x", tmp_path)
    report.figure(draw(), "clean")
    report.figure(draw("Cut off", outside=True), "cut")
    report.save()
    written = json.loads((tmp_path / "results/10_x.figures.json").read_text())
    assert written["notebook"] == "10_x" and written["version"] == 1
    clean, cut = written["figures"]
    assert (clean["name"], clean["title"], clean["problems"]) == (
        "clean",
        "Detected victims by year",
        [],
    )
    assert cut["name"] == "cut" and cut["title"] == "Cut off"
    assert any("right edge" in problem for problem in cut["problems"])
    # the run, its index and the report's findings say so too: one warning, for the cut one
    warnings = json.loads((tmp_path / "results/10_x.json").read_text())["results"]["warnings"]
    assert [w.split(":")[0] for w in warnings] == ["The figure 'Cut off' may be hard to read"]


def test_up_to_three_headline_sentences_go_into_the_results(tmp_path):
    report = Report("10_x", tmp_path)
    for text in ("First  sentence.", "Second.", "Third.", "First sentence."):
        report.headline(text)
    with pytest.raises(ValueError, match="at most 3"):
        report.headline("Fourth.")
    with pytest.raises(ValueError, match="characters"):
        Report("10_x", None).headline("")
    report.save()
    results = json.loads((tmp_path / "results/10_x.json").read_text())["results"]
    assert results["headline"] == ["First sentence.", "Second.", "Third."]


def test_a_headline_key_holding_a_record_is_refused():
    report = Report("60_x", None)
    report.record("headline", {"estimate": 12000})
    with pytest.raises(ValueError, match="holds a record"):
        report.headline("About 12,000 victims.")


def test_results_with_headlines_still_pass_the_gate():
    report = Report("10_x", None, min_cell=10)
    report.headline("Most records name a destination.")
    report.record("records", 7)
    with pytest.raises(disclosure.DisclosureError, match="records=7"):
        report.save()


def test_one_drawing_gives_the_png_savefig_gives_and_its_layout_problems():
    from analysis.publish import plots, report

    clean, crowded = draw(), draw(outside=True)
    expected = [report.figure_bytes(clean, "png"), plots.layout_problems(crowded)]
    assert report.drawn_png(clean)[0] == expected[0]
    assert report.drawn_png(crowded)[1] == expected[1] != []


def test_a_report_without_svg_saves_only_the_png(tmp_path, shown):
    report = Report("40_country_profile-MDA", tmp_path, svg=False)
    report.figure(draw(), "trend")
    saved = sorted(p.name for p in (tmp_path / "figures/40_country_profile-MDA").iterdir())
    assert saved == ["trend.png"]
