"""What a country profile shows: ranked places with small cells collapsed and hidden, releases
side by side, the GLOTIP tables, the maps' notes, the results records and the summary paragraph.

The counts come from `analysis.profiles`; every decision about what a reader may see is made
here with `analysis.publish.disclosure`: a count of 1 to threshold - 1 reads 'fewer than N' (or
'<N'), a cell hidden only so that a published total cannot give a small one away reads '(s)',
and a share that would reveal either is 'suppressed'.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from analysis import enforcement as en
from analysis import profiles as pr
from analysis.data import releases
from analysis.publish import disclosure, maps, plots
from analysis.publish.enforcement_views import bounds_text, format_bounds

OTHER = "other countries"  # the row of the foreign places a ranked table does not name


# --- Names of places ------------------------------------------------------------------------------


def place_label(code: str, iso3: str, role: str) -> str:
    """A place as a table names it: the country, 'unknown' said in words, domestic marked."""
    if code == pr.UNKNOWN:
        return "place of exploitation unknown" if role == "destinations" else "citizenship unknown"
    if code == iso3:
        where = "within the country" if role == "destinations" else "the country's own citizens"
        return f"{pr.country_name(code)} ({where})"
    return pr.country_name(code)


def readable_places(table: pd.DataFrame, iso3: str, role: str, axis: str = "index"):
    """Replace ISO3 codes in an index (or columns) by country names for display."""

    def name(code):
        return code if code == pr.OTHER_FOREIGN else place_label(code, iso3, role)

    return table.rename(index=name) if axis == "index" else table.rename(columns=name)


# --- Ranked places and releases side by side ------------------------------------------------------


def ranked(
    counts: pd.DataFrame, release: str, iso3: str, role: str, threshold: int, top: int = 10
) -> pd.DataFrame:
    """One release's places, largest first: the top `top` foreign places with at least
    `threshold` records, one row for the other foreign places, then domestic and unknown.

    `share` is of the records with a known place (domestic included), suppressed where it would
    reveal a small cell; `records` is exact and for internal use only, `records_text` is shown.
    The rows add up to the release's published total, so a single small row hides one more
    (`hidden`, shown as '(s)'); when the unknown row is hidden, the number of known places
    is too, and so is every share of it.
    """
    part = counts[counts["release"] == release].set_index("place")["records"]
    known = int(part.drop(pr.UNKNOWN, errors="ignore").sum())
    foreign = part.drop([pr.UNKNOWN, iso3], errors="ignore")
    foreign = foreign.sort_index().sort_values(ascending=False, kind="stable")
    big = foreign[~disclosure.is_small(foreign, threshold)]
    head = big.iloc[:top]
    rest = foreign.drop(head.index)
    rows = [(code, int(n), "foreign") for code, n in head.items()]
    if len(rest):
        rows.append((f"{OTHER} ({len(rest)})", int(rest.sum()), "other"))
    for code, kind in ((iso3, "domestic"), (pr.UNKNOWN, "unknown")):
        if code in part.index:
            rows.append((code, int(part[code]), kind))
    table = pd.DataFrame(rows, columns=["place", "records", "kind"])
    if table.empty:
        return table.assign(country=[], records_text=[], hidden=[], share=[], share_text=[])
    pairs = zip(table["place"], table["kind"], strict=True)
    table["country"] = [p if k == "other" else place_label(p, iso3, role) for p, k in pairs]
    if len(rest) > 1 and disclosure.is_small(rest, threshold).all():
        each = f", each {disclosure.fewer_than(threshold)}"
        table.loc[table["kind"] == "other", "country"] += each
    table["hidden"] = disclosure.hidden_cells(table[["records"]], threshold, "columns")["records"]
    table["records_text"] = disclosure.cell_text(table["records"], table["hidden"], threshold)
    with_place = table["kind"] != "unknown"
    shares = disclosure.suppressed_shares(
        table["records"].where(with_place, 0), pd.Series(known, index=table.index), threshold
    )
    hidden = shares["suppressed"] | table["hidden"] | table.loc[~with_place, "hidden"].any()
    table["share"] = shares["share"].where(with_place & ~hidden)
    table["share_text"] = [
        disclosure.share_text(v, digits=0, hidden=disclosure.HIDDEN_SHARE if h else "")
        for v, h in zip(table["share"], hidden & with_place, strict=True)
    ]
    columns = ["place", "country", "kind", "records", "records_text", "hidden", "share",
               "share_text"]  # fmt: skip
    return table[columns]


def listing(table: pd.DataFrame):
    """A table of countries as the report shows it: no index, names left, figures right."""
    return (
        table.style.hide(axis="index")
        .set_properties(**{"text-align": "right"})
        .set_properties(subset=["country"], **{"text-align": "left"})
    )


def ranked_view(table: pd.DataFrame, share_label: str):
    """A `ranked` table as the report shows it: place, records, share of the known places."""
    shown = table[["country", "records_text", "share_text"]].rename(
        columns={"records_text": "victim records", "share_text": share_label}
    )
    return listing(shown)


def main_places(table: pd.DataFrame) -> list[str]:
    """The ISO3 codes of the ranked foreign places (a `ranked` table)."""
    return table.loc[table["kind"] == "foreign", "place"].tolist()


def top_records(table: pd.DataFrame) -> list[dict]:
    """The ranked foreign places for results JSON (only those shown with an exact count)."""
    rows = table[(table["kind"] == "foreign") & ~table["hidden"]]
    return [
        {"iso3": r.place, "country": r.country, "records": int(r.records),
         "share_of_known": None if pd.isna(r.share) else round(float(r.share), 4)}
        for r in rows.itertuples()
    ]  # fmt: skip


def records_by_release(counts: pd.DataFrame, threshold: int) -> dict[str, str]:
    """Each release's records, as a sentence states them ('1,234' or 'fewer than N')."""
    totals = counts.groupby("release")["records"].sum()
    return {r: disclosure.count_words(int(n), threshold) for r, n in totals.items()}


def release_comparison(counts: pd.DataFrame, iso3: str, role: str, threshold: int) -> pd.DataFrame:
    """Places x releases, suppressed text; never summed across releases.

    Foreign places that are small cells in every release share one row of suppressed sums.
    Each column adds up to the release's published total, so a column with a single small
    cell hides one more, shown as '(s)'.
    """
    wide = counts.pivot(index="place", columns="release", values="records").fillna(0)
    wide = wide.astype("int64")
    wide = wide[[r for r in releases.CTDC if r in wide.columns]]
    specials = [p for p in (iso3, pr.UNKNOWN) if p in wide.index]
    foreign = wide.drop(specials)
    always_small = (disclosure.is_small(foreign, threshold) | (foreign == 0)).all(axis=1)
    kept = foreign[~always_small]
    kept = kept.loc[kept.max(axis=1).sort_values(ascending=False, kind="stable").index]
    parts = [kept]
    if always_small.sum():
        label = (f"{OTHER} ({int(always_small.sum())}), each {disclosure.fewer_than(threshold)} "
                 "in every release")  # fmt: skip
        parts.append(foreign[always_small].sum().to_frame(label).T)
    parts.append(wide.loc[specials])
    table = pd.concat(parts)
    text = disclosure.suppress_table(table, threshold, lines="columns").replace("0", "–")
    names = [i if i.startswith(OTHER) else place_label(i, iso3, role) for i in table.index]
    text.index = pd.Index(names, name="country")
    text.columns = [releases.CTDC[c].label for c in text.columns]
    return text


# --- Figures: notes under them and maps -----------------------------------------------------------


def not_drawn_note(threshold: int) -> str:
    """The note under a line chart that leaves out what its table hides."""
    small, secondary = disclosure.small_text(threshold), disclosure.SECONDARY
    return f"Counts the table hides ({small}, {secondary}) not drawn"


def heatmap_note(threshold: int) -> str:
    """The note under a heatmap that labels the cells its table hides."""
    small, secondary = disclosure.small_text(threshold), disclosure.SECONDARY
    return f"Cells below {threshold} shown as {small}; {secondary}: hidden to protect one"


def over_time_figure(
    timeline: pd.DataFrame, iso3: str, role: str, threshold: int, *, title: str, source: str
):
    """Records per year (`profiles.over_time`), one line per place, without the points its
    table hides (small cells and the cells hidden to protect them): those are gaps."""
    hidden = disclosure.hidden_cells(timeline, threshold, lines="columns")  # as in the table
    drawn = readable_places(timeline.astype(float).mask(hidden), iso3, role, axis="columns")
    fig, ax = plots.figure(9, 4.2)
    for column in drawn.columns:
        ax.plot(drawn.index, drawn[column], marker="o", ms=3, label=column)
    ax.legend(frameon=False, fontsize=7, ncols=2)
    plots.integer_years([ax], nbins=8)
    plots.finish(fig, ax, title=title, xlabel="year of registration",
                 ylabel="victim records (count)",
                 source=f"{source}. {not_drawn_note(threshold)}")  # fmt: skip
    return fig


def over_time_table(timeline: pd.DataFrame, iso3: str, role: str, threshold: int):
    """`profiles.over_time` as its table shows it, places named, small cells hidden."""
    table = disclosure.suppress_table(timeline, threshold, lines="columns")
    return readable_places(table, iso3, role, axis="columns")


def group_heatmaps(
    groups: dict[str, pd.DataFrame],
    keep: list[str],
    iso3: str,
    role: str,
    threshold: int,
    *,
    title: str,
    source: str,
) -> tuple:
    """Two or more heatmaps side by side, one per breakdown (`profiles.by_group` by gender, by
    form...) of the places `keep` names, and the tables that go with them. Each row adds up to
    the ranked table, so a row with one small cell hides one more, in the heatmap as in its
    table. The height leaves room for every row a breakdown can have (`keep`, other foreign,
    domestic, unknown)."""
    fig, axes = plots.figure(11, 0.45 * (len(keep) + 3) + 2.2, ncols=len(groups))
    tables = {}
    for ax, (column, counts) in zip(axes, groups.items(), strict=True):
        counts = readable_places(counts, iso3, role)
        hidden = disclosure.hidden_cells(counts, threshold, lines="rows")
        plots.count_heatmap(ax, counts, threshold, hidden=hidden)
        ax.set_title(f"by {column}", loc="left", fontsize=10)
        tables[column] = disclosure.suppress_table(counts, threshold, lines="rows")
    plots.finish_grid(fig, axes, title=title, xlabel="group", ylabel="place of exploitation",
                      source=f"{source}. {heatmap_note(threshold)}")  # fmt: skip
    return fig, tables


def rates_figure(series: pd.DataFrame, name: str, *, source: str):
    """The country's GLOTIP rates per 100,000 beside the pooled rate of the rest of its region,
    one panel per indicator, with the bands `<5` cells leave."""
    keys = [k for k in en.INDICATORS if k in set(series["indicator"])]
    fig, axes = plots.figure(4 * len(keys), 4, ncols=len(keys), squeeze=False)
    for ax, key in zip(axes[0], keys, strict=True):
        for scope, part in series[series["indicator"] == key].groupby("scope", sort=False):
            label = name if scope == "country" else scope
            plots.bounds_band(ax, part["year"], part["rate_lower"], part["rate_upper"], label,
                              alpha=0.25)  # fmt: skip
        ax.set_title(en.LABELS[key], loc="left", fontsize=10)
        ax.legend(frameon=False, fontsize=7)
    plots.integer_years(axes[0])
    plots.finish_grid(fig, axes, title=f"{name}: GLOTIP figures per 100,000 population",
                      xlabel="reference year", ylabel="persons per 100,000 population",
                      source=source)  # fmt: skip
    return fig


def place_map(
    values: pd.Series, iso3: str, threshold: int, *, title: str, source: str, extent
) -> tuple:
    """A choropleth of victim records per foreign place, the country itself outlined."""
    return maps.choropleth(values, threshold, title=title, units="victim records (count)",
                           source=source, home=iso3, extent=extent)  # fmt: skip


def not_drawn_text(values: pd.Series, info: maps.MapInfo, threshold: int) -> str | None:
    """The places a map has a value for but no polygon, with their counts as the table shows
    them; None when every place is drawn."""
    if not info.not_drawn:
        return None
    counts = disclosure.suppress(values[info.not_drawn], threshold)
    listed = ", ".join(f"{pr.country_name(c)} ({counts[c]})" for c in info.not_drawn)
    return f"Not drawn (no polygon at 1:110m): {listed}."


# --- GLOTIP ---------------------------------------------------------------------------------------


def enforcement_table(series: pd.DataFrame) -> pd.DataFrame:
    """The country's counts (ranges for `<5`) and rates per 100,000, one row per year."""
    own = series[series["scope"] == "country"]
    table = pd.DataFrame(index=pd.Index(sorted(own["year"].unique()), name="year"))
    for key in [k for k in en.INDICATORS if k in set(own["indicator"])]:
        part = own[own["indicator"] == key].set_index("year").reindex(table.index)
        table[en.LABELS[key]] = format_bounds(part["lower"], part["upper"]).to_numpy()
        table[f"{key} per 100,000"] = format_bounds(
            part["rate_lower"], part["rate_upper"], 2
        ).to_numpy()
    return table


def abroad_table(abroad: pd.DataFrame) -> pd.DataFrame:
    """`profiles.detected_abroad` as the report shows it: the sums as text (ranges for `<5`)."""
    table = abroad[["country", "first", "last", "years"]].assign(
        victims=format_bounds(abroad["lower"], abroad["upper"]).to_numpy()
    )
    names = {"first": "first year", "last": "last year", "years": "years reported",
             "victims": "victims (sum)"}  # fmt: skip
    return table.rename(columns=names)


def no_population_text(series: pd.DataFrame) -> str | None:
    """The region's members without a WPP population, in its counts but not its rates."""
    lacking = sorted({c for s in series["no_population"] for c in s.split(", ") if c})
    if not lacking:
        return None
    return ("Without a WPP population, so in the regional counts but not in the regional rates: "
            f"{', '.join(lacking)}.")  # fmt: skip


def abroad_records(abroad: pd.DataFrame) -> list[dict]:
    return [
        {"iso3": r.iso3, "years": int(r.years), "first": int(r.first), "last": int(r.last),
         "lower": int(r.lower), "upper": int(r.upper)}
        for r in abroad.itertuples()
    ]  # fmt: skip


def series_record(series: pd.DataFrame) -> dict:
    """The country's published bounds per indicator and year, for results JSON."""
    own = series[series["scope"] == "country"]
    return {
        key: {int(r.year): [int(r.lower), int(r.upper)] for r in part.itertuples()}
        for key, part in own.groupby("indicator")
    }


# --- The summary paragraph ------------------------------------------------------------------------


def _places_sentence(table: pd.DataFrame, n: int = 3) -> str:
    rows = table[(table["kind"] == "foreign") & ~table["hidden"]].head(n)
    parts = [
        f"{r.country} ({r.records:,}"
        + (f", {disclosure.share_text(r.share, digits=0)}" if pd.notna(r.share) else "")
        + ")"
        for r in rows.itertuples()
    ]
    if len(parts) > 1:
        return ", ".join(parts[:-1]) + " and " + parts[-1]
    return parts[0] if parts else ""


def _stated(rows: pd.DataFrame, threshold: int) -> str | None:
    """A ranked row's count as the paragraph may state it: exact, 'fewer than N', or None when
    the row is absent or hidden only to protect another."""
    if rows.empty or int(rows["records"].iloc[0]) == 0:
        return None
    n = int(rows["records"].iloc[0])
    if disclosure.is_small(n, threshold):
        return disclosure.fewer_than(threshold)
    return None if bool(rows["hidden"].iloc[0]) else f"{n:,}"


def summary_facts(
    iso3: str,
    release: str,
    years: Sequence[int],
    destinations: pd.DataFrame,
    origins: pd.DataFrame,
    series: pd.DataFrame,
    abroad: pd.DataFrame,
    threshold: int,
) -> dict:
    """The numbers the paragraph states, gathered from the profile's tables after their
    suppression: a count a table hides is None here, or a 'fewer than N' text when small."""
    facts: dict = {"iso3": iso3, "country": pr.country_name(iso3), "release": release,
                   "release_label": releases.CTDC[release].label,
                   "years": [int(years[0]), int(years[-1])], "threshold": threshold}  # fmt: skip
    for role, table in (("destinations", destinations), ("origins", origins)):
        total = int(table["records"].sum()) if len(table) else 0
        unknown = table[table["kind"] == "unknown"]
        domestic = table[table["kind"] == "domestic"]
        facts[role] = {
            "records": total,
            "known": None if unknown["hidden"].any() else total - int(unknown["records"].sum()),
            "domestic": _stated(domestic, threshold),
            "sentence": _places_sentence(table),
        }
    own = series[series["scope"] == "country"].dropna(subset=["lower"])
    latest = {}
    for key in [k for k in en.INDICATORS if k in set(own["indicator"])]:
        rows = own[own["indicator"] == key]
        row = rows.loc[rows["year"].idxmax()]
        pooled = series[(series["scope"] != "country") & (series["indicator"] == key)
                        & (series["year"] == row["year"])]  # fmt: skip
        latest[key] = {
            "year": int(row["year"]),
            "count": bounds_text(row["lower"], row["upper"]),
            "rate": bounds_text(row["rate_lower"], row["rate_upper"], 2),
            "region_rate": bounds_text(pooled["rate_lower"].iloc[0],
                                       pooled["rate_upper"].iloc[0], 2) if len(pooled) else None,
            "region": pooled["scope"].iloc[0] if len(pooled) else None,
        }  # fmt: skip
    facts["glotip"] = latest or None
    facts["abroad_countries"] = int(len(abroad))
    return facts


def summary_paragraph(facts: dict) -> str:
    """Plain sentences from `summary_facts`; every number in it comes from there."""
    name, n = facts["country"], facts["threshold"]
    first, last = facts["years"]
    text = []
    dest = facts["destinations"]
    if dest["records"] == 0:
        text.append(f"The {facts['release_label']} holds no records of citizens of {name} "
                    f"registered in {first}–{last}.")  # fmt: skip
    else:
        known = (f"; {disclosure.count_words(dest['known'], n)} of them name the place of "
                 "exploitation" if dest["known"] is not None else "")  # fmt: skip
        text.append(
            f"In the {facts['release_label']}, {disclosure.count_words(dest['records'], n)} "
            f"records registered in {first}–{last} concern citizens of {name}{known}."
        )
        if dest["sentence"]:
            text.append(f"The main foreign destinations were {dest['sentence']}.")
        if dest["domestic"]:
            text.append(f"{dest['domestic'].capitalize()} were exploited within {name}.")
    orig = facts["origins"]
    if orig["records"] == 0:
        text.append(f"No record of that release names {name} as the place of exploitation.")
    else:
        own = (f"; {orig['domestic']} of them concern its own citizens"
               if orig["domestic"] else "")  # fmt: skip
        foreign = f"; the main foreign origins were {orig['sentence']}" if orig["sentence"] else ""
        text.append(f"{disclosure.count_words(orig['records'], n).capitalize()} records name "
                    f"{name} as the place of exploitation{own}{foreign}.")  # fmt: skip
    glotip = facts["glotip"]
    if glotip is None:
        text.append(f"GLOTIP publishes no enforcement totals for {name} in these years.")
    else:
        parts = []
        for key, f in glotip.items():
            part = f"{f['count']} {en.LABELS[key]} in {f['year']} ({f['rate']} per 100,000"
            if f["region_rate"]:
                part += f"; {f['region_rate']} in the {f['region']}"
            parts.append(part + ")")
        listing = "; ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]
        text.append(f"In GLOTIP, {name} last reported {listing}.")
    if facts["abroad_countries"]:
        text.append(f"{facts['abroad_countries']} other countries reported detecting victims "
                    f"with {name}'s citizenship to GLOTIP in these years.")  # fmt: skip
    return " ".join(text)
