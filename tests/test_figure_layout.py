"""Figures a reader can read: `plots.layout_problems` finds clipped and overlapping text, and
every figure the reports draw, drawn from the real data as the notebooks draw it, has none;
line charts name at most eight series in colours a colour-blind reader tells apart, with the
unknown grey and dashed; every map uses the same classes and colours."""

from __future__ import annotations

import matplotlib.colors as mcolors
import matplotlib.pyplot as plt
import pandas as pd
import pytest

from analysis import enforcement as en
from analysis import mse
from analysis import profiles as pr
from analysis.data import population as wpp
from analysis.data import releases
from analysis.publish import enforcement_figures as ef
from analysis.publish import maps, plots
from analysis.publish import profile_views as pv
from analysis.publish import victim_views as vv

# --- The check itself -----------------------------------------------------------------------


def overlaps(problems: list[str], a: str, b: str) -> bool:
    """Whether `problems` says that the texts starting `a` and `b` overlap (in either order)."""
    return any(
        p.startswith(x) and f"overlaps {y}" in p for p in problems for x, y in ((a, b), (b, a))
    )


def test_a_y_label_over_the_caption_and_a_title_off_the_canvas_are_found():
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.plot([2000, 2010], [0, 5])
    ax.set_ylabel("records (count) " * 4)  # far taller than the axes
    ax.set_title("a title " * 12)  # wider than the figure
    fig.text(0.01, 0.01, "Source: somewhere", fontsize=9)
    problems = plots.layout_problems(fig)
    plt.close(fig)
    assert overlaps(problems, "y-label 'records (count)", "caption 'Source: somewhere'"), problems
    assert any(p.startswith("title 'a title") and "right edge" in p for p in problems), problems


def test_overlapping_tick_labels_are_found_but_a_clean_figure_has_no_problem():
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.set_xticks(range(20), [f"label {i}" for i in range(20)])
    crowded = plots.layout_problems(fig)
    plt.close(fig)
    assert overlaps(crowded, "x tick label 'label 0'", "x tick label 'label 1'"), crowded

    fig, ax = plots.figure(8, 4)
    ax.plot([2000, 2010, 2020], [3, 40, 20], label="series")
    ax.legend()
    plots.finish(fig, ax, title="A title", xlabel="year", ylabel="records (count)",
                 source=plots.source_line("glotip_2025", note="a note"))  # fmt: skip
    assert plots.layout_problems(fig) == []
    plt.close(fig)


def test_source_lines_read_as_sentences_and_captions_are_legible():
    one = plots.source_line("glotip_2025", note="detected victims")
    assert one.startswith("Source: United Nations") and one.endswith(". Detected victims.")
    two = plots.source_line("ctdc_kanon_2021", "glotip_2025")
    assert two.startswith("Sources: Counter-Trafficking") and "; United Nations" in two
    assert two.endswith(").") and ".." not in two
    assert plots.with_note(two, "hatched: small") == two[:-1] + ". Hatched: small."
    assert plots.with_note(two, "") == two
    fig, ax = plots.figure(9, 4)
    plots.finish(fig, ax, title="t", xlabel="x", ylabel="y", source=two)
    caption = next(t for t in fig.texts if t.get_text().startswith("Sources:"))
    assert caption.get_fontsize() >= 9
    assert caption.get_text().replace("\n", " ") == two  # wrapped, not cut
    plt.close(fig)


@pytest.mark.parametrize("width", [6.5, 9, 11])
def test_a_long_caption_wrapped_on_screen_stays_inside_the_saved_figure(width):
    from analysis.publish import report

    long = plots.source_line("glotip_2025", "un_wpp2024_population")  # 20's coverage figure
    fig, ax = plots.figure(width, 4)
    ax.plot([2003, 2022], [1, 2])
    plots.finish(fig, ax, title="t", xlabel="x", ylabel="y", source=long)
    _, problems = report.drawn_png(fig)  # drawn at the report's resolution
    assert not [p for p in problems if p.startswith("caption")]
    plt.close(fig)


def test_the_palette_has_twelve_distinct_colours_and_unknown_is_apart():
    colours = {mcolors.to_hex(c) for c in plots.SERIES_COLOURS}
    assert len(colours) == len(plots.SERIES_COLOURS) >= 12
    assert not {plots.OTHER_COLOUR.lower(), plots.UNKNOWN_COLOUR.lower()} & colours
    frame = pd.DataFrame({f"s{i}": [i, i + 1] for i in range(10)} | {"other": [1, 2],
                         "unknown": [3, 4]}, index=[2020, 2021])  # fmt: skip
    fig, ax = plt.subplots()
    left_out = plots.named_lines(ax, frame, other="other", unknown="unknown")
    lines = {line.get_label(): line for line in ax.get_lines()}
    plt.close(fig)
    assert left_out == ["s8", "s9"] and len(lines) == plots.MAX_SERIES + 2
    assert lines["unknown"].get_linestyle() == "--"
    assert mcolors.to_hex(lines["unknown"].get_color()) == plots.UNKNOWN_COLOUR.lower()


@pytest.mark.parametrize("maximum", [3, 40, 99, 150, 12_000])
def test_count_axes_have_readable_ticks(maximum):
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, maximum])
    plots.count_axis(ax, maximum)
    fig.canvas.draw()
    ticks = [t for t in ax.get_yticks() if ax.get_ylim()[0] <= t <= ax.get_ylim()[1]]
    plt.close(fig)
    assert len(ticks) >= 3 and max(ticks) >= maximum * 0.5
    if maximum >= 100:
        assert ax.get_yscale() == "symlog" and {0, 10, 100} <= set(ticks)


def test_every_map_has_the_same_classes_and_colours():
    assert maps.breaks(10) == [10, 25, 50, 250, 1000]
    assert maps.breaks(25) == [25, 50, 250, 1000]  # the lowest class starts at the threshold
    small = pd.Series({"POL": 12, "AUT": 4})
    large = pd.Series({"RUS": 4000, "POL": 300, "DEU": 30})

    def legend(values):
        fig, _ = maps.choropleth(values, 10, title="t", units="victim records (count)",
                                 source="Source: test", home="UKR", extent="auto")  # fmt: skip
        handles = fig.axes[0].get_legend().legend_handles
        found = {h.get_label(): mcolors.to_hex(h.get_facecolor()) for h in handles}
        assert plots.layout_problems(fig) == []
        plt.close(fig)
        return found

    assert legend(small) == legend(large)
    assert list(legend(small))[:6] == ["fewer than 10 (suppressed)", "10–24", "25–49", "50–249",
                                       "250–999", "1,000 or more"]  # fmt: skip


# --- Every figure of the reports, on the real data --------------------------------------------


def assert_clean(figures: dict) -> None:
    found = {name: plots.layout_problems(fig) for name, fig in figures.items()}
    for fig in figures.values():
        plt.close(fig)
    assert {name: p for name, p in found.items() if p} == {}


def profile_figures(iso3: str, release: str = "kanon_2021", threshold: int = 10) -> dict:
    """The figures of the country profile, drawn as the notebook draws them."""
    years, top = [2002, 2022], 8
    name = pr.country_name(iso3)
    records = pr.load_victims(iso3, years)
    counts, (dest, orig) = pv.both_places(records, release, iso3, threshold, top, years)
    keep = pv.main_places(dest.ranked)
    parts = pv.part_counts(records, iso3, release, keep, *counts)
    protected = pv.protect_parts(parts, dest, orig, None)
    source = plots.source_line(releases.CTDC[release].source)
    figures = {}
    if len(parts["destinations_map"]):
        figures["destinations_map"], _ = pv.place_map(
            parts["destinations_map"], iso3, threshold,
            title=f"Where citizens of {name} were exploited abroad", source=source,
            extent="auto", table=protected["destinations_map"])  # fmt: skip
    if not parts["over_time"].empty:
        figures["over_time"] = pv.over_time_figure(
            parts["over_time"], protected["over_time"], iso3, "destinations",
            title=f"Citizens of {name}", source=source)  # fmt: skip
    if not dest.ranked.empty:
        groups = {c: parts[c] for c in ("gender", "form")}
        figures["gender_form"], _ = pv.group_heatmaps(
            groups, protected, keep, iso3, "destinations", title=f"Citizens of {name}",
            source=source)  # fmt: skip
    if len(parts["origins_map"]):
        figures["origins_map"], _ = pv.place_map(
            parts["origins_map"], iso3, threshold,
            title=f"Citizenship of foreign victims in {name}", source=source, extent="auto",
            table=protected["origins_map"])  # fmt: skip
    series = pr.enforcement_series(en.load_glotip("2025"), wpp.load(), iso3, years)
    if not series[series["scope"] == "country"].empty:
        glotip = plots.source_line("glotip_2025", "un_wpp2024_population")
        figures["rates"] = pv.rates_figure(series, name, source=glotip)
    return figures


@pytest.mark.parametrize(
    "iso3", ["UKR", "NGA", "BLR", "DEU", "IDN", "ARE"]
)  # five forms; a long name
@pytest.mark.slow  # real data: about 20 s together (the fast lane's budget)
def test_profile_figures_have_a_clean_layout_and_at_most_eight_named_places(iso3):
    figures = profile_figures(iso3)
    assert figures
    if "over_time" in figures:
        assert_few_distinct_lines(figures["over_time"])
    assert_clean(figures)


def assert_few_distinct_lines(fig) -> None:
    """At most eight named places, each in its own colour (in Ukraine's profile "Russia" and
    the unknown place, the two largest, once shared one blue), the unknown grey and dashed."""
    lines = {line.get_label(): line for line in fig.axes[0].get_lines()}
    unknown = lines.pop("place of exploitation unknown", None)
    named = [k for k in lines if k != "other foreign"]
    assert 0 < len(named) <= plots.MAX_SERIES
    colours = [mcolors.to_hex(line.get_color()) for line in lines.values()]
    assert len(set(colours)) == len(colours)
    if unknown is not None:
        assert unknown.get_linestyle() == "--"
        assert mcolors.to_hex(unknown.get_color()) == plots.UNKNOWN_COLOUR.lower()


@pytest.mark.slow  # real data: about 20 s together (the fast lane's budget)
def test_the_enforcement_figures_have_a_clean_layout():
    from analysis import catalog

    glotip, population = en.load_glotip("2025"), wpp.load()
    first, last, scope = 2003, 2022, "World"
    shown = en.indicator_keys(["victims", "prosecuted", "convicted"])
    totals = en.country_totals(glotip, sexes=("Total", "Female", "Male"))
    totals = totals[totals["year"].between(first, last)]
    universe = en.scope_countries(glotip, [], scope)
    source = plots.source_line("glotip_2025", "un_wpp2024_population")
    tot = totals[totals["sex"] == "Total"]
    sums = en.add_rates(en.sum_bounds(en.attach_population(tot, population), ["indicator", "year"]))
    window = list(range(last - 4, last + 1))
    panel = en.sum_bounds(en.balanced_panel(tot, window), ["indicator", "year"])
    conv = totals[(totals["indicator"] == "convicted") & totals["sex"].isin(["Female", "Male"])]
    us_tip = catalog.read("us_tip", required=["year", *en.TIP_MEASURES, "tip_report_edition"])
    tip = en.tip_comparison(us_tip[us_tip["year"].between(first, last)],
                            en.sum_bounds(tot, ["indicator", "year"]))  # fmt: skip
    cover = en.coverage(totals, universe, list(range(first, last + 1)), population)
    rates = [(en.LABELS[key], sums[sums["indicator"] == key]) for key in shown]
    conv_by_sex = en.sum_bounds(conv, ["sex", "year"]).groupby("sex")
    by_sex = [(sex.lower(), part) for sex, part in conv_by_sex]
    assert_clean({
        "coverage": ef.coverage_figure(cover, shown, len(universe), scope, source),
        "trends": ef.trends_figure(sums, panel, shown, window, scope, source),
        "rates": ef.bands_figure(rates, "Rates per 100,000 population", "persons per 100,000",
                                 plots.with_note(source, "Rates per 100,000"),
                                 bounds=("rate_lower", "rate_upper")),
        "ratios": ef.bands_figure(en.ratios(totals).groupby("ratio"), "Convictions relative",
                                  "persons convicted per person (ratio)", source),
        "by_sex": ef.bands_figure(by_sex, "Persons convicted by sex", "persons convicted (count)",
                                  source, colours=plots.GENDER_COLOURS),
        "tip": ef.tip_figure(tip, plots.source_line("us_tip_law_enforcement", "glotip_2025")),
    })  # fmt: skip


@pytest.mark.slow  # real data: about 20 s together (the fast lane's budget)
def test_the_hidden_population_figures_have_a_clean_layout():
    from analysis.publish import mse_views

    table = mse.read_table("UKdat_5")
    est = mse.estimate_population(table, "stepwise", 0.02, nboot=20, seed=1, progress=False)
    sens = mse.sensitivity(table)
    sens["label"] = mse_views.sensitivity_labels(sens)
    source = plots.source_line("mse_tables", note="Table UKdat_5")
    assert_clean({
        "bootstrap": mse_views.plot_bootstrap(est, "UKdat_5", source),
        "sensitivity": mse_views.plot_sensitivity(sens, est, "UKdat_5", source),
    })  # fmt: skip


@pytest.mark.slow  # real data: about 20 s together (the fast lane's budget)
def test_the_definition_figures_have_a_clean_layout():
    from analysis import catalog
    from analysis.definitions import instruments, mapping, shares
    from analysis.publish import definition_views as dv
    from analysis.publish import release as rel

    records = catalog.read("victims")
    named = shares.ctdc_named_counts(records, mapping.load_mapping())
    by_gender = rel.margin_tables(records, "gender", 10)
    grids = dv.protect_named(named, 10, {r: [t.record()] for r, t in by_gender.items()})
    ctdc = dv.protect_shares(shares.explicit_shares(named), grids, 10)
    sources = plots.source_line(*(r.source for r in releases.CTDC.values()))
    assert_clean({
        "element_matrix": dv.plot_element_matrix(instruments.element_matrix(), "Source: treaties."),
        "explicit_shares": dv.plot_shares(ctdc, sources),
    })  # fmt: skip


@pytest.fixture(scope="module")
def victims_report():
    """The victims report's inputs for the K-anon release, as its notebook builds them."""
    from analysis import victims as vic

    release, years = "kanon_2021", (2002, 2021)
    records = vic.load(release)
    chosen = vic.select(records, years, None, None)
    top = vic.top_destinations(chosen, 8)
    codes = top["iso3"].tolist()
    published = vv.protect_selection(records, chosen, release, years, ([], ""), codes, 10)
    names = dict(zip(top["iso3"], top["country"], strict=True))
    return chosen, published, names, list(range(years[0], years[1] + 1))


@pytest.mark.slow  # real data: about 20 s together (the fast lane's budget)
def test_the_victim_figures_have_a_clean_layout(victims_report):
    from analysis import trends
    from analysis import victims as vic

    chosen, published, names, years = victims_report
    source = plots.source_line("ctdc_kanon_2021", note="identified cases, not prevalence")
    by_year = vv.year_shares(chosen, published, 0.95)
    corridor = vic.corridors(chosen, list(names), 12)
    table = vv.protect_corridors(corridor, published.population, 10)
    corridor, hidden = vv.labelled_corridors(corridor, table, names)
    _, _, row_share = vv.forms_table(vic.forms_by_group(chosen), published.population, 10)
    fit = trends.gender_trend(vic.year_destination_gender(chosen, list(names)), 0.95)
    glotip = vv.glotip_shares(vic.load_glotip("2025"), 10, 0.95)
    both = plots.source_line("ctdc_kanon_2021", "glotip_2025")
    compared = vv.compared_tables(chosen, glotip, published)
    ctdc_cy = vv.country_year_shares(chosen, glotip, published, 0.95, compared)
    pairs, _ = vic.compare_female_shares(ctdc_cy, glotip)
    assert len(pairs)
    assert_clean({
        "agreement": vv.agreement_figure(pairs, both),
        "destinations": vv.destination_figure(published, source),
        "gender_lines": vv.gender_lines_figure(published, names, years, source),
        "corridors": vv.corridor_figure(corridor, hidden, 10, source),
        "shares": vv.share_lines_figure(by_year, names, years, 0.95, source),
        "forms": vv.forms_figure(row_share, source),
        "trend": vv.trend_figure(fit, published, source),
        "ctdc_glotip": vv.ctdc_glotip_figure(by_year, glotip, names, years, both),
    })  # fmt: skip


def test_a_single_tick_symlog_panel_is_gone(victims_report):
    _, published, names, years = victims_report
    fig = vv.gender_lines_figure(published, names, years, "Source: test.")
    fig.canvas.draw()
    for ax in fig.axes:
        if ax.get_visible():
            low, high = ax.get_ylim()
            assert sum(low <= t <= high for t in ax.get_yticks()) >= 3, ax.get_title(loc="left")
    plt.close(fig)


def test_small_multiples_over_a_short_year_range_tick_whole_years():
    """With years 2010-2019 the shared axis once read '2010.0 2012.5 2015.0' (issue 29)."""
    years = list(range(2010, 2020))

    def draw(ax, key):
        ax.plot(years, [1 + i for i in range(len(years))], label="female")

    fig = plots.small_multiples({"A": "A", "B": "B"}, draw, title="t", xlabel="year",
                                ylabel="records", source="Source: test.")  # fmt: skip
    fig.canvas.draw()
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels() if t.get_text()]
    assert labels and all(label.isdigit() for label in labels), labels
    plt.close(fig)
