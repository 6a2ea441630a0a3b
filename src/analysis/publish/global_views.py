"""How the global profile is shown: a share as its central value with the range that GLOTIP's
`<5` cells leave, '41.0 (40.5–41.1)', and differences of shares in points."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis import enforcement as en
from analysis import global_profile as gp
from analysis.data import releases
from analysis.profiles import country_name
from analysis.publish import bounded, plots
from analysis.publish.bounded import bounds_text
from analysis.publish.tables import Table

RULE_NAMES = {
    "pooled": "pooled counts",
    "country_mean": "mean of country shares",
    "region_mean": "mean over regions of country shares",
    "population_weighted": "population-weighted mean of country shares",
    "pooled_without_largest": "pooled counts, largest reporter left out",
    "population_weighted_without_largest": (
        "population-weighted mean of country shares, largest reporter left out"
    ),
}


def export_name(vintage: str, the: str = "the ") -> str:
    """'the export of 30 May 2023' (from the GLOTIP vintages' labels)."""
    return releases.GLOTIP[vintage].label.replace("UNODC GLOTIP ", the)


def share_text(share, lower, upper) -> str:
    """'41.0 (40.5–41.1)': the central share with its range; '41.0' when they agree; '–'."""
    if pd.isna(share):
        return "–"
    middle, span = f"{share:.1f}", bounds_text(lower, upper, 1)
    return middle if span == middle else f"{middle} ({span})"


def points(value, signed: bool = True) -> str:
    """A difference of shares in points: '+1.2 points'."""
    return f"{value:+.1f} points" if signed else f"{abs(value):.1f} points"


# --- Which countries enter -------------------------------------------------------------------


def entering_table(totals: pd.DataFrame, top: pd.DataFrame) -> Table:
    """Per year: the export, the countries entering, their victims and the largest reporter."""
    t = totals.merge(top, on="year", how="left")
    victims = list(map(bounds_text, t["entering_lower"], t["entering_upper"]))
    shares = list(map(bounds_text, t["share_lower"], t["share_upper"], [1] * len(t)))
    frame = pd.DataFrame(
        {
            "reference year": t["year"].astype(str),
            "export": [export_name(v, "") for v in t["vintage"]],
            "countries with the full breakdown": t["entering_countries"],
            "countries reporting a total": t["countries"],
            "victims in them (women, girls, men, boys)": victims,
            "largest reporter": [country_name(c) for c in t["iso3"]],
            "its share of those victims (%)": shares,
        }
    )
    return Table(frame, caption="Countries entering the profile, per reference year")


def glotip_records(
    glotip_by_vintage: dict[str, pd.DataFrame], years: dict[int, str], groups: pd.DataFrame
) -> list[dict]:
    """For the disclosure audit: the GLOTIP sums this report prints, per export (not shares)."""
    records = []
    for vintage in sorted(set(years.values())):
        chosen = [y for y, v in years.items() if v == vintage]
        totals = en.country_totals(glotip_by_vintage[vintage], ["victims"])
        totals = totals[totals["year"].isin(chosen)]
        records.append(bounded.country_totals_record("Detected victims per reference year", vintage,
                                             totals, [["indicator", "year"]]))  # fmt: skip
        cells = groups[(groups["vintage"] == vintage) & groups["year"].isin(chosen)]
        records.append(bounded.glotip_record(
            "Countries entering the profile, per reference year",
            f"GLOTIP {vintage}: victims detected by sex and age", cells,
            ["iso3", "year", "part"], [["year"]]))  # fmt: skip
    return records


# --- The profile under each rule -------------------------------------------------------------


def profile_table(profiles: pd.DataFrame, parts: Sequence[str], caption: str) -> Table:
    """One row per year and rule, one column per part: share (%) and its range."""
    rows = []
    in_order = profiles.assign(order=profiles["rule"].map(gp.RULES.index))
    for (year, _), p in in_order.groupby(["year", "order"]):
        rule = RULE_NAMES[p["rule"].iloc[0]]
        row = {"reference year": str(int(year)), "rule": rule, **_shares(p, parts)}
        rows.append({**row, "countries": int(p["countries"].iloc[0])})
    return Table(pd.DataFrame(rows), caption=caption, note=RANGE_NOTE)


RANGE_NOTE = "Central share (range left by cells published as fewer than 5)."


def _shares(p: pd.DataFrame, parts: Sequence[str]) -> dict[str, str]:
    """Each part's share of one profile as text, by column ('–' where the part is absent)."""
    p = p.set_index("part").reindex(list(parts))
    return {
        f"{part} (%)": share_text(r["share"], r["lower"], r["upper"]) for part, r in p.iterrows()
    }


def profile_figure(
    profiles: pd.DataFrame, figures: pd.DataFrame, parts: Sequence[str], title: str, source: str
):
    """One panel per part: each rule's share per year (line: central, band: range), published."""
    ncols, nrows = 2, (len(parts) + 1) // 2
    fig, axes = plots.figure(
        10, 3.2 * nrows + 1.2, nrows=nrows, ncols=ncols, sharex=True, sharey=True, squeeze=False
    )
    colours = dict(zip(gp.RULES, plots.SERIES_COLOURS, strict=False))
    published = figures[(figures["measure"] == "share") & figures["group"].isin(list(parts))]
    for ax, part in zip(axes.flat, parts, strict=False):
        for k, rule in enumerate(gp.RULES):
            p = profiles[(profiles["rule"] == rule) & (profiles["part"] == part)]
            p = p.sort_values("year")
            x = p["year"].astype(int)
            variant = rule != gp.base_rule(rule)  # dashed, in its base rule's colour, no band
            colour = colours[gp.base_rule(rule)]
            ax.plot(x, p["share"].astype(float), marker=plots.MARKERS[k], ms=3, lw=1.3,
                    ls="--" if variant else "-", color=colour, label=RULE_NAMES[rule])  # fmt: skip
            if not variant:
                ax.fill_between(x, p["lower"].astype(float), p["upper"].astype(float),
                                color=colour, alpha=0.15, lw=0)  # fmt: skip
        mine = published[published["group"] == part]
        x, y = mine["reference_year"].astype(int), mine["value"].astype(float)
        label = "Global Report (published)"
        ax.scatter(x, y, marker="X", s=50, color="black", zorder=5, label=label)
        ax.set_title(part, loc="left", fontsize=10)
        ax.set_ylim(0, 100 if len(parts) < 4 else 70)
    _legend_clear_of_lines(list(axes.flat), len(parts), ncols)
    ylabel = "share of detected victims (%)"
    plots.finish_grid(fig, axes, title=title, xlabel="reference year", ylabel=ylabel, source=source)
    plots.integer_years(fig.axes)
    return fig


def _legend_clear_of_lines(axes: list, used: int, ncols: int = 2) -> None:
    """The legend in the first spare panel (turned into a blank area; the panel above it keeps
    its year labels), else at the top of the panel whose lines stay lowest."""
    handles, labels = axes[0].get_legend_handles_labels()
    for ax in axes[used + 1 :]:
        ax.set_visible(False)
    if len(axes) > used:
        axes[used].axis("off")
        if used >= ncols:
            axes[used - ncols].xaxis.set_tick_params(labelbottom=True)
        axes[used].legend(handles, labels, loc="center left", fontsize=8, frameon=False)
        return

    def highest(ax) -> float:
        return max((float(np.nanmax(line.get_ydata())) for line in ax.get_lines()
                    if len(line.get_ydata())), default=0.0)  # fmt: skip

    lowest = min(axes[:used], key=highest)
    lowest.legend(handles, labels, fontsize=7, frameon=False, loc="upper left")


def _shares_record(p: pd.DataFrame) -> dict:
    """{part: [lower, share, upper], "countries": n} of one profile."""
    entry = {
        r.part: [round(float(x), 2) for x in (r.lower, r.share, r.upper)] for r in p.itertuples()
    }
    return {**entry, "countries": int(p["countries"].iloc[0])}


def profile_records(profiles: pd.DataFrame) -> dict:
    """{rule: {year: {part: [lower, share, upper], "countries": n, "export": vintage}}}."""
    out: dict = {}
    for (rule, year), p in profiles.groupby(["rule", "year"]):
        entry = _shares_record(p)
        if "vintage" in p:
            entry["export"] = str(p["vintage"].iloc[0])
        out.setdefault(rule, {})[str(int(year))] = entry
    return out


# --- Against the Global Report ---------------------------------------------------------------


def distance_table(dist: pd.DataFrame, caption: str) -> Table:
    """The published shares first, then per export and rule each part's share and distance."""
    parts = list(dict.fromkeys(dist["part"]))
    first = dist.drop_duplicates("part").set_index("part")["published"]
    shares = {f"{part} (%)": f"{first[part]:.0f}" for part in parts}
    blank = dict.fromkeys(["largest distance", "published share inside the range"], "–")
    rows = [{"export": "Global Report", "rule": "published", **shares, **blank}]
    for (vintage, rule), p in dist.groupby(["vintage", "rule"], sort=False):
        p = p.set_index("part")
        row = {"export": export_name(vintage, ""), "rule": RULE_NAMES[rule]}
        for part in parts:
            row[f"{part} (%)"] = f"{p.at[part, 'share']:.1f} ({points(p.at[part, 'distance'])})"
        row["largest distance"] = points(p["largest"].iloc[0], signed=False)
        inside = [part for part in parts if p.at[part, "range_gap"] == 0]
        row["published share inside the range"] = (
            "all" if len(inside) == len(parts) else ", ".join(inside) or "none"
        )
        rows.append(row)
    note = (
        "Central share and, in brackets, its distance from the published share. The range "
        "each share can take given the cells published as fewer than 5 is in the profile "
        "table above."
    )
    return Table(pd.DataFrame(rows), caption=caption, note=note)


def distance_records(dist: pd.DataFrame) -> dict:
    """{export: {rule: {"largest_points": x, part: points, ...}}} for the results."""
    out: dict = {}
    for (vintage, rule), p in dist.groupby(["vintage", "rule"]):
        entry = {
            "largest_points": round(float(p["largest"].iloc[0]), 2),
            "largest_range_gap_points": round(float(p["largest_range_gap"].iloc[0]), 2),
        }
        entry.update({r.part: round(float(r.distance), 2) for r in p.itertuples()})
        out.setdefault(str(vintage), {})[rule] = entry
    return out


CLOSE_ENOUGH = 3.0  # points from every edition's published shares: a rule that "matches"


def _edition_years(by_edition: pd.DataFrame) -> pd.Series:
    return by_edition.groupby("edition")["year"].first().sort_index()


def rule_choice_table(by_edition: pd.DataFrame) -> Table:
    """Each rule's largest distance to each edition held, and its worst case (first: default)."""
    worst, years = gp.worst_cases(by_edition), _edition_years(by_edition)
    frame = pd.DataFrame({"rule": [RULE_NAMES[r] for r in worst.index]})
    for edition, year in years.items():
        frame[f"{edition} edition, {year}"] = [points(v, False) for v in worst[edition]]
    frame["worst case"] = [points(v, False) for v in worst["worst"]]
    parts = by_edition.groupby("edition")["parts"].first()
    fewer = [f"the {e} edition gives {n} of the four groups" for e, n in parts.items() if n < 4]
    note = (
        "Largest distance, over the groups each edition publishes, between the computed "
        "central share and the published one, each year from the export published with the "
        "edition that first reported it. The first rule has the smallest worst case and is "
        "this report's default."
    ) + (f" Of the shares held here, {'; '.join(fewer)}." if fewer else "")
    return Table(frame, caption="Distance of each rule to every Global Report edition held",
                 note=note)  # fmt: skip


def minimum_table(sensitivity: pd.DataFrame) -> Table:
    """Per minimum of victims for a country to enter: the countries and each mean rule's worst."""
    years = _edition_years(sensitivity)
    rows = []
    for minimum, part in sensitivity.groupby("minimum"):
        row = {"at least (victims of known sex and age)": f"{int(minimum):,}"}
        for edition, year in years.items():
            n = part[part["edition"] == edition]["countries"]
            row[f"countries, {year}"] = f"{int(n.iloc[0]):,}" if len(n) else "–"
        for rule, rows_ in part.groupby("rule", sort=False):
            row[f"{RULE_NAMES[rule]}: worst case"] = points(rows_["worst"].iloc[0], False)
        rows.append(row)
    note = (
        "A country-year enters a mean rule only with at least this many victims of known sex "
        "and age (the lower end of the sum of its four groups). Worst case: the largest "
        "distance to any edition held."
    )
    return Table(pd.DataFrame(rows), caption="Mean rules with a minimum of victims per country",
                 note=note)  # fmt: skip


# --- Regions, forms and totals ---------------------------------------------------------------


def region_table(profiles: pd.DataFrame, rule: str, year: int) -> Table:
    """Per UN sub-region: the countries entering, their victims and the profile in `year`."""
    rows = []
    for region, p in profiles.groupby("region"):
        victims = bounds_text(p["victims_lower"].iloc[0], p["victims_upper"].iloc[0])
        row = {"region": region, "countries": int(p["countries"].iloc[0])}
        rows.append({**row, "victims (women, girls, men, boys)": victims, **_shares(p, gp.GROUPS)})
    caption = f"Profile per UN sub-region, {year} ({RULE_NAMES[rule]})"
    return Table(pd.DataFrame(rows), caption=caption, note=RANGE_NOTE)


def totals_table(totals: pd.DataFrame, figures: pd.DataFrame) -> Table:
    """Per year: detected victims in the export beside the Global Report's total if known."""
    known = figures[figures["measure"] == "total"]
    rows = []
    for r in totals.sort_values("year").itertuples():
        said = known[known["reference_year"] == r.year]
        report = "; ".join(
            f"{q.qualifier + ' ' if pd.notna(q.qualifier) else ''}{int(q.value):,} "
            f"({int(q.edition)} edition, as quoted)"
            for q in said.itertuples()
        )
        rows.append(
            {
                "reference year": str(int(r.year)),
                "export": export_name(r.vintage, ""),
                "detected victims in the export": bounds_text(r.lower, r.upper),
                "countries reporting": int(r.countries),
                "the Global Report says": report or "–",
            }
        )
    return Table(pd.DataFrame(rows), caption="Detected victims per reference year")


def sources_table(figures: pd.DataFrame) -> Table:
    """The published figures used, one row per source: the figures it gives and where."""
    text = [
        f"{r.group} {r.value:+,.0f}% since {r.base_year}"
        if r.measure == "change"
        else f"{r.group} {(r.qualifier + ' ') if pd.notna(r.qualifier) else ''}{r.value:,.0f}"
        + ("%" if r.measure == "share" else "")
        for r in figures.itertuples()
    ]
    keys = ["edition", "reference_year", "citation", "page_or_figure", "address", "provenance"]
    grouped = figures.assign(figure=text).groupby(keys, sort=False, dropna=False)["figure"]
    shown = grouped.agg(", ".join).reset_index()
    shown = shown[["edition", "reference_year", "figure", *keys[2:]]]
    shown = shown.astype({"edition": str, "reference_year": str})
    labels = {"figure": "figures", "page_or_figure": "where in the source", "provenance": "status"}
    caption = "Global Report figures used here and where each was found"
    return Table(shown, caption=caption, labels=labels)


def without_largest_table(
    base: pd.DataFrame, without: pd.DataFrame, top: pd.DataFrame, rule: str
) -> Table:
    """Per year: the rule's profile with and without the year's largest reporter."""
    rows = []
    for year in sorted(base["year"].unique()):
        t = top[top["year"] == year].iloc[0]
        row = {
            "reference year": str(int(year)),
            "largest reporter": country_name(t["iso3"]),
            "its share of victims (%)": bounds_text(t["share_lower"], t["share_upper"], 1),
        }
        for part in gp.GROUPS:
            a = base[(base["year"] == year) & (base["part"] == part)].iloc[0]
            b = without[(without["year"] == year) & (without["part"] == part)]
            after = "–" if b.empty else f"{b.iloc[0]['share']:.1f}"
            row[f"{part} (%): with → without"] = f"{a['share']:.1f} → {after}"
        rows.append(row)
    return Table(pd.DataFrame(rows), caption=f"Without the largest reporter ({RULE_NAMES[rule]})")


def region_records(profiles: pd.DataFrame) -> dict:
    """{region: {part: [lower, share, upper], "countries": n}} for one year and rule."""
    return {str(region): _shares_record(p) for region, p in profiles.groupby("region")}


# --- The Global Report's statements of change, against the export ---------------------------

STATEMENT_WORDS = {"all victims": "detected victims", "forced labour": "victims of forced labour",
                   "sexual exploitation": "victims of sexual exploitation",
                   "children": "child victims", "girls": "girls detected"}  # fmt: skip


def statement_label(row) -> str:
    """What a statement is about, in words: 'Change in detected victims, 2019–2022'."""
    if row["measure"] == "change":
        words = STATEMENT_WORDS.get(row["group"], row["group"])
        return f"Change in {words}, {int(row['base'])}–{int(row['year'])}"
    group, _, form = row["group"].partition(": ")
    return f"Share of {group} trafficked for {form}, {int(row['year'])}"


def range_pct(low: float, high: float, signed: bool = True) -> str:
    """'+9.7% to +9.8%' ('+9.7%' when they agree); unsigned for a share."""
    form = "{:+.1f}%" if signed else "{:.1f}%"
    a, b = form.format(low), form.format(high)
    return a if a == b else f"{a} to {b}"


def _every_country(row) -> str:
    """The change between the sums over every country reporting each year, as a range."""
    if row["measure"] != "change":
        return "–"
    (b_low, b_high, b_n), (a_low, a_high, a_n) = row["all_base"], row["all_year"]
    low, high = 100 * (a_low / b_high - 1), 100 * (a_high / b_low - 1)
    return f"{range_pct(low, high)} ({b_n} → {a_n} countries)"


def statements_table(checks: pd.DataFrame, edition: int) -> Table:
    """`gp.statement_checks` for the reader."""
    signed = checks["measure"] == "change"
    frame = pd.DataFrame({
        "statement": [statement_label(r) for _, r in checks.iterrows()],
        f"Global Report {edition}": [f"{v:+.0f}%" if c else f"{v:.0f}%"
                                     for v, c in zip(checks["published"], signed, strict=True)],
        "export, the same countries": [
            range_pct(lo, hi, c)
            for lo, hi, c in zip(checks["lower"], checks["upper"], signed, strict=True)],
        "countries": checks["countries"].astype(int).astype(str),
        "export, every reporting country": [_every_country(r) for _, r in checks.iterrows()],
        "gap (points)": [("agrees" if g == 0 else f"{g:+.1f}") for g in checks["gap"]],
    })  # fmt: skip
    note = (
        "The same countries: those that report the group in both years (for a share, all three "
        "forms for the group); every reporting country: the sums of each year over whichever "
        f"countries report it. A gap of 'agrees' means the report's whole per cent lies within "
        f"{gp.AGREES_WITHIN:.0f} point of the export's range; else the gap is how far the range "
        "lies beyond that point (negative: the export gives less). The statements are known "
        "here from summaries of the report (see the sources below)."
    )
    return Table(frame, caption=f"The Global Report {edition}'s statements against the export",
                 note=note)  # fmt: skip


def statements_records(checks: pd.DataFrame) -> list[dict]:
    keep = ["group", "measure", "base", "year", "published", "lower", "upper", "countries", "gap"]
    out = checks.reindex(columns=keep).astype(object).where(checks.reindex(columns=keep).notna())
    return [{k: (None if v is None else (float(v) if isinstance(v, float | np.floating) else v))
             for k, v in row.items()} for row in out.to_dict(orient="records")]  # fmt: skip
