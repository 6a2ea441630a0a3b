"""What a country profile shows of the counts of `analysis.profiles`. Every decision about what
a reader may see is made here with `analysis.publish.disclosure`: a count of 1 to threshold - 1
reads 'fewer than N' (or '<N'), a cell hidden only so that a published total cannot give a
small one away reads '(s)', and a share that would reveal either is 'suppressed'.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from analysis import enforcement as en
from analysis import profiles as pr
from analysis import victims
from analysis.data import releases
from analysis.publish import bounded, disclosure, maps, plots
from analysis.publish import release as rel
from analysis.publish.bounded import bounds_text, format_bounds

ABROAD_ROWS = 15  # reporting countries of the detected-abroad table
OTHER = "other countries"  # the row of the foreign places a ranked table does not name


# --- Who is counted: the populations and their protected tables ----------------------------------


def population(release: str, iso3: str, role: str, years: Sequence[int] | None = None) -> str:
    """Who a profile's tables of one release and role count; the disclosure audit links the
    tables of the same population."""
    who = f"citizens of {iso3}" if role == "destinations" else f"people exploited in {iso3}"
    when = f" registered {int(years[0])}–{int(years[-1])}" if years is not None else ""
    return f"CTDC {release}: records of {who}{when}"


def place_patterns(table: pd.DataFrame) -> list[dict]:
    """Per ranked row, the sum of its ranked table (`ranked_table`) that the row shows."""
    return [{"place": list(r["members"])} if r["kind"] == "other" else {"place": [r["place"]]}
            for _, r in table.iterrows()]  # fmt: skip


def ranked_table(
    table: pd.DataFrame,
    population_: str,
    threshold: int,
    compared: disclosure.CountTable | None = None,
) -> disclosure.CountTable:
    """A ranked table's counts as a protected table, each foreign place a cell (those of the
    other places too: each fewer than N where they all are, as a map shows them). Published:
    each row, the total and the records with a known place; shared: what the release
    comparison (`compared`, protected first: it names every place) fixes."""
    keys, values, shown = [], [], []
    for _, row in table.iterrows():
        if row["kind"] == "other":
            each = all(disclosure.is_small(n, threshold) for n in row["members"].values())
            for code, n in row["members"].items():
                keys, values, shown = [*keys, code], [*values, n], [*shown, each]
        else:
            keys, values, shown = [*keys, row["place"]], [*values, row["records"]], [*shown, True]
    counts = map_counts(pd.Series(values, index=keys))
    known = [k for k in keys if k != pr.UNKNOWN]
    sums = [p for p in place_patterns(table) if len(p["place"]) > 1]
    sums += [{"place": known}] if known and len(known) < len(keys) else []
    shared = [{}]
    if compared is not None:
        shared += disclosure.fixed_sums(compared, [{"place": [k]} for k in keys])
    return disclosure.protect_shown("Records by place (ranked)", population_, counts, shown, sums,
                         threshold, shared)  # fmt: skip


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
    counts: pd.DataFrame,
    release: str,
    iso3: str,
    role: str,
    threshold: int,
    top: int = 10,
    years: Sequence[int] | None = None,
    compared: disclosure.CountTable | None = None,
    sliced: disclosure.CountTable | None = None,
) -> tuple[pd.DataFrame, disclosure.CountTable | None]:
    """One release's places: the top `top` foreign places with at least `threshold` records,
    one row for the other foreign places, then domestic and unknown. `records` is exact and
    internal; `records_text` is shown. The rows add up to the published total, so a single small
    row hides one more ('(s)'); a hidden unknown row hides the known places' total and every
    share of it. `sliced`: the protected release's slice of these records, shown instead.
    Returned with the protected table it shows (None: no places)."""
    part = counts[counts["release"] == release].set_index("place")["records"]
    foreign = part.drop([pr.UNKNOWN, iso3], errors="ignore")
    foreign = foreign.sort_index().sort_values(ascending=False, kind="stable")
    head = foreign[~disclosure.is_small(foreign, threshold)].iloc[:top]
    rest = foreign.drop(head.index)
    rows = [(code, int(n), "foreign", {}) for code, n in head.items()]
    if len(rest):
        each = {str(c): int(n) for c, n in rest.items()}
        rows.append((f"{OTHER} ({len(rest)})", int(rest.sum()), "other", each))
    for code, kind in ((iso3, "domestic"), (pr.UNKNOWN, "unknown")):
        if code in part.index:
            rows.append((code, int(part[code]), kind, {}))
    table = pd.DataFrame(rows, columns=["place", "records", "kind", "members"])
    if table.empty:
        return table.assign(country=[], records_text=[], hidden=[], share=[], share_text=[]), sliced
    pairs = zip(table["place"], table["kind"], strict=True)
    table["country"] = [p if k == "other" else place_label(p, iso3, role) for p, k in pairs]
    if len(rest) > 1 and disclosure.is_small(rest, threshold).all():
        each = f", each {disclosure.fewer_than(threshold)}"
        table.loc[table["kind"] == "other", "country"] += each
    protected = sliced
    if protected is None:
        protected = ranked_table(table, population(release, iso3, role, years), threshold, compared)
    patterns = place_patterns(table)
    table["records_text"] = [disclosure.sum_words(protected, p, words=False) for p in patterns]
    table["hidden"] = ~table["records_text"].str[0].str.isdigit()
    with_place = table["kind"] != "unknown"
    known = {"place": [c for p, w in zip(patterns, with_place, strict=True) if w
                       for c in p["place"]]}  # fmt: skip
    hidden = [not place or disclosure.share_hidden((protected, p), (protected, known), threshold)
              for place, p in zip(with_place, patterns, strict=True)]  # fmt: skip
    shares = table["records"] / int(table.loc[with_place, "records"].sum() or 1)
    table["share"] = shares.where(~pd.Series(hidden, index=table.index))
    table["share_text"] = [
        disclosure.share_text(v, digits=0, hidden=disclosure.HIDDEN_SHARE if h else "")
        for v, h in zip(table["share"], pd.Series(hidden) & with_place.to_numpy(), strict=True)
    ]
    columns = ["place", "country", "kind", "records", "records_text", "hidden", "share",
               "share_text", "members"]  # fmt: skip
    return table[columns], protected


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


def comparison_rows(counts: pd.DataFrame, iso3: str, threshold: int) -> tuple[pd.DataFrame, list]:
    """Places x releases: the foreign places, largest first, those small in every release (one
    row of the comparison: their sum), domestic and unknown; and the codes of the small ones."""
    wide = counts.pivot(index="place", columns="release", values="records").fillna(0)
    wide = wide.astype("int64")
    wide = wide[[r for r in releases.CTDC if r in wide.columns]]
    specials = [p for p in (iso3, pr.UNKNOWN) if p in wide.index]
    foreign = wide.drop(specials)
    always_small = (disclosure.is_small(foreign, threshold) | (foreign == 0)).all(axis=1)
    if always_small.sum() < 2:  # one such place is a row of its own: '<10', not a sum of one
        always_small[:] = False
    kept = foreign[~always_small]
    kept = kept.loc[kept.max(axis=1).sort_values(ascending=False, kind="stable").index]
    table = pd.concat([kept, foreign[always_small], wide.loc[specials]])
    return table.rename_axis(index="place"), list(foreign.index[always_small])


def comparison_tables(
    counts: pd.DataFrame,
    iso3: str,
    role: str,
    threshold: int,
    years: Sequence[int] | None = None,
    released: rel.Released | None = None,
) -> dict[str, disclosure.CountTable]:
    """Per release, its column of `release_comparison` as a protected table, its total
    published: the release's slice where `released` is given, else (an exploration) protected
    on its own, its total withheld too where it would give a small cell away."""
    rows, small = comparison_rows(counts, iso3, threshold)
    sums = ({"place": small},) if small else ()
    tables = {}
    for release in rows.columns:
        column, cells = rows[release], map_counts(rows[release])
        name = f"Records by place in each release ({release})"
        where = population(release, iso3, role, years)
        if released is not None:
            tables[release] = released.slice(release, iso3, role, column, name, where)
            continue
        try:
            tables[release] = disclosure.protect(name, where, cells, sums, threshold,
                                                 partial=("place",), shared=({},))  # fmt: skip
        except disclosure.DisclosureError:  # the total itself gives a cell away
            tables[release] = disclosure.protect(name, where, cells, ({}, *sums), threshold,
                                                 partial=("place",))  # fmt: skip
    return tables


def release_comparison(
    counts: pd.DataFrame,
    iso3: str,
    role: str,
    threshold: int,
    tables: dict[str, disclosure.CountTable] | None = None,
) -> pd.DataFrame:
    """Places x releases as their protected tables show them; never summed across releases."""
    rows, small = comparison_rows(counts, iso3, threshold)
    tables = tables or comparison_tables(counts, iso3, role, threshold)
    text = pd.DataFrame({
        release: disclosure.cell_text(t.counts, t.hidden, threshold).to_numpy()
        for release, t in tables.items()
    }, index=rows.index).drop(index=small)  # fmt: skip
    names = [place_label(i, iso3, role) for i in text.index]
    if small:
        label = (f"{OTHER} ({len(small)}), each {disclosure.fewer_than(threshold)} "
                 "in every release")  # fmt: skip
        row = pd.DataFrame({r: [disclosure.sum_words(t, {"place": small}, words=False)]
                            for r, t in tables.items()}, index=["always small"])  # fmt: skip
        at = len(text) - sum(p in text.index for p in (iso3, pr.UNKNOWN))
        text = pd.concat([text.iloc[:at], row, text.iloc[at:]])
        names = [*names[:at], label, *names[at:]]
    text = text.replace("0", "–")
    text.index = pd.Index(names, name="country")
    text.columns = [releases.CTDC[c].label for c in text.columns]
    return text


@dataclass
class Places:
    """One role's ranked table, its release comparison and the breakdowns protected with them."""

    release: str
    ranked: pd.DataFrame
    table: disclosure.CountTable | None  # None: the release holds no record of the role
    comparison: dict[str, disclosure.CountTable]
    breakdowns: list[disclosure.CountTable] = field(default_factory=list)

    def breakdown(self, name: str, counts: pd.Series) -> disclosure.CountTable:
        """A breakdown of the ranked places by another dimension, kept with the others."""
        others = self.ranked.loc[self.ranked["kind"] == "other", "members"]
        return self._linked(name, counts, [self.table], list(others.iloc[0]) if len(others) else [])

    def map_table(self, name: str, counts: pd.Series) -> disclosure.CountTable:
        """The foreign places of a map, each shown with its count, kept with the others."""
        compared = self.comparison.get(self.release)
        return self._linked(name, counts, [t for t in (self.table, compared) if t is not None])

    def _linked(self, name: str, counts: pd.Series, linked: list, others=()):
        """`counts` protected against `linked` tables: a place total they all fix is shared; a
        place one does not fix is hidden here throughout, so that the cells cannot add up to it.
        The other foreign places (`others`) stand as one row."""
        codes = list(dict.fromkeys(counts.index.get_level_values("place").astype(str)))
        codes = sorted(codes, key=lambda c: c == pr.OTHER_FOREIGN)
        shared, open_ = [], []
        for table in linked:
            cells = set(table.counts.index.get_level_values("place").astype(str))
            for code in codes:
                own = others if code == pr.OTHER_FOREIGN and others else [code]
                if set(own) <= cells:
                    (shared if table.determined({"place": own}) else open_).append(code)
        also = pd.Series(counts.index.get_level_values("place").isin(open_), counts.index)
        shared = [{"place": [c]} for c in dict.fromkeys(shared) if c not in open_]
        table = disclosure.protect(name, self.table.population, counts,
                                   threshold=self.table.threshold, also=also, partial=("place",),
                                   shared=tuple(shared))  # fmt: skip
        table.of = self.table.of  # a slice of the release's grid, as the ranked table is
        self.breakdowns.append(table)
        return table

    def tables(self) -> list[disclosure.CountTable]:
        found = [self.table] if self.table is not None else []
        found += [t for t in self.comparison.values() if t is not self.table]
        return [*found, *self.breakdowns]

    def check(self) -> None:
        """Show what the linked tables fix anyway; a small cell they give away is an error."""
        if exposed := disclosure.show_derived(self.tables()):
            raise disclosure.DisclosureError(
                f"{exposed[0]['table']}: cell {exposed[0]['key']} is given away by the "
                "profile's tables together"
            )


def places(
    counts: pd.DataFrame,
    release: str,
    iso3: str,
    role: str,
    threshold: int,
    top: int,
    years: Sequence[int],
    released: rel.Released | None = None,
) -> Places:
    """The release comparison and the ranked places of `release`: slices of the run's protected
    release, or (an exploration) protected here, the ranked table sharing what the comparison
    fixes."""
    comparison = {}
    if len(counts):
        comparison = comparison_tables(counts, iso3, role, threshold, years, released)
    compared = comparison.get(release)
    sliced = compared if released is not None else None
    table, protected = ranked(counts, release, iso3, role, threshold, top, years, compared, sliced)
    return Places(release, table, protected, comparison)


def both_places(
    records: pd.DataFrame,
    release: str,
    iso3: str,
    threshold: int,
    top: int,
    years: Sequence[int],
    released: rel.Released | None = None,
) -> tuple[list[pd.DataFrame], list[Places]]:
    """Per role (destinations, then origins): the records per place and release, and `places`."""
    roles = ("destinations", "origins")
    counts = [pr.place_counts(records, iso3, role) for role in roles]
    found = [places(c, release, iso3, role, threshold, top, years, released)
             for c, role in zip(counts, roles, strict=True)]  # fmt: skip
    return counts, found


# --- The breakdowns of the places: slices of the release at the profile's defaults ---------------

DEFAULT_RELEASE, DEFAULT_TOP = "kanon_2021", 8  # notebook 40's defaults: the release holds these
MAPS = {
    "destinations_map": "Records by foreign place of exploitation (map)",
    "origins_map": "Records by foreign citizenship (map)",
}
BREAKDOWNS = {
    "over_time": "Records by year of registration and place",
    "gender": "Records by place and gender",
    "form": "Records by place and form",
}
PART_COLUMNS = ("release", "year", "citizenship", "exploitation_country", "gender", "form")


def profile_key(iso3: str, release: str, top: int) -> dict:
    """What a profile's breakdowns depend on besides the release's years and threshold."""
    return {"iso3": iso3, "release": release, "top": int(top)}


def held_parts(
    released: rel.Released | None, iso3: str, release: str, top: int
) -> dict[str, dict] | None:
    """The release's records of this profile's breakdowns, or None (an exploration: the profile
    protects its own); a DataError for a release made before it held any profile."""
    if released is None:
        return None
    if "profiles" not in released.reports:
        raise rel.stale("the protected release holds no country profile's tables")
    return released.held("profiles", profile_key(iso3, release, top))


def map_counts(values: pd.Series) -> pd.Series:
    """Records per place (a map's: `profiles.foreign_places`) as a protected table's counts."""
    index = pd.MultiIndex.from_arrays([values.index.astype(str)], names=["place"])
    return pd.Series(values.to_numpy(dtype="int64"), index=index)


def part_counts(
    records: pd.DataFrame, iso3: str, release: str, keep: list[str], dest_counts, orig_counts
) -> dict:
    """The counts behind the profile's breakdowns (by year, gender and form) and maps."""
    return {"over_time": pr.over_time(records, iso3, release, "destinations", keep),
            **{c: pr.by_group(records, iso3, release, "destinations", keep, c)
               for c in ("gender", "form")},
            "destinations_map": pr.foreign_places(dest_counts, release, iso3),
            "origins_map": pr.foreign_places(orig_counts, release, iso3)}  # fmt: skip


def protect_parts(
    parts: dict, dest: Places, orig: Places, held: dict | None
) -> dict[str, disclosure.CountTable]:
    """The tables of `parts` with records: restored from the release (`held`), else protected."""
    tables = {}
    for part, values in parts.items():
        places = orig if part == "origins_map" else dest
        if values.empty or places.table is None:
            continue
        counts = map_counts(values) if part in MAPS else values.stack()
        if held is not None:
            if part not in held:
                raise rel.stale(f"the protected release holds no {part} table of this profile")
            table = rel.restore(held[part], counts, dest.release)
            places.breakdowns.append(table)
        elif part in MAPS:
            table = places.map_table(MAPS[part], counts)
        else:
            table = places.breakdown(BREAKDOWNS[part], counts)
        tables[part] = table
    return tables


def default_parts(
    frame: pd.DataFrame, released: rel.Released
) -> list[tuple[dict, dict[str, disclosure.CountTable]]]:
    """For the release step: every country's breakdowns at the profile's defaults, with keys."""
    years, threshold = list(released.years), released.threshold
    # The breakdowns depend on the detailed release's places alone: only its records are read.
    in_years = frame["year"].between(*years).fillna(False)
    frame = frame[in_years & (frame["release"] == DEFAULT_RELEASE)]
    codes = sorted(set(frame["citizenship"].dropna()) | set(frame["exploitation_country"].dropna()))
    records = victims.add_groups(frame.reset_index(drop=True))[list(PART_COLUMNS)]
    found = []
    for iso3 in codes:
        mine = records[records["citizenship"].eq(iso3) | records["exploitation_country"].eq(iso3)]
        counts, (dest, orig) = both_places(mine, DEFAULT_RELEASE, iso3, threshold, DEFAULT_TOP,
                                           years, released)  # fmt: skip
        keep = main_places(dest.ranked)
        parts = part_counts(mine, iso3, DEFAULT_RELEASE, keep, *counts)
        tables = protect_parts(parts, dest, orig, None)  # the page checks them together
        found.append((profile_key(iso3, DEFAULT_RELEASE, DEFAULT_TOP), tables))
    return found


# --- Figures: notes under them and maps -----------------------------------------------------------


def map_text(values: pd.Series, table: disclosure.CountTable) -> pd.Series:
    """A map's counts per place as its protected table shows them ('<10', '(s)' or the count)."""
    hidden = pd.Series(table.hidden.to_numpy(), index=table.counts.index.get_level_values(0))
    return disclosure.cell_text(
        values, hidden.reindex(values.index, fill_value=False), table.threshold
    )


def hidden_like(table: disclosure.CountTable, columns: str, like: pd.DataFrame) -> pd.DataFrame:
    """A protected table's hidden cells, `columns` as columns, laid out as `like` (else False)."""
    return table.hidden.unstack(columns).reindex_like(like).fillna(False).astype(bool)


def over_time_figure(
    timeline: pd.DataFrame,
    table: disclosure.CountTable,
    iso3: str,
    role: str,
    *,
    title: str,
    source: str,
):
    """Records per year, one line per place; the points its protected table hides are gaps."""
    hidden = hidden_like(table, "place", timeline)
    drawn, folded = fold_places(timeline.astype(float).mask(hidden), iso3)
    drawn = readable_places(drawn, iso3, role, axis="columns")
    fig, ax = plots.figure(9, 4.2)
    plots.named_lines(ax, drawn, other=pr.OTHER_FOREIGN,
                      unknown=place_label(pr.UNKNOWN, iso3, role))  # fmt: skip
    plots.side_legend(ax)
    plots.integer_years([ax], nbins=8)
    ax.set_ylim(bottom=0)
    small, secondary = disclosure.small_text(table.threshold), disclosure.SECONDARY
    note = f"Counts the table hides ({small}, {secondary}) not drawn"
    if folded:
        names = ", ".join(pr.country_name(c) for c in folded)
        note += (f". Other foreign includes {names} (named in the table), summed only in the "
                 "years in which the table shows every part")  # fmt: skip
    plots.finish(fig, ax, title=title, xlabel="year of registration",
                 ylabel="victim records (count)", source=plots.with_note(source, note))  # fmt: skip
    return fig


def fold_places(timeline: pd.DataFrame, iso3: str) -> tuple[pd.DataFrame, list[str]]:
    """A timeline with at most `plots.MAX_SERIES` named places, the smallest foreign ones added
    to 'other foreign' (a gap where any part is hidden); and the codes folded in."""
    specials = {pr.OTHER_FOREIGN, iso3, pr.UNKNOWN}
    foreign = [c for c in timeline.columns if c not in specials]
    room = plots.MAX_SERIES - int(iso3 in timeline.columns)
    folded = foreign[room:]
    if not folded:
        return timeline, []
    parts = [c for c in [*folded, pr.OTHER_FOREIGN] if c in timeline.columns]
    other = timeline[parts].sum(axis=1, min_count=len(parts))  # a gap if a part is
    out = timeline.drop(columns=parts)
    out.insert(len(foreign) - len(folded), pr.OTHER_FOREIGN, other)
    return out, folded


def group_heatmaps(
    groups: dict[str, pd.DataFrame],
    tables: dict[str, disclosure.CountTable],
    keep: list[str],
    iso3: str,
    role: str,
    *,
    title: str,
    source: str,
) -> tuple:
    """One heatmap per breakdown, hiding what its protected table hides, and the tables that go
    with them; the height leaves room for every row (`keep`, other, domestic, unknown)."""
    fig, axes = plots.figure(11, 0.45 * (len(keep) + 3) + 2.2, ncols=len(groups))
    shown, any_hidden = {}, False
    for ax, (column, counts) in zip(axes, groups.items(), strict=True):
        threshold = tables[column].threshold
        hidden = hidden_like(tables[column], column, counts)
        counts, hidden = (readable_places(f, iso3, role) for f in (counts, hidden))
        plots.count_heatmap(ax, counts, threshold, hidden=hidden, wrap=10)
        ax.set_title(f"by {column}", loc="left", fontsize=10)
        shown[column] = disclosure.cell_text(counts, hidden, threshold)
        any_hidden |= bool((hidden | disclosure.is_small(counts, threshold)).to_numpy().any())
    small, secondary = disclosure.small_text(threshold), disclosure.SECONDARY
    note = f"Cells below {threshold} shown as {small}; {secondary}: hidden to protect one"
    note = note if any_hidden else ""
    plots.finish_grid(fig, axes, title=title, xlabel="group", ylabel="place of exploitation",
                      source=plots.with_note(source, note))  # fmt: skip
    return fig, shown


def rates_figure(series: pd.DataFrame, name: str, *, source: str):
    """The country's GLOTIP rates per 100,000 beside its region's, with the bands of `<5` cells."""
    keys = [k for k in en.INDICATORS if k in set(series["indicator"])]
    fig, axes = plots.figure(4 * len(keys), 4, ncols=len(keys), squeeze=False)
    for ax, key in zip(axes[0], keys, strict=True):
        for scope, part in series[series["indicator"] == key].groupby("scope", sort=False):
            label = name if scope == "country" else scope
            plots.bounds_band(ax, part["year"], part["rate_lower"], part["rate_upper"], label,
                              alpha=0.25)  # fmt: skip
        ax.set_title(en.LABELS[key], loc="left", fontsize=11)
        ax.legend(frameon=False, fontsize=9)
    plots.integer_years(axes[0])
    plots.finish_grid(fig, axes, title=f"{name}: GLOTIP figures per 100,000 population",
                      xlabel="reference year", ylabel="persons per 100,000 population",
                      source=source)  # fmt: skip
    return fig


def place_map(
    values: pd.Series,
    iso3: str,
    threshold: int,
    *,
    title: str,
    source: str,
    extent,
    table: disclosure.CountTable | None = None,
) -> tuple:
    """A choropleth of the records per foreign place, the country itself outlined. A place its
    table hides only to protect another is not drawn (a small one is drawn hatched)."""
    if table is not None:
        kinds = table.kinds()
        secondary = kinds[kinds == "secondary"].index.get_level_values("place")
        values = values[~values.index.isin(secondary)]
    return maps.choropleth(values, threshold, title=title,
                           units="victim records (count)", source=source, home=iso3,
                           home_label=pr.country_name(iso3), extent=extent)  # fmt: skip


# --- GLOTIP ---------------------------------------------------------------------------------------


CHECK_MARKS = {"total rebuilt from its parts": " *", "total below its parts": " †"}


def enforcement_table(series: pd.DataFrame) -> pd.DataFrame:
    """The country's counts (ranges for `<5`) and rates per 100,000, one row per year."""
    own = series[series["scope"] == "country"]
    table = pd.DataFrame(index=pd.Index(sorted(own["year"].unique()), name="year"))
    for key in [k for k in en.INDICATORS if k in set(own["indicator"])]:
        part = own[own["indicator"] == key].set_index("year").reindex(table.index)
        marks = part["check"].map(CHECK_MARKS).fillna("") if "check" in part else ""
        table[en.LABELS[key]] = (format_bounds(part["lower"], part["upper"]) + marks).to_numpy()
        rates = format_bounds(part["rate_lower"], part["rate_upper"], 2)
        table[f"{en.LABELS[key]} per 100,000"] = rates.to_numpy()
    return table


def glotip_records(
    glotip: pd.DataFrame,
    series: pd.DataFrame,
    abroad: pd.DataFrame,
    iso3: str,
    years: Sequence[int],
    vintage: str,
) -> list[dict]:
    """For the disclosure audit, the GLOTIP counts the profile publishes: its own totals and the
    detected-abroad sums (one population per citizenship: no other report publishes them)."""
    own = series[series["scope"] == "country"].assign(sex="Total", iso3=iso3)
    records = [bounded.country_totals_record(f"GLOTIP figures for {iso3}", vintage, own)]
    reporting = abroad["iso3"].head(ABROAD_ROWS).tolist()
    rows = pr.abroad_rows(glotip, iso3, years)
    rows = rows[rows["iso3"].isin(reporting)].assign(citizenship=iso3)
    if len(rows):
        population = f"GLOTIP {vintage}: victims with the citizenship of {iso3} detected abroad"
        dims = ["iso3", "citizenship", "year"]
        records.append(bounded.glotip_record("Victims detected abroad", population, rows, dims,
                                             [["iso3"]]))  # fmt: skip
    return records


# Records that name the place of exploitation: a ranking of places on fewer is no headline.
MIN_RANKING_BASE = 100


# --- The findings -------------------------------------------------------------------------------


# A place whose records come mostly from one registration year is one caseload (one programme,
# one operation), not a pattern over the years: the sentences that rank it say so.
ONE_YEAR_SHARE = 2 / 3


def one_year_marks(timeline: pd.DataFrame, table: disclosure.CountTable | None) -> dict:
    """Per place: 'all registered in 2002' or '412 registered in 2019' where one year holds at
    least ONE_YEAR_SHARE of its records and its protected table shows that year's cell."""
    if table is None or timeline.empty:
        return {}
    hidden = hidden_like(table, "place", timeline)
    marks = {}
    for place in timeline.columns:
        counts = timeline[place]
        total, year, n = int(counts.sum()), counts.idxmax(), int(counts.max())
        small = disclosure.is_small(n, table.threshold)  # shown as '<N', not as a number
        if not total or n < ONE_YEAR_SHARE * total or hidden.at[year, place] or small:
            continue
        count = "all" if n == total else f"{n:,}"
        marks[str(place)] = f"{count} registered in {year}"
    return marks


def stated(table: pd.DataFrame, threshold: int) -> dict:
    """What the findings may state of a ranked table after its suppression: the records, those
    naming a place (None where the unknown row is hidden), the domestic count (None where absent
    or hidden only to protect another), the foreign places shown with their count (the findings
    name the first three) and the first of them for results JSON."""
    total = int(table["records"].sum()) if len(table) else 0
    unknown, domestic = (table[table["kind"] == k] for k in ("unknown", "domestic"))
    n = int(domestic["records"].sum())  # stated exact, as 'fewer than N', or not (hidden)
    if n and disclosure.is_small(n, threshold):
        domestic = disclosure.fewer_than(threshold)
    else:
        domestic = f"{n:,}" if n and not domestic["hidden"].any() else None
    return {
        "records": total,
        "known": None if unknown["hidden"].any() else total - int(unknown["records"].sum()),
        "domestic": domestic,
        "shown": table[(table["kind"] == "foreign") & ~table["hidden"]],
        "first": (top_records(table) or [None])[0],
    }


def glotip_latest(series: pd.DataFrame) -> dict | None:
    """Per indicator, the country's last GLOTIP figure (bounds for `<5`) and its rate per
    100,000, with the rate of the rest of its region that year; None without a figure."""
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
            "rate_bounds": [round(float(row["rate_lower"]), 2), round(float(row["rate_upper"]), 2)]
            if pd.notna(row["rate_lower"]) else None,
            "region_rate": bounds_text(pooled["rate_lower"].iloc[0],
                                       pooled["rate_upper"].iloc[0], 2) if len(pooled) else None,
            "region": pooled["scope"].iloc[0] if len(pooled) else None,
            "check": None if pd.isna(row.get("check", pd.NA)) else str(row["check"]),
        }  # fmt: skip
    return latest or None
