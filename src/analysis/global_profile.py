"""The global profile of detected victims from the GLOTIP country data, rule by rule.

The Global Report does not say how its shares were aggregated, so every rule (`RULES`) is
computed side by side; the weighted ones also without each year's largest reporter, whose weight
can make a profile one country's. A country-year enters only with the full breakdown. GLOTIP's
`<5` cells enter as bounds (1 to 4), so every share is a range around a central share that
takes each cell at the middle of its bounds (2.5). Exports revise earlier years, so each year
comes from the export published with the edition that first reported it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import enforcement as en
from analysis.data import countries

FIGURES_FILE = Path(__file__).resolve().parent / "mappings" / "glotip_report_figures.csv"
VICTIMS = en.INDICATORS["victims"]
GROUPS = {  # group: (sex, age) in dimension Total
    "women": ("Female", "18 years or over"),
    "girls": ("Female", "0 to 17 years"),
    "men": ("Male", "18 years or over"),
    "boys": ("Male", "0 to 17 years"),
}
FORMS = {  # form: category in dimension "by form of exploitation" (sex and age Total)
    "sexual exploitation": "Sexual exploitation",
    "forced labour": "Forced labour",
    "other forms": "Other forms of exploitation",
}
WITHOUT_LARGEST = "_without_largest"
RULES = ("pooled", "country_mean", "region_mean", "population_weighted",
         "pooled" + WITHOUT_LARGEST, "population_weighted" + WITHOUT_LARGEST)  # fmt: skip
CLOSEST = "closest"  # the rule parameter's default: best `worst_cases` over every edition held
# Export: (the Global Report edition it was published with, that edition's latest full year).
EDITIONS = {"2023": (2022, 2020), "2025": (2024, 2022)}
NEAREST = "nearest"
NO_REGION = "no UN sub-region"


# --- Which export, which countries -----------------------------------------------------------


def nearest_vintage(year: int) -> str:
    """The export of the first edition that reported `year` as a full year (2020: the 2022
    edition, so the 2023 export); years after every edition take the latest export."""
    later = [v for v, (_, last) in sorted(EDITIONS.items()) if last >= int(year)]
    return later[0] if later else max(EDITIONS)


def vintages_for(years: Sequence[int], vintage: str = NEAREST) -> dict[int, str]:
    """The export of each reference year: `vintage` for all, or each year's nearest."""
    if vintage != NEAREST and vintage not in EDITIONS:
        raise ValueError(f"vintage must be {NEAREST!r} or one of {sorted(EDITIONS)}: {vintage!r}")
    return {int(y): nearest_vintage(y) if vintage == NEAREST else vintage for y in years}


def cells(glotip: pd.DataFrame, kind: str = "groups") -> pd.DataFrame:
    """One export's detected victims per country, year and part (`GROUPS` or `FORMS`), bounds."""
    en.vintage_of(glotip)
    if kind not in ("groups", "forms"):
        raise ValueError(f"kind must be 'groups' or 'forms': {kind!r}")
    parts = GROUPS if kind == "groups" else FORMS
    out = pd.concat([group_counts(glotip, part).assign(part=part) for part in parts])
    out = out.astype({"part": "string"})
    out = out[["iso3", "year", "part", "lower", "upper", "is_suppressed"]]
    # Only country-years that publish a total: the 2023 export gives all three forms, often as
    # `<5`, for some 50 more countries a year in 2017-2020 than publish a total.
    totals = en.country_totals(glotip, ["victims"]).set_index(["iso3", "year"]).index
    out = out[out.set_index(["iso3", "year"]).index.isin(totals)]
    return out.sort_values(["year", "iso3", "part"], ignore_index=True)


def entering(frame: pd.DataFrame, parts: Sequence[str]) -> pd.DataFrame:
    """The rows of the country-years that publish every one of `parts` (the full breakdown)."""
    frame = frame[frame["part"].isin(list(parts))]
    n = frame.groupby(["iso3", "year"])["part"].transform("nunique")
    return frame[n == len(parts)].reset_index(drop=True)


def profile_cells(
    glotip_by_vintage: dict[str, pd.DataFrame], years: dict[int, str], kind: str = "groups"
) -> pd.DataFrame:
    """The entering cells of each reference year from its export, the export in `vintage`."""
    parts = list(GROUPS if kind == "groups" else FORMS)
    frames = []
    for vintage in sorted(set(years.values())):
        chosen = [y for y, v in years.items() if v == vintage]
        found = entering(cells(glotip_by_vintage[vintage], kind), parts)
        frames.append(found[found["year"].isin(chosen)].assign(vintage=vintage))
    return pd.concat(frames, ignore_index=True).astype({"vintage": "string"})


# --- Shares as bounds ------------------------------------------------------------------------


def part_bounds(frame: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """Per group of `by` and part: the part's share (%) of the sum of all parts, and the parts'
    sums. `lower`: the part at its lower bound and every other at its upper bound; `upper` the
    reverse; `<NA>` where every part is zero."""
    keys = [*by, "part"]
    frame = frame.assign(middle=(frame["lower"].astype(float) + frame["upper"].astype(float)) / 2)
    sums = frame.groupby(keys, observed=True)[["lower", "middle", "upper"]].sum().astype(float)
    whole = sums.groupby(list(by), observed=True).transform("sum")
    rest_upper = whole["upper"] - sums["upper"]
    rest_lower = whole["lower"] - sums["lower"]
    low = sums["lower"] / (sums["lower"] + rest_upper).where(lambda d: d > 0)
    high = sums["upper"] / (sums["upper"] + rest_lower).where(lambda d: d > 0)
    mid = sums["middle"] / whole["middle"].where(lambda d: d > 0)
    columns = ["lower", "share", "upper", "victims_lower", "victims_upper"]
    out = pd.concat([low * 100, mid * 100, high * 100, whole["lower"], whole["upper"]], axis=1)
    return out.set_axis(columns, axis=1).reset_index()


def _mean_bounds(shares: pd.DataFrame, by: Sequence[str], weight: str | None = None):
    """Mean (or `weight`-weighted mean) of the shares and their bounds over each group's rows."""
    shares = shares.dropna(subset=["lower", "share", "upper"])
    w = shares[weight].astype(float) if weight else pd.Series(1.0, index=shares.index)
    parts = shares.assign(
        _w=w, _lo=shares["lower"] * w, _mid=shares["share"] * w, _hi=shares["upper"] * w
    )
    sums = parts.groupby([*by, "part"], observed=True)[["_w", "_lo", "_mid", "_hi"]].sum()
    means = sums[["_lo", "_mid", "_hi"]].div(sums["_w"], axis=0)
    return means.set_axis(["lower", "share", "upper"], axis=1)


def with_regions(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with each country's UN M49 sub-region (`NO_REGION` where there is none)."""
    region = countries.un_region(frame["iso3"]).fillna(NO_REGION)
    return frame.assign(region=region.to_numpy())


def profile(
    frame: pd.DataFrame,
    rule: str,
    by: Sequence[str] = ("year",),
    population: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per group of `by` and part: the share (%) under `rule`, its bounds, the countries and
    their victims. With "region" in `by`, `region_mean` is the mean within each region."""
    if rule not in RULES:
        raise ValueError(f"rule must be one of {RULES}: {rule!r}")
    named, rule = rule, base_rule(rule)
    if named != rule:
        frame = without_largest(frame)
    by = list(by)
    if "region" in by or rule == "region_mean":
        frame = with_regions(frame)
    if rule == "pooled":
        out = part_bounds(frame, by).set_index([*by, "part"])[["lower", "share", "upper"]]
    else:
        country = part_bounds(frame, [*by, "iso3"] if "iso3" not in by else by)
        if rule == "population_weighted":
            if population is None:
                raise ValueError("the population-weighted rule needs a population table")
            country = en.attach_population(country, population)
        if rule == "region_mean":
            country = with_regions(country) if "region" not in country else country
        weight = "population" if rule == "population_weighted" else None
        if rule == "region_mean" and "region" not in by:
            regional = _mean_bounds(country, [*by, "region"]).reset_index()
            out = _mean_bounds(regional, by)
        else:
            out = _mean_bounds(country, by, weight)
    whole = part_bounds(frame, by).set_index([*by, "part"])[["victims_lower", "victims_upper"]]
    n = frame.groupby(by, observed=True)["iso3"].nunique().rename("countries")
    out = out.join(whole).reset_index().merge(n.reset_index(), on=by, how="left")
    values = ["lower", "share", "upper", "countries", "victims_lower", "victims_upper"]
    return out.assign(rule=named)[["rule", *by, "part", *values]]


def base_rule(rule: str) -> str:
    """The rule without its `WITHOUT_LARGEST` variant: 'pooled' for 'pooled_without_largest'."""
    return rule.removesuffix(WITHOUT_LARGEST)


def all_rules(frame: pd.DataFrame, population: pd.DataFrame) -> pd.DataFrame:
    """`profile` per year under every rule, one below the other."""
    return pd.concat([profile(frame, r, population=population) for r in RULES], ignore_index=True)


# --- The largest reporter --------------------------------------------------------------------


def largest_reporter(frame: pd.DataFrame) -> pd.DataFrame:
    """Per year: the entering country with most victims (lower bound) and its share (%) of all."""
    per = frame.groupby(["year", "iso3"])[["lower", "upper"]].sum().add_prefix("victims_")
    top = per.reset_index().sort_values(["victims_lower", "iso3"], ascending=[False, True])
    top = top.drop_duplicates("year").set_index("year")
    top = top.join(frame.groupby("year")[["lower", "upper"]].sum().add_prefix("all_"))
    share = en.ratio_bounds(
        top["victims_lower"], top["victims_upper"], top["all_lower"], top["all_upper"]
    )
    share.index = top.index
    top = top.assign(share_lower=share["lower"] * 100, share_upper=share["upper"] * 100)
    return top.reset_index()


def without_largest(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` without each year's largest reporter (`largest_reporter`)."""
    top = largest_reporter(frame)[["year", "iso3"]].assign(_drop=True)
    marked = frame.merge(top, on=["year", "iso3"], how="left")
    return frame[marked["_drop"].isna().to_numpy()].reset_index(drop=True)


# --- The published figures and the distance to them -----------------------------------------


def published_figures(path: Path = FIGURES_FILE) -> pd.DataFrame:
    """The Global Report's figures as transcribed by hand, with their citations."""
    table = pd.read_csv(path, dtype="string", keep_default_na=False, na_values=[""])
    return table.astype({"edition": "Int64", "reference_year": "Int64", "value": "Float64"})


def published_profile(
    figures: pd.DataFrame, edition: int, year: int, parts: Sequence[str] = tuple(GROUPS)
) -> pd.Series:
    """The published shares (%) of `parts` in one edition for one year, by part."""
    rows = figures[(figures["edition"] == edition) & (figures["reference_year"] == year)]
    rows = rows[(rows["measure"] == "share") & rows["group"].isin(list(parts))]
    return rows.set_index("group")["value"].astype(float)


def gap(published, lower, upper) -> pd.Series:
    """Points between a published share and a computed range: 0 inside it, else the signed
    distance from the nearer end (computed minus published)."""
    published = pd.Series(published, dtype=float)
    lower = pd.Series(lower, dtype=float, index=published.index)
    upper = pd.Series(upper, dtype=float, index=published.index)
    return (published.clip(lower, upper) - published).fillna(0.0)


def distances(profiles: pd.DataFrame, published: pd.Series, year: int) -> pd.DataFrame:
    """Per rule (and export): each part's share in `year` beside the published one, `distance`
    (central minus published, points), `range_gap` (0 inside the range), and per rule the
    largest absolute of each over the parts (`largest`, `largest_range_gap`)."""
    rows = profiles[(profiles["year"] == year) & profiles["part"].isin(published.index)].copy()
    rows["published"] = rows["part"].map(published).astype(float)
    rows["distance"] = rows["share"].astype(float) - rows["published"]
    rows["range_gap"] = gap(rows["published"], rows["lower"], rows["upper"]).to_numpy()
    keys = [c for c in ("rule", "vintage") if c in rows.columns]
    grouped = rows.groupby(keys)
    rows["largest"] = grouped["distance"].transform(lambda d: d.abs().max())
    rows["largest_range_gap"] = grouped["range_gap"].transform(lambda d: d.abs().max())
    parts = {name: k for k, name in enumerate([*GROUPS, *FORMS])}
    rows = rows.assign(_rule=rows["rule"].map(RULES.index), _part=rows["part"].map(parts))
    first = ["vintage"] if "vintage" in rows.columns else []
    rows = rows.sort_values([*first, "_rule", "_part"]).drop(columns=["_rule", "_part"])
    return rows.reset_index(drop=True)


def closest_rule(dist: pd.DataFrame) -> tuple[str, float]:
    """The rule with the smallest largest distance, and that distance (points)."""
    per = dist.groupby("rule")["largest"].first().astype(float)
    order = sorted(per.index, key=lambda r: (per[r], RULES.index(r)))
    return order[0], float(per[order[0]])


def _held_editions(glotip_by_vintage: dict[str, pd.DataFrame], figures: pd.DataFrame):
    """Per edition and year with published shares of the four groups: those and the cells."""
    shares = figures[(figures["measure"] == "share") & figures["group"].isin(list(GROUPS))]
    for (edition, year), rows in shares.groupby(["edition", "reference_year"]):
        found = profile_cells(glotip_by_vintage, {int(year): nearest_vintage(int(year))})
        if len(found):
            yield int(edition), int(year), rows.set_index("group")["value"].astype(float), found


def edition_distances(
    glotip_by_vintage: dict[str, pd.DataFrame], figures: pd.DataFrame, population: pd.DataFrame
) -> pd.DataFrame:
    """`distances` of every rule to every edition held, on the export nearest each year."""
    frames = []
    for edition, year, published, found in _held_editions(glotip_by_vintage, figures):
        profiles = all_rules(found, population).assign(vintage=nearest_vintage(year))
        dist = distances(profiles, published, year)
        frames.append(dist.assign(edition=edition, parts=len(published)))
    return pd.concat(frames, ignore_index=True)


def worst_cases(by_edition: pd.DataFrame) -> pd.DataFrame:
    """Per rule, its largest distance to each edition and the `worst`, the best rule first."""
    per = by_edition.groupby(["rule", "edition"])["largest"].first().unstack("edition")
    per["worst"] = per.max(axis=1)
    order = sorted(per.index, key=lambda r: (per.at[r, "worst"], RULES.index(r)))
    return per.loc[order]


MINIMUMS = (0, 5, 10, 20, 50, 100, 200)  # victims of known sex and age, a country-year's parts


def minimum_sensitivity(
    glotip_by_vintage: dict[str, pd.DataFrame],
    figures: pd.DataFrame,
    population: pd.DataFrame,
    minimums: Sequence[int] = MINIMUMS,
) -> pd.DataFrame:
    """The mean rules with a minimum of victims of known sex and age for a country-year to enter:
    per rule, minimum and edition, the largest distance, the countries and the worst case. A
    sensitivity, not a rule: no minimum brings a mean rule nearer every edition."""
    rows = []
    for edition, year, published, found in _held_editions(glotip_by_vintage, figures):
        size = found.groupby("iso3")["lower"].transform("sum")
        for minimum in minimums:
            entered = found[size >= minimum]
            for rule in ("country_mean", "region_mean"):
                dist = distances(profile(entered, rule, population=population), published, year)
                rows.append({"rule": rule, "minimum": int(minimum), "edition": edition,
                             "year": year, "countries": int(entered["iso3"].nunique()),
                             "largest": float(dist["largest"].iloc[0])})  # fmt: skip
    table = pd.DataFrame(rows)
    return table.assign(worst=table.groupby(["rule", "minimum"])["largest"].transform("max"))


def largest_revision(before: pd.DataFrame, after: pd.DataFrame, year: int) -> dict:
    """The country whose total of detected victims in `year` changed most from one export to
    the other: its code and both totals as bounds (None where an export has none)."""

    def per_country(glotip: pd.DataFrame) -> pd.DataFrame:
        totals = en.country_totals(glotip, ["victims"])
        return totals[totals["year"] == year].set_index("iso3")[["lower", "upper"]]

    both = per_country(before).add_suffix("_before")
    both = both.join(per_country(after).add_suffix("_after"), how="outer")
    change = (both["lower_after"].fillna(0) - both["lower_before"].fillna(0)).abs()
    iso3 = str(change.astype(float).sort_values(ascending=False, kind="stable").index[0])
    row = both.loc[iso3]
    bounds = {w: [row[f"lower_{w}"], row[f"upper_{w}"]] for w in ("before", "after")}
    figures = {w: None if pd.isna(b[0]) else [int(b[0]), int(b[1])] for w, b in bounds.items()}
    return {"iso3": iso3, "year": int(year), **figures}


def paired_totals(
    glotip_by_vintage: dict[str, pd.DataFrame], years: dict[int, str], entering_cells: pd.DataFrame
) -> pd.DataFrame:
    """Per year, from its export: detected victims and countries, all and those that enter."""
    frames = []
    for vintage in sorted(set(years.values())):
        totals = en.country_totals(glotip_by_vintage[vintage], ["victims"])
        totals = totals[totals["year"].isin([y for y, v in years.items() if v == vintage])]
        out = en.sum_bounds(totals, ["year"])[["year", "lower", "upper", "n_countries"]]
        frames.append(out.rename(columns={"n_countries": "countries"}).assign(vintage=vintage))
    by_year = entering_cells.groupby("year")
    part = by_year[["lower", "upper"]].sum().add_prefix("entering_")
    part["entering_countries"] = by_year["iso3"].nunique()
    out = pd.concat(frames, ignore_index=True).merge(part.reset_index(), on="year", how="left")
    return out.sort_values("year", ignore_index=True)


# --- The Global Report's statements of change, against the export ---------------------------

ALL_VICTIMS, CHILDREN = "all victims", "children"
AGREES_WITHIN = 1.0  # points: a published whole per cent agrees with a range it is this near


def group_counts(glotip: pd.DataFrame, group: str) -> pd.DataFrame:
    """Per country-year, the detected victims of one group as bounds: all victims, children,
    a group of `GROUPS`, a form of `FORMS`, or a group's form ("girls: sexual exploitation")."""
    v = glotip[glotip["indicator"] == VICTIMS]
    group, _, form = group.partition(": ")
    if group == ALL_VICTIMS and not form:
        return en.country_totals(glotip, ["victims"])[["iso3", "year", "lower", "upper"]]
    if group == CHILDREN and not form:  # girls and boys (few publish children of every sex)
        both = pd.concat([group_counts(glotip, "girls"), group_counts(glotip, "boys")])
        paired = both.groupby(["iso3", "year"]).filter(lambda g: len(g) == 2)
        return paired.groupby(["iso3", "year"], as_index=False)[["lower", "upper"]].sum()
    sex, age = GROUPS.get(group, (None, None))
    if group in FORMS:  # a form of every victim
        sex, age, form = "Total", "Total", group
    if sex is None:
        raise ValueError(f"no such group of detected victims: {group!r}")
    keep = (v["sex"] == sex) & (v["age"] == age)
    if form:
        keep &= (v["dimension"] == "by form of exploitation") & (v["category"] == FORMS[form])
    else:
        keep &= v["dimension"] == "Total"
    return v.loc[keep, ["iso3", "year", "lower", "upper", "is_suppressed"]].reset_index(drop=True)


def change(glotip: pd.DataFrame, group: str, base: int, year: int) -> dict:
    """The change (%) in a group's detected victims from `base` to `year` in the countries that
    report both years, as a range over the `<5` bounds; and each year's sum over every country."""
    counts = group_counts(glotip, group)
    at = {y: counts[counts["year"] == y].set_index("iso3") for y in (base, year)}
    both = at[base].index.intersection(at[year].index)
    before, after = at[base].loc[both], at[year].loc[both]
    low = 100 * (after["lower"].sum() / before["upper"].sum() - 1)
    high = 100 * (after["upper"].sum() / before["lower"].sum() - 1)
    every = {y: (int(at[y]["lower"].sum()), int(at[y]["upper"].sum()), len(at[y])) for y in at}
    return {"group": group, "base": int(base), "year": int(year), "countries": len(both),
            "lower": round(float(low), 1), "upper": round(float(high), 1),
            "all_base": every[base], "all_year": every[year]}  # fmt: skip


def form_share(glotip: pd.DataFrame, group: str, form: str, year: int) -> dict:
    """The share (%) of one form among a group's victims in `year`, over the countries that
    publish all three forms for it, as a range over the `<5` bounds."""
    parts = {f: group_counts(glotip, f"{group}: {f}") for f in FORMS}
    rows = pd.concat([p[p["year"] == year].assign(part=f) for f, p in parts.items()])
    rows = entering(rows, list(FORMS))
    share = part_bounds(rows, ["year"]).set_index("part").reindex([form])
    return {"group": f"{group}: {form}", "year": int(year),
            "countries": int(rows["iso3"].nunique()),
            **{k: round(float(share[k].iloc[0]), 1) for k in ("lower", "upper")}}  # fmt: skip


def statement_checks(glotip: pd.DataFrame, figures: pd.DataFrame, edition: int) -> pd.DataFrame:
    """Each statement of change and each share of a form within a group that `figures` holds for
    `edition`, beside what the export gives, with `gap`: 0 within `AGREES_WITHIN` points of the
    range, else the signed distance beyond that (negative where the export gives less)."""
    rows = []
    mine = figures[figures["edition"] == edition]
    for r in mine.itertuples():
        if r.measure == "change":
            found = change(glotip, r.group, int(r.base_year), int(r.reference_year))
        elif r.measure == "share" and ": " in r.group:
            group, _, form = r.group.partition(": ")
            found = form_share(glotip, group, form, int(r.reference_year))
        else:
            continue
        rows.append({**found, "measure": r.measure, "published": float(r.value),
                     "citation": r.citation, "address": r.address})  # fmt: skip
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    signed = gap(out["published"], out["lower"], out["upper"])
    beyond = (signed.abs() - AGREES_WITHIN).clip(lower=0)
    return out.assign(gap=(np.sign(signed) * beyond).round(1))
