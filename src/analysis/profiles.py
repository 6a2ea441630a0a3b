"""Country profiles: where a country's citizens were exploited, who was exploited in it, and its
GLOTIP enforcement series against its region, with a summary paragraph written from the numbers.

CTDC releases overlap (the same cases appear in several), so every count here is per release and
releases are set side by side, never added. A place of exploitation equal to the country itself
is domestic trafficking; an unknown place stays a visible row. Counts below the small-cell
threshold are shown as 'fewer than N', never as a number, in tables, maps and the paragraph.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from analysis import catalog, victims
from analysis import enforcement as en
from analysis.data import countries, releases
from analysis.data import population as wpp
from analysis.publish import disclosure

ROLES = {  # role: (the column that selects the country, the column that names the other place)
    "destinations": ("citizenship", "exploitation_country"),
    "origins": ("exploitation_country", "citizenship"),
}
UNKNOWN = "unknown"
OTHER = "other countries"


# --- Which countries, and their records ------------------------------------------------------


def known_codes() -> set[str]:
    return set(countries.converter().data["ISO3"].dropna())


def countries_with_data(data_dir: str | Path | None = None) -> list[str]:
    """Sorted ISO3 codes of every country with any CTDC victim record (as citizenship or place
    of exploitation, any release) or any GLOTIP row (as reporting country or as citizenship)."""
    ctdc = catalog.read("victims", columns=list(ROLES["destinations"]), folder=data_dir)
    glotip = catalog.read("glotip", columns=["iso3", "category_iso3"], folder=data_dir)
    codes = pd.concat([ctdc[c] for c in ctdc.columns] + [glotip[c] for c in glotip.columns])
    codes = set(codes.dropna().astype(str))
    return sorted(codes & known_codes())


def check_iso3(iso3: str) -> str:
    """The code in upper case, or a ValueError naming it when no country has that code."""
    code = str(iso3).strip().upper()
    if code not in known_codes():
        raise ValueError(f"iso3 {iso3!r} is not an ISO 3166-1 alpha-3 code of a country")
    return code


def country_name(iso3: str) -> str:
    found = countries.name(pd.Series([iso3])).iloc[0]
    return iso3 if pd.isna(found) else str(found)


def load_victims(
    iso3: str, years: Sequence[int], data_dir: str | Path | None = None
) -> pd.DataFrame:
    """CTDC records (all releases, `release` column) of citizens of `iso3` or exploited in it,
    registered in `years` (first, last), with the derived groups (form, age group)."""
    first, last = int(years[0]), int(years[-1])
    if first > last:
        raise ValueError(f"the year range is empty: {first} > {last}")
    frame = catalog.read("victims", victims.REQUIRED, victims.REQUIRED, data_dir)
    mine = frame["citizenship"].eq(iso3) | frame["exploitation_country"].eq(iso3)
    frame = frame[(mine & frame["year"].between(first, last)).fillna(False)]
    frame = frame.reset_index(drop=True)
    return victims.add_groups(frame)


# --- Places: destinations of the country's citizens, origins of those exploited in it -----------


def place_counts(frame: pd.DataFrame, iso3: str, role: str) -> pd.DataFrame:
    """Records per release and place (ISO3, or 'unknown'); `role` 'destinations' or 'origins'."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {list(ROLES)}, got {role!r}")
    select, place = ROLES[role]
    rows = frame[frame[select].eq(iso3).fillna(False)]
    places = rows[place].astype("string").fillna(UNKNOWN)
    counts = rows.assign(place=places).groupby(["release", "place"]).size()
    out = counts.rename("records").reset_index()
    return out.astype({"release": "string", "place": "string", "records": "int64"})


def _label(code: str, iso3: str, role: str) -> str:
    if code == UNKNOWN:
        return "place of exploitation unknown" if role == "destinations" else "citizenship unknown"
    if code == iso3:
        where = "within the country" if role == "destinations" else "the country's own citizens"
        return f"{country_name(code)} ({where})"
    return country_name(code)


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
    known = int(part.drop(UNKNOWN, errors="ignore").sum())
    foreign = part.drop([UNKNOWN, iso3], errors="ignore")
    foreign = foreign.sort_index().sort_values(ascending=False, kind="stable")
    big = foreign[~disclosure.is_small(foreign, threshold)]
    head = big.iloc[:top]
    rest = foreign.drop(head.index)
    rows = [(code, int(n), "foreign") for code, n in head.items()]
    if len(rest):
        rows.append((f"{OTHER} ({len(rest)})", int(rest.sum()), "other"))
    for code, kind in ((iso3, "domestic"), (UNKNOWN, "unknown")):
        if code in part.index:
            rows.append((code, int(part[code]), kind))
    table = pd.DataFrame(rows, columns=["place", "records", "kind"])
    if table.empty:
        return table.assign(country=[], records_text=[], hidden=[], share=[], share_text=[])
    pairs = zip(table["place"], table["kind"], strict=True)
    table["country"] = [p if k == "other" else _label(p, iso3, role) for p, k in pairs]
    if len(rest) > 1 and disclosure.is_small(rest, threshold).all():
        table.loc[table["kind"] == "other", "country"] += f", each fewer than {threshold}"
    table["hidden"] = disclosure.hidden_cells(table[["records"]], threshold, "columns")["records"]
    small = disclosure.is_small(table["records"], threshold)
    table["records_text"] = disclosure.suppress(table["records"], threshold).mask(
        table["hidden"] & ~small, "(s)"
    )
    with_place = table["kind"] != "unknown"
    shares = disclosure.suppressed_shares(
        table["records"].where(with_place, 0), pd.Series(known, index=table.index), threshold
    )
    hidden = shares["suppressed"] | table["hidden"] | table.loc[~with_place, "hidden"].any()
    table["share"] = shares["share"].where(with_place & ~hidden)
    table["share_text"] = [
        disclosure.share_text(v, digits=0, hidden="suppressed" if h else "")
        for v, h in zip(table["share"], hidden & with_place, strict=True)
    ]
    columns = ["place", "country", "kind", "records", "records_text", "hidden", "share",
               "share_text"]  # fmt: skip
    return table[columns]


def top_records(table: pd.DataFrame) -> list[dict]:
    """The ranked foreign places for results JSON (only those shown with an exact count)."""
    rows = table[(table["kind"] == "foreign") & ~table["hidden"]]
    return [
        {"iso3": r.place, "country": r.country, "records": int(r.records),
         "share_of_known": None if pd.isna(r.share) else round(float(r.share), 4)}
        for r in rows.itertuples()
    ]  # fmt: skip


def release_comparison(counts: pd.DataFrame, iso3: str, role: str, threshold: int) -> pd.DataFrame:
    """Places x releases, suppressed text; never summed across releases.

    Foreign places that are small cells in every release share one row of suppressed sums.
    Each column adds up to the release's published total, so a column with a single small
    cell hides one more, shown as '(s)'.
    """
    wide = counts.pivot(index="place", columns="release", values="records").fillna(0)
    wide = wide.astype("int64")
    wide = wide[[r for r in victims.RELEASES if r in wide.columns]]
    specials = [p for p in (iso3, UNKNOWN) if p in wide.index]
    foreign = wide.drop(specials)
    always_small = (disclosure.is_small(foreign, threshold) | (foreign == 0)).all(axis=1)
    kept = foreign[~always_small]
    kept = kept.loc[kept.max(axis=1).sort_values(ascending=False, kind="stable").index]
    parts = [kept]
    if always_small.sum():
        label = f"{OTHER} ({int(always_small.sum())}), each fewer than {threshold} in every release"
        parts.append(foreign[always_small].sum().to_frame(label).T)
    parts.append(wide.loc[specials])
    table = pd.concat(parts)
    text = disclosure.suppress_table(table, threshold, lines="columns").replace("0", "–")
    names = [i if i.startswith(OTHER) else _label(i, iso3, role) for i in table.index]
    text.index = pd.Index(names, name="country")
    text.columns = [releases.CTDC[c].label for c in text.columns]
    return text


def _groups(frame: pd.DataFrame, iso3: str, release: str, role: str) -> pd.DataFrame:
    select, place = ROLES[role]
    rows = frame[(frame["release"] == release) & frame[select].eq(iso3).fillna(False)]
    return rows.assign(place=rows[place].astype("string").fillna(UNKNOWN))


def main_places(table: pd.DataFrame) -> list[str]:
    """The ISO3 codes of the ranked foreign places (a `ranked` table)."""
    return table.loc[table["kind"] == "foreign", "place"].tolist()


def _bucket(places: pd.Series, keep: list[str], iso3: str) -> pd.Series:
    """A place, or 'other foreign' when not among `keep`; domestic and unknown stay."""
    special = places.isin([*keep, iso3, UNKNOWN])
    return places.where(special, "other foreign").astype("string")


def over_time(
    frame: pd.DataFrame, iso3: str, release: str, role: str, keep: list[str]
) -> pd.DataFrame:
    """Records per year (rows) and place (columns: `keep`, other foreign, domestic, unknown)."""
    rows = _groups(frame, iso3, release, role)
    rows = rows.assign(bucket=_bucket(rows["place"], keep, iso3))
    table = pd.crosstab(rows["year"], rows["bucket"])
    order = [*keep, "other foreign", iso3, UNKNOWN]
    return table.reindex(columns=[c for c in order if c in table.columns]).rename_axis(
        index="year", columns="place"
    )


def by_group(
    frame: pd.DataFrame, iso3: str, release: str, role: str, keep: list[str], column: str
) -> pd.DataFrame:
    """Records per place (rows) and gender or form of exploitation (columns, unknown kept)."""
    if column not in ("gender", "form", "age_group"):
        raise ValueError(f"column must be gender, form or age_group, got {column!r}")
    rows = _groups(frame, iso3, release, role)
    rows = rows.assign(bucket=_bucket(rows["place"], keep, iso3))
    group = rows[column].astype("string").fillna(UNKNOWN)
    table = pd.crosstab(rows["bucket"], group)
    order = {"gender": victims.GENDERS, "form": [*victims.FORMS, UNKNOWN],
             "age_group": victims.AGE_GROUPS}[column]  # fmt: skip
    table = table.reindex(columns=[c for c in order if c in table.columns])
    places = [*keep, "other foreign", iso3, UNKNOWN]
    return table.reindex([p for p in places if p in table.index]).rename_axis(
        index="place", columns=column
    )


def readable_places(table: pd.DataFrame, iso3: str, role: str, axis: str = "index"):
    """Replace ISO3 codes in an index (or columns) by country names for display."""

    def name(code):
        return code if code == "other foreign" else _label(code, iso3, role)

    return table.rename(index=name) if axis == "index" else table.rename(columns=name)


# --- GLOTIP: the country's enforcement series against its region -------------------------------


def region_of(iso3: str) -> str | None:
    found = countries.un_region(pd.Series([iso3])).iloc[0]
    return None if pd.isna(found) else str(found)


def enforcement_series(
    glotip: pd.DataFrame,
    population: pd.DataFrame,
    iso3: str,
    years: Sequence[int],
    indicators: Sequence[str] = tuple(en.INDICATORS),
) -> pd.DataFrame:
    """Per indicator and year: the country's published total and rate per 100,000, and the
    pooled total and rate of the other reporting countries of its UN sub-region.

    `<5` cells are carried as bounds (see analysis.enforcement); regional sums run over the
    countries that reported that year (`n_countries`). A member without a WPP population stays
    in the sums but not in the pooled rate, and is named in `no_population`.
    """
    first, last = int(years[0]), int(years[-1])
    totals = en.country_totals(glotip, en.indicator_keys(indicators))
    totals = totals[totals["year"].between(first, last)]
    totals = totals.assign(population=wpp.lookup(population, totals["iso3"], totals["year"]))
    region = region_of(iso3)
    own = totals[totals["iso3"] == iso3].assign(n_countries=1)
    own = en.add_rates(own.astype({"value": "Int64"}))
    parts = [own.assign(scope="country")]
    if region:
        members = totals["iso3"].astype("string")
        rest = totals[(countries.un_region(members) == region).fillna(False).to_numpy()]
        rest = rest[rest["iso3"] != iso3]
        if len(rest):
            keys = ["indicator", "year"]
            pooled = en.sum_bounds(rest.drop(columns="population"), keys)
            with_pop = rest[rest["population"].notna()]
            rated = en.add_rates(en.sum_bounds(with_pop, keys))
            rated = rated[[*keys, "population", "rate", "rate_lower", "rate_upper"]]
            pooled = pooled.merge(rated, on=keys, how="left")
            lacking = rest[rest["population"].isna()].groupby(keys)["iso3"]
            lacking = lacking.agg(lambda s: ", ".join(sorted(set(s)))).rename("no_population")
            pooled = pooled.merge(lacking.reset_index(), on=keys, how="left")
            pooled["no_population"] = pooled["no_population"].fillna("")
            parts.append(pooled.assign(scope=f"rest of {region}"))
    parts[0] = parts[0].assign(no_population="")
    columns = ["scope", "indicator", "year", "value", "lower", "upper", "population", "rate",
               "rate_lower", "rate_upper", "n_countries", "no_population"]  # fmt: skip
    out = pd.concat([p[columns] for p in parts], ignore_index=True)
    return out.sort_values(["indicator", "scope", "year"], ignore_index=True)


def enforcement_table(series: pd.DataFrame) -> pd.DataFrame:
    """The country's counts (ranges for `<5`) and rates per 100,000, one row per year."""
    own = series[series["scope"] == "country"]
    table = pd.DataFrame(index=pd.Index(sorted(own["year"].unique()), name="year"))
    for key in [k for k in en.INDICATORS if k in set(own["indicator"])]:
        part = own[own["indicator"] == key].set_index("year").reindex(table.index)
        table[en.LABELS[key]] = en.format_bounds(part["lower"], part["upper"]).to_numpy()
        table[f"{key} per 100,000"] = en.format_bounds(
            part["rate_lower"], part["rate_upper"], 2
        ).to_numpy()
    return table


def detected_abroad(glotip: pd.DataFrame, iso3: str, years: Sequence[int]) -> pd.DataFrame:
    """GLOTIP victims with the country's citizenship detected by other countries, per
    reporting country: years reported and the sum over them (bounds where `<5` cells)."""
    first, last = int(years[0]), int(years[-1])
    rows = glotip[
        (glotip["indicator"] == en.INDICATORS["victims"])
        & (glotip["dimension"] == "by citizenship")
        & (glotip["category_iso3"] == iso3)
        & (glotip["iso3"] != iso3)
        & (glotip["sex"] == "Total")
        & (glotip["age"] == "Total")
        & glotip["year"].between(first, last)
    ]
    if rows.empty:
        return pd.DataFrame(
            columns=["iso3", "country", "years", "first", "last", "lower", "upper", "text"]
        )
    out = rows.groupby("iso3").agg(
        years=("year", "nunique"), first=("year", "min"), last=("year", "max"),
        lower=("lower", "sum"), upper=("upper", "sum"),
    )  # fmt: skip
    out = out.reset_index().sort_values(["upper", "iso3"], ascending=[False, True])
    out.insert(1, "country", countries.name(out["iso3"]).fillna(out["iso3"]).to_numpy())
    out["text"] = en.format_bounds(out["lower"], out["upper"]).to_numpy()
    return out.reset_index(drop=True)


# --- The summary paragraph ----------------------------------------------------------------------


def count_text(n: int, threshold: int) -> str:
    """A count as the paragraph says it: '1,234', or 'fewer than 10' for a small cell."""
    return f"fewer than {threshold}" if 0 < n < threshold else f"{n:,}"


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
    facts: dict = {"iso3": iso3, "country": country_name(iso3), "release": release,
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
            "count": en.format_bounds([row["lower"]], [row["upper"]]).iloc[0],
            "rate": en.format_bounds([row["rate_lower"]], [row["rate_upper"]], 2).iloc[0],
            "region_rate": en.format_bounds(pooled["rate_lower"], pooled["rate_upper"], 2).iloc[0]
            if len(pooled) else None,
            "region": pooled["scope"].iloc[0] if len(pooled) else None,
        }  # fmt: skip
    facts["glotip"] = latest or None
    facts["abroad_countries"] = int(len(abroad))
    return facts


def _stated(rows: pd.DataFrame, threshold: int) -> str | None:
    """A ranked row's count as the paragraph may state it: exact, 'fewer than N', or None when
    the row is absent or hidden only to protect another."""
    if rows.empty or int(rows["records"].iloc[0]) == 0:
        return None
    n = int(rows["records"].iloc[0])
    if disclosure.is_small(n, threshold):
        return f"fewer than {threshold}"
    return None if bool(rows["hidden"].iloc[0]) else f"{n:,}"


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
        known = (f"; {count_text(dest['known'], n)} of them name the place of exploitation"
                 if dest["known"] is not None else "")  # fmt: skip
        text.append(
            f"In the {facts['release_label']}, {count_text(dest['records'], n)} records registered "
            f"in {first}–{last} concern citizens of {name}{known}."
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
        text.append(f"{count_text(orig['records'], n).capitalize()} records name {name} as the "
                    f"place of exploitation{own}{foreign}.")  # fmt: skip
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
