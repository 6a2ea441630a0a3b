"""The figures' style is seaborn's theme, written out so that drawing needs no seaborn."""

import matplotlib as mpl
import matplotlib.pyplot as plt
import pytest

from analysis.publish import plots, style


def _settings() -> dict:
    """rcParams without seaborn's colour map, colours as hex (the same colours either way)."""
    found = {k: v for k, v in mpl.rcParams.items() if k != "image.cmap"}
    found["axes.prop_cycle"] = [
        mpl.colors.to_hex(c) for c in found["axes.prop_cycle"].by_key()["color"]
    ]
    return found


def test_the_written_out_theme_is_what_seaborn_sets():
    sns = pytest.importorskip("seaborn")
    with mpl.rc_context():
        mpl.rcdefaults()
        sns.set_theme(style="whitegrid", context="notebook", palette="colorblind")
        seaborn = _settings()
    with mpl.rc_context():
        mpl.rcdefaults()
        mpl.rcParams.update(style.SEABORN_THEME)
        ours = _settings()
    assert ours == seaborn


def test_a_figure_has_the_theme_and_the_project_font():
    with mpl.rc_context():
        mpl.rcdefaults()
        plt.close(plots.figure()[0])
        assert mpl.rcParams["axes.grid"] is True
        assert mpl.rcParams["font.family"] == ["DejaVu Sans"]
        assert mpl.rcParams["axes.titleweight"] == "bold"
        colours = mpl.rcParams["axes.prop_cycle"].by_key()["color"]
        assert colours[:4] == [mpl.colors.to_hex(c) for c in plots.GENDER_COLOURS.values()]
