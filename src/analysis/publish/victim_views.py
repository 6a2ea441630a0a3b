"""What the victims report shows: protected tables and the shares they fix, figures, and the
sentences that branch on the data (the fixed sentences are in notebook 10).

`analysis.victims` and `analysis.trends` compute counts, shares and models with nothing hidden;
everything here decides what a reader may see, under the one small-cell rule of
`analysis.publish.disclosure`. Every count the report shows is a cell or a sum of a protected
table (`protect_selection` and the corridor, forms and comparison tables), recorded for the
audit: a small count reads '<N' ('fewer than N' in a sentence), a cell hidden so that a
published total cannot give a small one away reads '(s)', and a share is shown only where its
table fixes its count and total and neither the count nor the rest is a small cell.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis import trends, victims
from analysis.data import countries
from analysis.publish import bounds, disclosure, plots, tables
from analysis.publish import release as rel
from analysis.schemas.victims import DATASOURCES

SHARES = ("female", "child")  # the shares of `victims.shares`
MIX_SHARES = ("usa", "unknown_destination", "hotline")  # the shares of `victims.source_mix`
MERGED_FORMS = "other or combined forms"


# --- Who is counted: the selection's protected tables ------------------------------------------

USA = "USA"
OTHER_KNOWN = "other known destinations"
UNKNOWN = "unknown"
SELECTION = ["selected", "not selected", "no year of registration"]
KNOWN_GENDERS = list(victims.KNOWN_GENDERS)
KNOWN_AGES = victims.AGE_GROUPS[:2]
# a share: the `Published` table that fixes it, its column, the groups counted and of known value
SHARE_GRIDS = {
    "female": ("grid", "gender", ["female"], KNOWN_GENDERS),
    "child": ("ages", "age_group", KNOWN_AGES[:1], KNOWN_AGES),
}
SOURCES = [*DATASOURCES, UNKNOWN]


def selection_population(
    release: str, years: tuple[int, int], scope, whole: bool, records: pd.DataFrame | None = None
) -> str:
    """Who the tables of a selection count; the audit links tables of the same population."""
    if whole:
        return victims.population(release)
    places = [", ".join(sorted(scope[0] or [])), scope[1]]  # the destinations, the region
    text = victims.population(release, years, records)
    return text + "".join(f", exploited in {p}" for p in places if p)


@dataclass
class Published:
    """The protected count tables of one selection (`protect_selection`)."""

    population: str
    codes: list[str]  # the top destinations
    selection: disclosure.CountTable  # the release: selected, not selected, without a year
    grid: disclosure.CountTable  # year x destination (`columns_of`) x gender
    ages: disclosure.CountTable  # year x destination x age group
    sources: disclosure.CountTable | None  # year x source, where the release names sources

    def tables(self) -> list[disclosure.CountTable]:
        return list(self.roles().values())

    def roles(self) -> dict[str, disclosure.CountTable]:
        found = {r: getattr(self, r) for r in ("selection", "grid", "ages", "sources")}
        return {r: t for r, t in found.items() if t is not None}


def columns_of(codes: list[str]) -> list[str]:
    """The grids' destinations; the United States always (the report gives its yearly share)."""
    return [*codes, *([] if USA in codes else [USA]), OTHER_KNOWN, UNKNOWN]


def selection_counts(
    records: pd.DataFrame, chosen: pd.DataFrame, years: tuple[int, int], codes: list[str]
) -> dict[str, pd.Series]:
    """The counts of a selection's tables (`Published`), by part."""
    no_year = int(records["year"].isna().sum())
    keys = [str(y) for y in range(years[0], years[1] + 1)]
    dest = chosen["exploitation_country"]
    named = dest.isin(columns_of(codes)[:-2]).fillna(False)
    group = np.where(named, dest.astype(object), np.where(dest.notna(), OTHER_KNOWN, UNKNOWN))
    keyed = pd.DataFrame({
        "year": chosen["year"].astype("Int64").astype(str).astype(object),
        "destination": group.astype(object),
        "gender": chosen["gender"].astype(object),
        "age_group": chosen["age_group"].astype(str).astype(object),
        "source": chosen["datasource"].astype(object).where(chosen["datasource"].notna(), UNKNOWN),
    })  # fmt: skip
    domains = {"year": keys, "destination": columns_of(codes)}
    counts = {
        "selection": pd.Series([len(chosen), len(records) - len(chosen) - no_year, no_year],
                               index=pd.Index(SELECTION, name="selection")),
        "grid": victims.cell_counts(keyed, {**domains, "gender": victims.DOMAINS["gender"]}),
        "ages": victims.cell_counts(keyed, {**domains, "age_group": victims.AGE_GROUPS}),
    }  # fmt: skip
    if chosen["datasource"].notna().any():
        counts["sources"] = victims.cell_counts(keyed, {"year": keys, "source": SOURCES})
    return counts


def _age_groups(ages: pd.Series) -> pd.Series:
    """The age grid's records per age group of the whole selection (its fallback table)."""
    overall = ages.groupby(level="age_group", sort=False).sum()
    overall.index = pd.MultiIndex.from_arrays([overall.index], names=["age_group"])
    return overall


def _clean_years(genders: pd.Series, ages: pd.Series, codes: list[str], threshold: int):
    """The top destination-years whose shares may be published: with records, and no small
    cell by gender or by age (its records by gender and by age are linked through their total,
    so both go)."""

    def holds_small(counts):
        small = disclosure.is_small(counts, threshold)
        return small.groupby(level=["year", "destination"]).any()

    totals = genders.groupby(level=["year", "destination"]).sum()
    clean = ~(holds_small(genders) | holds_small(ages)) & (totals > 0)
    clean = clean[clean.index.get_level_values("destination").isin(codes)]
    return [{"year": [y], "destination": [d]} for (y, d), ok in clean.items() if ok]


def _share_sums(name: str, wheres) -> list[dict]:
    """The sums the `name` share of each of `wheres` rests on: records of known value, counted."""
    _, column, counted, known = SHARE_GRIDS[name]
    return [{**w, column: v} for w in wheres for v in (known, counted)]


def protect_selection(
    records: pd.DataFrame,
    chosen: pd.DataFrame,
    release: str,
    years: tuple[int, int],
    scope: tuple[list[str], str],
    codes: list[str],
    threshold: int,
    released: rel.Released | None = None,
) -> Published:
    """The selection's count tables, protected in turn: each shares the sums the tables before
    it fix. Over a whole release, the release's gender and age tables are shared too, and no
    more is published of those records."""
    whole = len(chosen) == len(records)
    population = selection_population(release, years, scope, whole, records)
    keys = [str(y) for y in range(years[0], years[1] + 1)]
    found = selection_counts(records, chosen, years, codes)
    genders, ages = found["grid"], found["ages"]
    clean = _clean_years(genders, ages, codes, threshold)
    selection = disclosure.protect(
        f"Records of the release in the selection ({release})", victims.population(release),
        found["selection"], threshold=threshold, shared=({}, {"selection": [SELECTION[0]]}),
    )  # fmt: skip
    margins = _margins(records, threshold, released) if whole else None
    grid = _protect_grid(genders, clean, codes, population, margins, threshold)
    ages = _protect_ages(ages, clean, codes, population, grid, margins, threshold)
    sources = None
    if "sources" in found:
        counts = found["sources"]
        sums = [p for y in keys if grid.determined({"year": [y]})  # else the share gives it away
                for p in ({"year": [y], "source": ["hotline"]},
                          {"year": [y], "source": DATASOURCES})]  # fmt: skip
        shared = disclosure.fixed_sums(grid, [*disclosure.margins(counts, [("year",)]), {}])
        sources = disclosure.protect_shown("Records per year of registration, by source",
                                           population, counts, False, sums, threshold,
                                           shared)  # fmt: skip
    published = Published(population, list(codes), selection, grid, ages, sources)
    if exposed := disclosure.show_derived(published.tables()):
        raise disclosure.DisclosureError(
            f"{exposed[0]['table']}: cell {exposed[0]['key']} is given away by the selection's "
            "tables together"
        )
    return published


# The selection the release step protects: this report's defaults (its notebook's parameters).
DEFAULT_RELEASE, DEFAULT_YEARS, DEFAULT_TOP = "kanon_2021", (2002, 2021), 8
DEFAULT_GLOTIP = "2025"  # the export the tables compared with GLOTIP are released for


def selection_key(release, years, scope, codes, threshold) -> dict:
    """What a selection's tables depend on: the release keeps its tables under it."""
    destinations, region = scope
    return {"release": str(release), "years": [int(years[0]), int(years[1])],
            "destinations": sorted(destinations or []), "region": region or "",
            "codes": [str(c) for c in codes], "threshold": int(threshold)}  # fmt: skip


def default_selection(
    frame: pd.DataFrame,
    threshold: int,
    released: rel.Released,
    glotip: pd.DataFrame | None = None,
) -> tuple[list, list]:
    """For the release step: this report's tables at its defaults, and those compared to GLOTIP."""
    if not (frame["release"] == DEFAULT_RELEASE).any():
        return [], []
    records = victims.add_groups(frame[frame["release"] == DEFAULT_RELEASE].reset_index(drop=True))
    chosen = victims.select(records, DEFAULT_YEARS)
    codes = victims.top_destinations(chosen, DEFAULT_TOP)["iso3"].tolist()
    published = protect_selection(records, chosen, DEFAULT_RELEASE, DEFAULT_YEARS, ([], ""),
                                  codes, threshold, released)  # fmt: skip
    _, forms, _ = forms_table(victims.forms_by_group(chosen), published.population, threshold)
    key = selection_key(DEFAULT_RELEASE, DEFAULT_YEARS, ([], ""), codes, threshold)
    selection = [(key, published.roles() | {"forms": forms})]
    if glotip is None:
        return selection, []
    by_sex = victims.select_country_years(victims.glotip_by_sex_age(glotip, DEFAULT_GLOTIP),
                                          DEFAULT_YEARS)  # fmt: skip
    compared = compared_tables(chosen, glotip_shares(by_sex, threshold, 0.95), published)
    return selection, [({**key, "glotip": DEFAULT_GLOTIP}, compared)]


def selection_tables(
    records: pd.DataFrame,
    chosen: pd.DataFrame,
    release: str,
    years: tuple[int, int],
    scope: tuple[list[str], str],
    codes: list[str],
    threshold: int,
    released: rel.Released,
) -> tuple[Published, dict | None]:
    """The selection's tables as the release holds them; else protected here (an exploration)."""
    key = selection_key(release, years, scope, codes, threshold)
    held = released.held("trends", key)
    if held is None:
        return protect_selection(records, chosen, release, years, scope, codes, threshold,
                                 released), None  # fmt: skip
    counts = selection_counts(records, chosen, years, codes)
    if held["ages"]["dims"] == ["age_group"]:
        counts["ages"] = _age_groups(counts["ages"])
    tables = {role: rel.restore(held[role], counts[role], release) for role in counts}
    return Published(tables["grid"].population, list(codes), **{"sources": None, **tables}), held


def _margins(records, threshold, released) -> dict[str, disclosure.CountTable]:
    """The whole release's records by gender and by age group, as the release publishes them."""
    release = str(records["release"].iloc[0])
    margin = rel.margin_tables if released is None else released.margin
    return {c: margin(records, c, threshold)[release] for c in ("gender", "age_group")}


def _linked(margins, column: str) -> tuple[dict, ...]:
    """Over a whole release, its published table by `column`, which the same records keep."""
    return (margins[column].record(),) if margins is not None else ()


def _protect_grid(counts, clean, codes, population, margins, threshold) -> disclosure.CountTable:
    """Year x destination x gender: the female and male cells of the top destinations shown,
    and the sums the report publishes. Over a whole release, a sum over gender is published
    only where the release fixes it, and the cells the release hides stay hidden."""
    sums = [*disclosure.margins(counts, [("year",), ("destination",)]),
            *({"year": [y], "destination": m} for y in counts.index.unique("year")
              for m in bar_groups(codes).values()),
            *({**w, "gender": KNOWN_GENDERS} for w in clean),
            *_share_sums("female", [{"destination": [d]} for d in codes])]  # fmt: skip
    overall, shared = [{"gender": KNOWN_GENDERS}, {"gender": ["female"]}], [{}]
    if margins is not None:
        whole = margins["gender"]
        shared += disclosure.fixed_sums(whole, disclosure.margins(whole.counts, [("gender",)]))
        overall = [p for p in overall if whole.determined(p)]
    shown = counts.index.get_level_values("gender").isin(["female", "male"])
    shown &= counts.index.get_level_values("destination").isin(codes)
    return disclosure.protect_shown(
        "Records by year of registration, destination and gender", population, counts,
        shown, [*sums, *overall], threshold, shared, linked=_linked(margins, "gender"),
    )  # fmt: skip


def _protect_ages(counts, clean, codes, population, grid, margins, threshold):
    """Year x destination x age group, of which only the sums of the child shares are shown;
    the gender grid's totals are shared and its small cells kept (`beside`). Where no
    protection of it keeps the gender grid's hidden cells hidden, only the age groups of the
    whole selection (no child share per destination)."""
    sums = _share_sums("child", [*clean, {}, *({"destination": [d]} for d in codes)])
    totals = disclosure.margins(counts, [("year", "destination"), ("year",), ("destination",)])
    released = []
    if margins is not None:
        table = margins["age_group"]
        released = disclosure.fixed_sums(table, disclosure.margins(table.counts, [("age_group",)]))
    linked = _linked(margins, "age_group")
    try:
        return disclosure.protect_shown(
            "Records by year of registration, destination and age group", population, counts,
            False, sums, threshold, [*disclosure.fixed_sums(grid, [*totals, {}]), *released],
            linked=linked, beside=(grid.record(),),
        )  # fmt: skip
    except disclosure.DisclosureError:
        pass
    return disclosure.protect(
        "Records by age group",
        population,
        _age_groups(counts),
        ({"age_group": KNOWN_AGES},),
        threshold,
        shared=(*disclosure.fixed_sums(grid, [{}]), *released),
        linked=(grid.record(), *linked),
    )


# --- Shares next to protected tables -----------------------------------------------------------


def mask_share(table: pd.DataFrame, name: str, hidden) -> pd.DataFrame:
    """`table` without the `name` share and interval where `hidden` (`{name}_suppressed`)."""
    hidden = pd.Series(hidden, index=table.index, dtype=bool)
    columns = [f"{name}_{k}" for k in disclosure.SHARE_KEYS if f"{name}_{k}" in table]
    out = table.copy()
    out[columns] = out[columns].mask(hidden, axis=0)
    out[f"{name}_suppressed"] = hidden
    return out


def hide_shares(table: pd.DataFrame, names: tuple[str, ...], threshold: int) -> pd.DataFrame:
    """Shares hidden by `disclosure.hidden_shares`, for counts without a protected table."""
    out = table
    for name in names:
        out = mask_share(out, name, disclosure.hidden_shares(out[name], out[f"{name}_of"],
                                                             threshold))  # fmt: skip
    return out


def _shares(frame: pd.DataFrame, by: list[str], confidence: float | None) -> pd.DataFrame:
    """`victims.shares`, without intervals where `confidence` is None (`interval_level`)."""
    table = victims.shares(frame, by, confidence or 0.95)
    if confidence is None:
        table[[c for c in table if c.endswith(("_lower", "_upper"))]] = np.nan
    return table


def shares(
    frame: pd.DataFrame, by: list[str], threshold: int, confidence: float | None
) -> pd.DataFrame:
    """`victims.shares` with the female and child shares that reveal a small cell hidden."""
    return hide_shares(_shares(frame, by, confidence), SHARES, threshold)


def overall_shares(
    chosen: pd.DataFrame, published: Published, confidence: float | None
) -> pd.Series:
    """The selection's female and child shares, where its gender and age tables fix them."""
    row = _shares_of(_shares(chosen, [], confidence), published).iloc[0]
    for name, (role, column, _, known) in SHARE_GRIDS.items():
        row[f"{name}_of_text"] = disclosure.sum_words(getattr(published, role), {column: known})
    return row


def _shares_of(table: pd.DataFrame, published: Published) -> pd.DataFrame:
    """Hide the shares of `table` (in all, or per destination and year) that the grids don't fix."""
    keys = {"exploitation_country": "destination", "year": "year"}  # column: the grids' key
    rows = [{keys[c]: [str(r[c])] for c in keys if c in r} for r in table.to_dict("records")]
    for name, (role, column, counted, known) in SHARE_GRIDS.items():
        grid = getattr(published, role)
        sums = [((grid, {**w, column: counted}), (grid, {**w, column: known})) for w in rows]
        table = mask_share(table, name, [disclosure.share_hidden(*c, grid.threshold) for c in sums])
    return table


def destination_shares(
    chosen: pd.DataFrame, published: Published, confidence: float | None
) -> pd.DataFrame:
    """Records and shares per top destination, as the grids publish them."""
    codes = published.codes
    table = _shares(chosen[chosen["exploitation_country"].isin(codes).fillna(False)],
                    ["exploitation_country"], confidence)  # fmt: skip
    table = table.set_index("exploitation_country").loc[codes].reset_index()
    table = _shares_of(table, published)
    table["records_text"] = [published.grid.sum_text({"destination": [d]}) for d in codes]
    for name, (role, column, _, known) in SHARE_GRIDS.items():
        grid = getattr(published, role)
        table[f"{name}_of_text"] = [
            disclosure.sum_words(grid, {"destination": [d], column: known}, False) for d in codes
        ]
    return table


def year_shares(
    chosen: pd.DataFrame, published: Published, confidence: float | None
) -> pd.DataFrame:
    """Female and child shares per top destination and year, where the grids fix them."""
    rows = chosen[chosen["exploitation_country"].isin(published.codes).fillna(False)]
    table = _shares(rows, ["exploitation_country", "year"], confidence)
    return _shares_of(table, published)


def row_share_record(row: pd.Series, name: str, threshold: int) -> dict:
    """The `name` share of a shares row for results JSON; no total where no table shows it."""
    record = disclosure.share_record(
        row[name], row[f"{name}_of"], row[f"{name}_share"], row[f"{name}_lower"],
        row[f"{name}_upper"], threshold, hidden=bool(row[f"{name}_suppressed"]),
    )  # fmt: skip
    text = row.get(f"{name}_of_text")
    if text is not None and count_record(str(text)) is None:
        record["total"] = None
    return record


def row_share_text(row: pd.Series, name: str) -> str:
    """The `name` share of a shares row with its interval, or 'suppressed'."""
    return disclosure.share_text(row[f"{name}_share"], row[f"{name}_lower"], row[f"{name}_upper"])


# --- The year x destination x gender grid ------------------------------------------------------


def grid_cells(published: Published) -> pd.DataFrame:
    """The female and male cells of the top destinations, with `shown`: what a figure may draw
    (missing where hidden, and in a year without any record of the destination: a gap)."""
    grid = published.grid
    frame = grid.counts.rename("records").reset_index()
    frame["hidden"] = grid.hidden.to_numpy()
    frame["text"] = disclosure.cell_text(grid.counts, grid.hidden, grid.threshold).to_numpy()
    reporting = grid.counts.groupby(level=["year", "destination"]).transform("sum") > 0
    frame["reporting"] = reporting.to_numpy()
    frame["shown"] = frame["records"].astype(float).mask(frame["hidden"] | ~frame["reporting"])
    frame["year"] = frame["year"].astype(int)
    keep = frame["gender"].isin(["female", "male"]) & frame["destination"].isin(published.codes)
    return frame[keep].reset_index(drop=True)


def counts_table(published: Published) -> pd.DataFrame:
    """Year x top destination: 'female / male' as protected; '–' where the year has no record."""
    cells = grid_cells(published)
    wide = cells.pivot(index=["year", "destination"], columns="gender", values="text")
    reporting = cells.groupby(["year", "destination"])["reporting"].first()
    table = (wide["female"] + " / " + wide["male"]).where(reporting, "–").unstack("destination")
    return table[published.codes].loc[reporting.groupby(level="year").any()]


def legend(threshold: int) -> str:
    """The key to the marks of a protected table."""
    return (
        f"{disclosure.small_text(threshold)}: a small cell; {disclosure.SECONDARY}: a cell "
        "hidden so that a published total cannot reveal a small one."
    )


def drawable_fit(fit: trends.GenderTrend, published: Published) -> tuple[pd.DataFrame, ...]:
    """What a figure of the trend model may draw: observed and fitted totals per year x gender
    (observed only where the grid fixes it and it is not small), and the fitted values and
    Pearson residuals of the cells the grid shows (a count follows from the two)."""
    fitted, grid = trends.fitted(fit), published.grid
    keys = list(zip(fitted["year"].astype(str), fitted["destination"], fitted["gender"],
                    strict=True))  # fmt: skip
    hidden = grid.hidden.reindex(pd.MultiIndex.from_tuples(keys)).to_numpy(dtype=bool)
    totals = fitted.groupby(["year", "gender"])[["records", "fitted"]].sum().reset_index()
    observed = []
    for row in totals.itertuples():
        pattern = {"year": [str(row.year)], "destination": published.codes,
                   "gender": [row.gender]}  # fmt: skip
        low, high = published.grid.sum_range(pattern)
        fixed = bounds.pinned(low, high) and not disclosure.is_small(low, published.grid.threshold)
        observed.append(low if fixed else np.nan)
    return totals.assign(observed=observed), fitted[~hidden]


# --- The selection and who reported ------------------------------------------------------------


def cell_count(table: disclosure.CountTable, key: str) -> int | None:
    """A one-dimensional table's cell for results JSON: None where hidden or small."""
    value, hidden = int(table.counts[key]), bool(table.hidden[key])
    return None if hidden or disclosure.is_small(value, table.threshold) else value


def cell_words(table: disclosure.CountTable, key: str) -> str:
    """A one-dimensional table's cell in a sentence: 'fewer than 10' where small, 'an
    undisclosed number of' where hidden to protect another."""
    if table.hidden[key] and not disclosure.is_small(table.counts[key], table.threshold):
        return "an undisclosed number of"
    return disclosure.count_words(int(table.counts[key]), table.threshold)


def bar_groups(codes: list[str]) -> dict[str, list[str]]:
    """The yearly figure's destination groups and the grid's destinations in each."""
    groups = {
        "United States": [USA],
        "other top destinations": [c for c in codes if c != USA],
        "other known destinations": [OTHER_KNOWN],
        "unknown destination": [UNKNOWN],
    }
    return {g: m for g, m in groups.items() if m}


def destination_bars(published: Published) -> tuple[pd.DataFrame, ...]:
    """The yearly figure's bars, those the grid leaves open or small (hatched), and the totals."""
    grid, groups = published.grid, bar_groups(published.codes)
    counts = grid.counts.groupby(level=["year", "destination"]).sum().unstack("destination")
    values = pd.DataFrame({g: counts[m].sum(axis=1) for g, m in groups.items()})
    keep = values.sum(axis=1) > 0
    values = values.loc[keep, [g for g in values if values[g].sum() > 0]]
    hidden = pd.DataFrame(
        [[count_record(disclosure.sum_words(grid, {"year": [y], "destination": groups[g]},
                                             False)) is None
          for g in values] for y in values.index],
        index=values.index, columns=values.columns,
    )  # fmt: skip
    totals = [count_record(grid.sum_text({"year": [y]})) for y in values.index]
    values.index = hidden.index = values.index.astype(int)
    values.columns.name = hidden.columns.name = "destination"
    return values, hidden, pd.Series(totals, index=values.index, dtype=float)


def source_mix(frame: pd.DataFrame, published: Published) -> pd.DataFrame:
    """`victims.source_mix` with the records and shares the grid and source table fix."""
    mix = victims.source_mix(frame)
    grid, sources, t = published.grid, published.sources, published.grid.threshold
    hidden = {name: [] for name in MIX_SHARES}
    for year in mix["year"].astype(int).astype(str):
        total = (grid, {"year": [year]})
        for name, group in (("usa", USA), ("unknown_destination", UNKNOWN)):
            count = (grid, {"year": [year], "destination": [group]})
            hidden[name].append(disclosure.share_hidden(count, total, t))
        hidden["hotline"].append(sources is None or disclosure.share_hidden(
            (sources, {"year": [year], "source": ["hotline"]}),
            (sources, {"year": [year], "source": DATASOURCES}), t))  # fmt: skip
    for name in MIX_SHARES:
        mix = mask_share(mix, name, hidden[name])
    mix["records_text"] = [grid.sum_text({"year": [str(int(y))]}) for y in mix["year"]]
    return mix


# --- Top destinations --------------------------------------------------------------------------


def known_share(published: Published, codes: list[str]) -> float:
    """The share of records with a known destination that `codes` hold; NaN where hidden."""
    table = published.grid
    known = (table, {"destination": columns_of(published.codes)[:-1]})
    count = (table, {"destination": codes})
    if disclosure.share_hidden(count, known, table.threshold):
        return np.nan
    return table.sum_range(count[1])[0] / table.sum_range(known[1])[0]


def count_record(text: str) -> int | None:
    """A count as a table shows it ('1,234', '<10', '(s)') for results JSON: the number or None."""
    return int(text.replace(",", "")) if text.replace(",", "").isdigit() else None


# --- Corridors ---------------------------------------------------------------------------------


def protect_corridors(
    corridor: pd.DataFrame,
    population: str,
    threshold: int,
    release: str = "",
    released: rel.Released | None = None,
) -> disclosure.CountTable:
    """Records by citizenship x destination as a protected table (no total is published): the
    release's grid cells where it counts the same records, so hidden as the grid hides them."""
    counts = corridor.rename_axis(index="citizenship", columns="destination").stack()
    name = "Records by citizenship and destination (main corridors)"
    sliced = released.cells(release, counts, name, population, threshold) if released else None
    return sliced or disclosure.protect(name, population, counts, threshold=threshold,
                                        partial=("citizenship", "destination"))  # fmt: skip


def labelled_corridors(
    corridor: pd.DataFrame, table: disclosure.CountTable, names: dict[str, str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The corridor counts and the cells their table hides, labelled for the reader."""
    hidden = table.hidden.unstack("destination").reindex_like(corridor)
    codes = corridor.index
    rows = [f"{n} ({c})" for n, c in zip(countries.names(codes), codes, strict=True)]
    columns = [names[c] for c in corridor.columns]
    return tuple(f.set_axis(rows, axis=0).set_axis(columns, axis=1) for f in (corridor, hidden))


def corridor_records(corridor: pd.DataFrame, hidden: pd.DataFrame, n: int = 5) -> list[dict]:
    """The `n` largest citizenship -> destination flows that the table shows."""
    flows = corridor.stack().sort_values(ascending=False, kind="stable")
    shown = ~hidden.reindex_like(corridor).stack().reindex(flows.index).astype(bool)
    flows = flows[(flows > 0) & shown].head(n)
    return [{"citizenship": a, "destination": b, "records": int(k)} for (a, b), k in flows.items()]


# --- Forms -------------------------------------------------------------------------------------


def forms_table(
    counts: pd.DataFrame,
    population: str,
    threshold: int,
    held: dict | None = None,
    release: str = "",
) -> tuple[pd.DataFrame, disclosure.CountTable, pd.DataFrame]:
    """The group x form table (sparse forms merged), protected (as the release holds it, where
    it does), and row shares where the table fixes the row's total and the cell."""
    # Two or more forms with a hidden cell are merged into one, so fewer cells must be hidden.
    sparse = disclosure.hidden_cells(counts, threshold, lines="table").any()
    forms = counts
    if sparse.sum() >= 2:
        forms = counts.loc[:, ~sparse].assign(**{MERGED_FORMS: counts.loc[:, sparse].sum(axis=1)})
    forms = forms.rename_axis(index="group", columns="form")
    cells = forms.rename_axis(index="person_group").stack()
    if held is not None:
        table = rel.restore(held["forms"], cells, release)
    else:
        table = disclosure.protect("Records by person group and form of exploitation",
                                   population, cells, ({},), threshold,
                                   partial=("person_group", "form"))  # fmt: skip
    hidden = table.hidden.unstack("form").reindex_like(forms)
    rows = np.array([table.determined({"person_group": [g]}) for g in forms.index], dtype=bool)
    row_share = forms.div(forms.sum(axis=1), axis=0).mask(hidden | ~rows[:, None])
    return forms, table, row_share


def forms_residuals(residuals: pd.DataFrame, table: disclosure.CountTable) -> pd.DataFrame:
    """Adjusted residuals as they may be shown: of a shown cell whose row and column totals
    the table fixes (a residual follows from the cell and those totals)."""
    hidden = table.hidden.unstack("form").reindex_like(residuals)
    rows = [table.determined({"person_group": [g]}) for g in residuals.index]
    columns = [table.determined({"form": [f]}) for f in residuals.columns]
    fixed = np.outer(rows, columns)
    return residuals.mask(hidden | ~fixed)


def destination_figure(published: Published, source: str):
    """Records per year by destination group, stacked; counts left open or small are hatched."""
    fig, ax = plots.figure(9, 4.5)
    plots.stacked_bars(ax, *destination_bars(published))
    ax.tick_params(axis="x", labelrotation=90)
    ax.legend(title="", fontsize=9, frameon=False)
    hatched = any(patch.get_hatch() for patch in ax.patches)
    note = (f"Hatched: counts below {published.grid.threshold} and those hidden to protect them"
            if hatched else "")  # fmt: skip
    return plots.finish(fig, ax, title="Records per year of registration, by destination",
                        xlabel="year of registration", ylabel="records (count)",
                        source=plots.with_note(source, note))  # fmt: skip


def gender_lines_figure(published: Published, names: dict[str, str], years, source: str):
    """Female and male records per year, one panel per top destination; hidden cells not drawn."""
    shown = grid_cells(published)

    def draw(ax, code):
        top = 0.0
        for gender in ["female", "male"]:
            line = plots.rows_of(shown[shown["gender"] == gender], "destination", code, years)
            ax.plot(years, line["shown"], marker="o", ms=3, color=plots.GENDER_COLOURS[gender],
                    label=gender)  # fmt: skip
            top = max(top, float(line["shown"].fillna(0).max()))
        plots.count_axis(ax, top)

    return plots.small_multiples(
        names, draw, title=f"Records per year in the top {len(names)} destinations, by gender",
        xlabel="year of registration", ylabel="records (count; log scale in panels above 100)",
        source=plots.with_note(source, "Cells the table hides are not drawn"),
    )  # fmt: skip


def corridor_figure(corridor: pd.DataFrame, hidden: pd.DataFrame, threshold: int, source: str):
    """The corridor heatmap: small and hidden cells blank, labelled."""
    fig, ax = plots.figure(10, 0.42 * len(corridor) + 2.5)
    mesh = plots.count_heatmap(ax, corridor, threshold, hidden=hidden)
    fig.colorbar(mesh, ax=ax, label="records (count)", shrink=0.8)
    return plots.finish(fig, ax, title="Main corridors: citizenship → destination",
                        xlabel="country of exploitation", ylabel="citizenship",
                        source=source)  # fmt: skip


def share_lines_figure(by_year: pd.DataFrame, names: dict[str, str], years, confidence,
                       source: str):  # fmt: skip
    """Female and child shares per year, one panel per top destination; hidden shares are gaps."""
    colours = {"female": plots.GENDER_COLOURS["female"], "child": plots.SERIES_COLOURS[8]}
    bands = "no intervals" if confidence is None else f"{confidence:.0%} Wilson intervals"

    def draw(ax, code):
        panel = plots.rows_of(by_year, "exploitation_country", code, years)
        for name in ["female", "child"]:
            plots.share_band(ax, panel, name, color=colours[name], label=f"{name} share")
        ax.set_ylim(0, 1)

    return plots.small_multiples(
        names, draw, title=f"Female and child shares per year, top {len(names)} destinations "
        f"({bands})", xlabel="year of registration",
        ylabel="share of records with known gender / age", source=source, sharey=True,
    )  # fmt: skip


def ctdc_glotip_figure(by_year: pd.DataFrame, glotip: pd.DataFrame, names: dict[str, str],
                       years, source: str):  # fmt: skip
    """The CTDC female share per year (with its interval) against GLOTIP's, per top destination."""

    def draw(ax, code):
        ctdc = plots.rows_of(by_year, "exploitation_country", code, years)
        plots.share_band(ax, ctdc, "female", color=plots.GENDER_COLOURS["female"], label="CTDC")
        g = plots.rows_of(glotip, "iso3", code, years)
        ax.plot(g.index, g["female_share"], marker="s", ms=3, ls="--", color="#333333",
                label="GLOTIP")  # fmt: skip
        ax.set_ylim(0, 1)

    return plots.small_multiples(
        names, draw, title="Female share of victims: CTDC records against GLOTIP detected victims",
        xlabel="year", ylabel="female share of known sex", source=source, sharey=True,
    )  # fmt: skip


def forms_figure(row_share: pd.DataFrame, source: str):
    """Each group's records by form, as shares; a group whose shares are hidden is hatched."""
    fig, ax = plots.figure(9, 3.8)
    plots.stacked_bars(ax, row_share, row_share.isna(), pd.Series(1.0, index=row_share.index),
                       label="shares hidden (a cell below the threshold)",
                       horizontal=True)  # fmt: skip
    ax.legend(title="", fontsize=8, frameon=False, ncols=2, loc="upper center",
              bbox_to_anchor=(0.5, -0.22))  # fmt: skip
    ax.set_xlim(0, 1)
    plots.finish(fig, ax, title="Form of exploitation by gender and age group",
                 xlabel="share of the group's records with a known form", ylabel="group",
                 source=source)  # fmt: skip
    return fig


def p_text(p: float, relation: bool = False) -> str:
    """A p-value as a table shows it ('0.042', '< 0.001'); with `relation`, after 'p'."""
    if p < 0.001:
        return "< 0.001"
    return f"= {p:.3f}" if relation else f"{p:.3f}"


# --- Trend models ------------------------------------------------------------------------------


def trend_figure(fit: trends.GenderTrend, published: Published, source: str):
    """Observed and fitted totals (left), Pearson residuals (right), as `drawable_fit` allows."""
    totals, drawn = drawable_fit(fit, published)
    fig, axes = plots.figure(11, 4.2, ncols=2, squeeze=False)
    left, right = axes[0]
    for gender in fit.levels:
        sub, colour = totals[totals["gender"] == gender], plots.GENDER_COLOURS[gender]
        left.plot(
            sub["year"], sub["observed"], "o", ms=4, color=colour, label=f"{gender}, observed"
        )
        left.plot(sub["year"], sub["fitted"], "-", color=colour, label=f"{gender}, fitted")
    left.set_yscale("log")
    left.legend(fontsize=9, frameon=False)
    left.xaxis.get_major_locator().set_params(integer=True)
    right.scatter(drawn["fitted"], drawn["resid"], s=10, alpha=0.6, color="#444444")
    right.axhline(0, color="black", lw=0.8)
    right.set(xscale="log", xlabel="fitted records (count, log scale)", ylabel="Pearson residual")
    right.set_title("Pearson residuals against fitted counts", fontsize=10, loc="left")
    note = ("Right: one point per year, destination and gender; the cells the table hides "
            "are left out")  # fmt: skip
    return plots.finish(
        fig,
        left,
        title=f"Trend model: observed and fitted ({fit.diagnostics['family']})",
        xlabel="year of registration",
        ylabel="records (count, log scale)",
        source=plots.with_note(source, note),
    )


# --- Does the trend hold? The sensitivity table ------------------------------------------------

DESCRIBED_NOTE = (
    "This release is described, not inferred from: its rows are generated records, not persons "
    "(every one-way marginal is a multiple of 5), so it gets counts and shares without "
    "intervals, tests or models."
)
GENDER_WORDS = {"female": "women", "male": "men"}


def model_label(name: str) -> str:
    """A sensitivity row's model in words, destinations by country name."""
    name = name.replace("Poisson, standard errors", "Poisson with standard errors")
    words = name.split()
    if len(words) == 3 and words[:2] == ["NB2", "without"] and len(words[2]) == 3:
        return f"NB2 without {countries.names([words[2]])[0]}"
    return name


def ratio_text(irr: float, lower: float, upper: float) -> str:
    """'0.93 (0.86–1.02)': a ratio with its interval, two decimals (a table cell)."""
    if pd.isna(irr):
        return tables.MISSING
    return f"{irr:.2f} ({lower:.2f}–{upper:.2f})"


def robust_text(table: pd.DataFrame, gender: str) -> str:
    """For one gender: the robust trend, else that there is none and which rows move it."""
    who = GENDER_WORDS.get(gender, gender)

    def side(row) -> str | None:
        return trends.direction(row[f"{gender}_lower"], row[f"{gender}_upper"])

    fitted = table.dropna(subset=[f"{gender}_lower", f"{gender}_upper"])
    if fitted.empty:
        return f"No trend could be fitted for {who}."
    irr = fitted[f"{gender}_irr"]
    spread = f"{irr.min():.2f} to {irr.max():.2f}"
    direction = trends.robust_direction(table, gender)
    if direction:
        return (f"Records of {who} are **{direction}** under every model of the table (rate "
                f"ratio per year {spread}, every interval on the same side of 1).")  # fmt: skip
    main = fitted.iloc[0]
    main_side = side(main)
    # the first row is the report's model, on fewer destinations where some have few years
    ours = "the report's model" + (" on these destinations" if "without the" in main.model
                                   else "")  # fmt: skip
    sides = {model_label(r["model"]): side(r) for _, r in fitted.iterrows()}
    estimate = ratio_text(*(main[f"{gender}_{k}"] for k in ("irr", "lower", "upper")))
    if main_side:
        moved = [m for m, s in sides.items() if s != main_side]
        change = {"rising": "rise", "falling": "fall"}[main_side]
        depends = (f"the {change} under {ours} ({estimate}) does not hold under "
                   f"{tables.listed(moved)}")  # fmt: skip
    else:
        ways = {w: [m for m, s in sides.items() if s == w] for w in ("rising", "falling")}
        parts = [f"it is {w} under {tables.listed(rows)}" for w, rows in ways.items() if rows]
        depends = f"{ours} gives {estimate}, an interval that includes 1" + (
            "; " + "; ".join(parts) if parts else ", as does every other"
        )
    failed = "" if len(fitted) == len(table) else " (some models did not converge)"
    return (f"**No robust trend is found for {who}**{failed}: the rate ratio per year ranges "
            f"from {spread} across the table, and {depends}.")  # fmt: skip


def share_trend_text(share: dict) -> str:
    """The within-destination shift in gender mix; a direction only where every check agrees."""
    odds = share["irr"]
    verb = "fell" if odds < 1 else "rose"
    unsettled = "robust" in share and share["robust"] is None
    text = (
        "Within destinations, the yearly odds ratio of a record being female is "
        if unsettled
        else f"Within destinations, the odds that a record is female {verb} by "
        f"**{abs(odds - 1):.0%} a year** (odds ratio "
    ) + (
        f"{ratio_text(odds, share['lower'], share['upper'])}"
        f"{' (' if unsettled else ', '}quasi-binomial model of the female share in "
        f"{share['n_obs']} destination-years"
    )  # fmt: skip
    checks = []  # the second look: clustered, without the zeros, one destination out
    if (clustered := share.get("clustered")) and "failed" not in clustered:
        checks.append(f"clustered by destination {clustered['lower']:.2f}–{clustered['upper']:.2f}")
    if (zeros := share.get("without_zeros")) and "failed" not in zeros:
        checks.append(
            f"without the {share['zero_rows']} destination-years with no records of one gender, "
            f"which may be redactions, {ratio_text(zeros['irr'], zeros['lower'], zeros['upper'])}"
        )
    without = {d: w for d, w in share.get("without", {}).items() if "failed" not in w}
    if without:
        low = min(without, key=lambda d: without[d]["irr"])
        high = max(without, key=lambda d: without[d]["irr"])
        names = dict(zip([low, high], countries.names([low, high]), strict=True))
        checks.append(
            f"leaving out one destination at a time, {without[low]['irr']:.2f} (without "
            f"{names[low]}) to {without[high]['irr']:.2f} (without {names[high]})"
        )
    text += f"; {'; '.join(checks)})" if checks else ")"
    if unsettled:
        text += (f", but not every check agrees on its direction (not {unsettled_by(share)}): "
                 "no change in the mix is stated")  # fmt: skip
    largest = share.get("largest")
    if largest:
        name = countries.names([largest["destination"]])[0]
        text += f". {name} holds {largest['share']:.0%} of these records"
    return text + (
        ". The intervals treat records as independent draws within the model's dispersion; "
        "clustering by destination does not. A statement about the records the contributors "
        "sent, not about victims."
    )


def unsettled_by(share: dict, most: int = 3) -> str:
    """The checks of the gender-mix model that include 1 or failed: why no direction is stated."""
    checks = {"the model itself": share, "errors clustered by destination": share.get("clustered"),
              "without the possible redactions": share.get("without_zeros")}  # fmt: skip
    without = share.get("without", {})
    names = dict(zip(without, countries.names(list(without)), strict=True))
    checks.update({f"without {names[d]}": w for d, w in without.items()})
    failing = [
        label + (" (not fitted)" if "failed" in check else "")
        for label, check in checks.items()
        if check is not None and ("failed" in check or check["lower"] <= 1 <= check["upper"])
    ]
    more = f" and {len(failing) - most} more" if len(failing) > most else ""
    return ", ".join(failing[:most]) + more


# --- GLOTIP, the second source -----------------------------------------------------------------


def glotip_shares(table: pd.DataFrame, threshold: int, confidence: float) -> pd.DataFrame:
    """`victims.glotip_shares` with the shares a report may show."""
    return hide_shares(victims.glotip_shares(table, confidence), SHARES, threshold)


def compared_tables(
    chosen: pd.DataFrame,
    glotip: pd.DataFrame,
    published: Published,
    held: dict | None = None,
    release: str = "",
) -> dict[str, disclosure.CountTable]:
    """Per destination outside the top ones with a GLOTIP female share: its records of known
    gender per year and gender in those years (female shown, the year's total published), as
    the release holds them (`held`), else protected here."""
    threshold = published.grid.threshold
    known = chosen[chosen["exploitation_country"].notna()]
    table = shares(known, ["exploitation_country", "year"], threshold, None)
    both = glotip.dropna(subset=["female_share"])[["iso3", "year"]]
    pairs = table.dropna(subset=["female_share"]).merge(
        both, left_on=["exploitation_country", "year"], right_on=["iso3", "year"]
    )
    found = {}
    for code, part in pairs[~pairs["exploitation_country"].isin(published.codes)].groupby(
        "exploitation_country", sort=True
    ):
        rows = known[(known["exploitation_country"] == code) & known["year"].isin(part["year"])]
        years = [str(int(y)) for y in sorted(part["year"])]
        keyed = rows[rows["gender"].isin(KNOWN_GENDERS)].assign(
            destination=code, year=rows["year"].astype("Int64").astype(str)
        )
        counts = victims.cell_counts(keyed, {"destination": [code], "year": years,
                                             "gender": KNOWN_GENDERS})  # fmt: skip
        if held is not None:
            if code not in held:
                raise rel.stale(f"the protected release has no table compared with GLOTIP "
                                f"for {code}")  # fmt: skip
            found[code] = rel.restore(held[code], counts, release)
            continue
        sums = tuple({"year": [y], "gender": KNOWN_GENDERS} for y in years)
        shown = counts.index.get_level_values("gender") == "female"
        grid = disclosure.protect_shown(
            f"Records of known gender in the destination-years compared with GLOTIP ({code})",
            published.population, counts, shown, sums, threshold,
            partial=("destination", "year", "gender"),
        )  # fmt: skip
        if exposed := disclosure.show_derived([grid]):
            raise disclosure.DisclosureError(f"{grid.name}: cell {exposed[0]['key']} exposed")
        found[code] = grid
    return found


def country_year_shares(
    chosen: pd.DataFrame,
    glotip: pd.DataFrame,
    published: Published,
    confidence: float,
    compared: dict[str, disclosure.CountTable],
) -> pd.DataFrame:
    """CTDC female shares per destination-year that GLOTIP also has, where the gender grid (a
    top destination) or the destination's table compared with GLOTIP fixes them."""
    threshold = published.grid.threshold
    known = chosen[chosen["exploitation_country"].notna()]
    table = shares(known, ["exploitation_country", "year"], threshold, confidence)
    hidden = pd.Series(table["female_suppressed"].to_numpy(), index=table.index)
    top = table["exploitation_country"].isin(published.codes)
    hidden[top] |= _shares_of(table[top], published)["female_suppressed"]
    for code, grid in compared.items():
        for y in grid.counts.index.unique("year"):
            where = (table["exploitation_country"] == code) & (table["year"] == int(y))
            hidden[where] |= disclosure.share_hidden(
                (grid, {"year": [y], "gender": ["female"]}),
                (grid, {"year": [y], "gender": KNOWN_GENDERS}), threshold)  # fmt: skip
    return mask_share(table, "female", hidden)


def widest_disagreements(pairs: pd.DataFrame, n: int = 8, redacted_below: int = 0) -> tables.Table:
    """The `n` country-years whose female shares differ most. In a k-anonymised release a CTDC
    share of 0% or 100% may rest on a redacted gender (a 0 is 0 to k - 1): not ranked."""
    edge = pairs["female_share_ctdc"].isin([0.0, 1.0]) & bool(redacted_below)
    ranked = pairs[~edge]
    widest = ranked.assign(gap=ranked["difference"].abs()).sort_values("gap", ascending=False)
    widest = widest.head(n)
    names = countries.names(widest["iso3"])
    frame = pd.DataFrame(
        {
            "country and year": [f"{c} {y}" for c, y in zip(names, widest["year"], strict=True)],
            "CTDC female share (interval)": [
                disclosure.share_text(*r)
                for r in widest[["female_share_ctdc", "female_lower", "female_upper"]].to_numpy()
            ],
            "CTDC records of known gender": widest["female_of_ctdc"].map("{:,}".format),
            "GLOTIP female share": widest["female_share_glotip"].map(disclosure.share_text),
            "GLOTIP detected victims of known sex": widest["female_of_glotip"].map(
                "{:,.0f}".format
            ),
        }
    )
    left, note = int(edge.sum()), ""
    if left:
        note = (
            f"Not ranked: {left} country-year{'s' if left != 1 else ''} in which the CTDC records "
            f"have no women or no men, which in this release may be a redaction of 1 to "
            f"{redacted_below - 1} records rather than none."
        )
    return tables.Table(frame, caption="The largest disagreements between the two sources",
                        note=note)  # fmt: skip


def agreement_figure(pairs: pd.DataFrame, source: str):
    """CTDC against GLOTIP female share per shared country-year, with the CTDC interval."""
    ctdc = pairs["female_share_ctdc"]
    fig, ax = plots.figure(6.5, 5.5)
    ax.errorbar(
        pairs["female_share_glotip"],
        ctdc,
        yerr=[(ctdc - pairs["female_lower"]).clip(lower=0),
              (pairs["female_upper"] - ctdc).clip(lower=0)],
        fmt="o", ms=4, color=plots.GENDER_COLOURS["female"], ecolor="#bbbbbb", elinewidth=1,
    )  # fmt: skip
    ax.plot([0, 1], [0, 1], color="black", lw=0.8, ls=":")
    ax.set(xlim=(-0.02, 1.02), ylim=(-0.02, 1.02), aspect="equal")
    return plots.finish(
        fig,
        ax,
        title="Female share per country-year in both sources",
        xlabel="GLOTIP female share of detected victims",
        ylabel="CTDC female share of records",
        source=source,
    )


# --- Findings ----------------------------------------------------------------------------------


def trend_sentence(fit: trends.GenderTrend, table: pd.DataFrame, share: dict) -> str:
    """The trend in one sentence (no full stop): only what every model and check agrees on."""
    by_gender = fit.trend.set_index("gender")
    robust = [g for g in fit.levels if trends.robust_direction(table, g)]
    stated = [f"records of {GENDER_WORDS[g]} {by_gender.loc[g, 'irr'] - 1:+.1%} a year"
              for g in robust]  # fmt: skip
    missing = [GENDER_WORDS[g] for g in fit.levels if g not in robust]
    odds = share["irr"]
    mix = (f"within destinations the odds that a record is female {'fell' if odds < 1 else 'rose'} "
           f"by {abs(odds - 1):.0%} a year")  # fmt: skip
    if "robust" in share:  # its second look: clustered by destination, one destination out
        if share["robust"] is None:
            mix = (
                "the gender mix within destinations has no direction that holds under every "
                f"check (not {unsettled_by(share)})"
            )
        else:  # the checks and their intervals are in the trend section
            mix += ", under every check the report makes"
    if stated:
        text = (
            f"Yearly trend within the top destinations, under every model: {' and '.join(stated)}"
        )
        text += f"; no robust trend for {' or '.join(missing)}" if missing else ""
    else:
        text = f"No yearly trend for {' or '.join(missing)} holds across models"
    return f"{text}; {mix}"
