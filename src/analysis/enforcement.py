"""Enforcement trends from GLOTIP, and how GLOTIP compares with US TIP and Eurostat.

A sum over `<5` cells is an interval: every sum, rate and ratio carries `lower` and `upper`,
and `value` only where they agree; nothing is imputed. Sums run over the countries that
reported (`n_countries`). Exports revise earlier years, so vintages are never spliced.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from analysis import catalog
from analysis.data import countries
from analysis.data import population as wpp
from analysis.data.errors import DataError
from analysis.schemas.enforcement import INDICATOR_NAMES as INDICATORS

LABELS = {"victims": "detected victims", "prosecuted": "persons prosecuted",
          "convicted": "persons convicted"}  # fmt: skip
PER = 100_000  # rates per 100,000 population
BOUNDS = ["lower", "upper"]
WORLD, EU27 = "World", "EU27"
RATIOS = {  # name: (numerator, denominator)
    "convictions per prosecution": ("convicted", "prosecuted"),
    "convictions per detected victim": ("convicted", "victims"),
}
TIP_MEASURES = {  # US TIP column: GLOTIP indicator it is set against
    "prosecutions": "prosecuted",
    "convictions": "convicted",
    "victims_identified": "victims",
}
EUROSTAT_MEASURES = {  # measure: (Eurostat indicator, GLOTIP indicator, kind)
    "registered victims": ("registered_victims", "victims", "count"),
    "registered victims per million inhabitants": (
        "registered_victims_per_million", "victims", "per_million"),
    "female share of registered victims (%)": (
        "registered_victims_female_share", "victims", "female_share"),
    "convicted persons": ("convicted_traffickers", "convicted", "count"),
    "female share of convicted persons (%)": (
        "convicted_traffickers_female_share", "convicted", "female_share"),
}  # fmt: skip


# --- Loading and selecting -------------------------------------------------------------------


def load_glotip(vintage: str = "2025") -> pd.DataFrame:
    """The cleaned GLOTIP table of one vintage (export), read from data/processed."""
    table = catalog.read("glotip", required=["vintage"])
    found = sorted(table["vintage"].unique())
    if vintage not in found:
        path = catalog.table("glotip").location()
        raise DataError(f"{path}: no GLOTIP vintage {vintage!r}; the table holds {found}")
    return table[table["vintage"] == vintage].reset_index(drop=True)


def vintage_of(glotip: pd.DataFrame) -> str:
    """The one vintage the rows come from; rows from several exports are refused."""
    vintages = glotip["vintage"].unique()
    if len(vintages) != 1:
        raise DataError(
            f"GLOTIP rows from {len(vintages)} vintages {sorted(vintages)}: one series must come "
            "from one export (filter on `vintage` first; never splice vintages)"
        )
    return str(vintages[0])


def indicator_keys(indicators: Iterable[str]) -> list[str]:
    """Short indicator names (victims, prosecuted, convicted), checked."""
    keys = list(indicators)
    unknown = [k for k in keys if k not in INDICATORS]
    if unknown or not keys:
        raise ValueError(f"indicators must be some of {list(INDICATORS)}; got {keys}")
    return keys


def country_totals(
    glotip: pd.DataFrame,
    indicators: Iterable[str] = tuple(INDICATORS),
    sexes: Sequence[str] = ("Total",),
) -> pd.DataFrame:
    """One row per country, year, indicator and sex: the published total (all ages, all forms);
    a country-year without a total is not rebuilt from its breakdown."""
    vintage_of(glotip)
    keys = indicator_keys(indicators)
    wanted = glotip["indicator"].isin([INDICATORS[k] for k in keys])
    rows = glotip[
        wanted
        & (glotip["dimension"] == "Total")
        & (glotip["age"] == "Total")
        & glotip["sex"].isin(list(sexes))
    ]
    short = {v: k for k, v in INDICATORS.items()}
    out = rows.assign(indicator=rows["indicator"].map(short).astype("string"))
    if "check" not in out:  # a table cleaned before the check existed
        out = out.assign(check=pd.Series(pd.NA, index=out.index, dtype="string"))
    columns = ["iso3", "year", "indicator", "sex", "value", "lower", "upper", "is_suppressed",
               "check"]  # fmt: skip
    return out[columns].sort_values(["indicator", "sex", "iso3", "year"], ignore_index=True)


def total_and_later_peak(
    glotip: pd.DataFrame, iso3: str, year: int, indicator: str = "victims"
) -> dict:
    """One country's published total in `year` and its largest total in a later year, as bounds
    (one vintage throughout); a year without a published total is a DataError naming it."""
    vintage = vintage_of(glotip)
    totals = country_totals(glotip, [indicator])
    series = totals[totals["iso3"] == iso3].set_index("year")
    if year not in series.index:
        raise DataError(
            f"{catalog.table('glotip').location()}, vintage {vintage}: no published total of "
            f"{INDICATORS[indicator]!r} for {iso3} in {year}; "
            f"years published: {sorted(int(y) for y in series.index)}"
        )
    later = series[series.index > year].sort_values(["lower", "upper"], ascending=False)

    def figure(row: pd.Series) -> dict:
        value = None if pd.isna(row["value"]) else int(row["value"])
        return {"value": value, "lower": int(row["lower"]), "upper": int(row["upper"])}

    peak = None
    if len(later):
        peak = {"year": int(later.index[0]), **figure(later.iloc[0])}
    return {"vintage": vintage, "iso3": iso3, "indicator": indicator, "year": int(year),
            **figure(series.loc[year]), "later_peak": peak}  # fmt: skip


def eu27_members() -> list[str]:
    """The 27 EU member states (EU27_2020) as ISO3 codes."""
    codes = countries.converter().data["ISO3"].dropna().astype("string")
    return sorted(codes[countries.is_eu27(codes).fillna(False).to_numpy()].tolist())


def regions() -> list[str]:
    """Region names `select` accepts: World, EU27 and the UN M49 sub-regions."""
    subregions = countries.converter().data["UNregion"].dropna().unique()
    return [WORLD, EU27, *sorted(s for s in subregions if s != "Antarctica")]


def select(
    iso3: pd.Series, country_codes: Sequence[str] | None = None, region: str = WORLD
) -> pd.Series:
    """Rows in the chosen countries (ISO3 list) or, when none are given, in the chosen region."""
    iso3 = iso3.astype("string")
    if country_codes:
        codes = [c.strip().upper() for c in country_codes]
        known = set(countries.converter().data["ISO3"].dropna())
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise ValueError(f"unknown ISO3 code(s) {unknown} in `countries`")
        return iso3.isin(codes)
    if region == WORLD:
        return pd.Series(True, index=iso3.index)
    if region == EU27:
        return iso3.isin(eu27_members())
    if region not in regions():
        raise ValueError(f"unknown region {region!r}; choose one of {regions()}")
    return (countries.un_region(iso3) == region).fillna(False)


def scope_countries(
    glotip: pd.DataFrame, country_codes: Sequence[str] | None = None, region: str = WORLD
) -> list[str]:
    """Every country of the export in the chosen countries or region: coverage's denominator."""
    codes = pd.Series(sorted(glotip["iso3"].unique()), dtype="string")
    return codes[select(codes, country_codes, region).to_numpy()].tolist()


# --- Sums, rates and ratios with bounds ------------------------------------------------------


def attach_population(frame: pd.DataFrame, population: pd.DataFrame) -> pd.DataFrame:
    """Add each row's population (WPP 2024); every country-year must have one."""
    pop = wpp.lookup(population, frame["iso3"], frame["year"])
    if pop.isna().any():
        missing = frame.loc[pop.isna(), ["iso3", "year"]].drop_duplicates().head(10)
        raise DataError(
            "no WPP 2024 population for iso3/year "
            f"{missing.values.tolist()}; rates need one for every country-year summed"
        )
    return frame.assign(population=pop)


def sum_bounds(frame: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """Sum `lower` and `upper` (and `population` when present) per group; `value` where no `<5`
    cell took part; `n_countries` and `n_suppressed` count the rows and the `<5` cells."""
    aggregations = {
        "lower": ("lower", "sum"),
        "upper": ("upper", "sum"),
        "n_countries": ("iso3", "nunique"),
        "n_suppressed": ("is_suppressed", "sum"),
    }
    if "population" in frame.columns:
        aggregations["population"] = ("population", "sum")
    out = frame.groupby(list(by), observed=True).agg(**aggregations).reset_index()
    out = out.astype({"lower": "Int64", "upper": "Int64", "n_countries": "Int64",
                      "n_suppressed": "Int64"})  # fmt: skip
    out.insert(len(by), "value", out["lower"].where(out["lower"] == out["upper"]))
    return out


def add_rates(frame: pd.DataFrame) -> pd.DataFrame:
    """Rates per 100,000 population for `value`, `lower` and `upper` (needs `population`)."""
    pop = frame["population"].astype("Float64")
    pop = pop.where(pop > 0)
    return frame.assign(
        rate=frame["value"].astype("Float64") / pop * PER,
        rate_lower=frame["lower"].astype("Float64") / pop * PER,
        rate_upper=frame["upper"].astype("Float64") / pop * PER,
    )


def ratio_bounds(num_lower, num_upper, den_lower, den_upper) -> pd.DataFrame:
    """Bounds of num/den when both are intervals: [num_lower/den_upper, num_upper/den_lower];
    a denominator that may be zero gives no upper bound (<NA>), one that is zero no ratio."""
    num_lower = pd.Series(num_lower, dtype="Float64")
    num_upper = pd.Series(num_upper, dtype="Float64", index=num_lower.index)
    den_lower = pd.Series(den_lower, dtype="Float64", index=num_lower.index)
    den_upper = pd.Series(den_upper, dtype="Float64", index=num_lower.index)
    lower = (num_lower / den_upper.where(den_upper > 0)).astype("Float64")
    upper = (num_upper / den_lower.where(den_lower > 0)).astype("Float64")
    exact = (num_lower == num_upper) & (den_lower == den_upper)
    value = lower.where(exact.fillna(False))
    return pd.DataFrame({"value": value, "lower": lower, "upper": upper})


def ratios(totals: pd.DataFrame) -> pd.DataFrame:
    """Convictions per prosecution and per detected victim, by year, with bounds, over the
    countries reporting both that year (sex Total): same-year flows, not cohort rates."""
    t = totals[totals["sex"] == "Total"].set_index(["iso3", "year"])
    of = {k: t.loc[t["indicator"] == k, ["lower", "upper"]] for k in INDICATORS}
    parts = []
    for name, (num, den) in RATIOS.items():
        both = of[num].merge(of[den], on=["iso3", "year"], suffixes=("_num", "_den"))
        both = both.reset_index()
        sums = both.groupby("year").agg(
            num_lower=("lower_num", "sum"),
            num_upper=("upper_num", "sum"),
            den_lower=("lower_den", "sum"),
            den_upper=("upper_den", "sum"),
            n_countries=("iso3", "nunique"),
        )
        bounds = ratio_bounds(sums["num_lower"], sums["num_upper"], sums["den_lower"],
                              sums["den_upper"])  # fmt: skip
        bounds.index = sums.index
        parts.append(sums.join(bounds).reset_index().assign(ratio=name))
    out = pd.concat(parts, ignore_index=True)
    return out[["ratio", "year", *[c for c in out.columns if c not in ("ratio", "year")]]]


def female_share(totals: pd.DataFrame) -> pd.DataFrame:
    """Share of females in the total (percent), over country-years reporting both, with bounds."""
    keys = ["iso3", "year"]
    fem = totals[totals["sex"] == "Female"].set_index([*keys, "indicator"])[["lower", "upper"]]
    tot = totals[totals["sex"] == "Total"].set_index([*keys, "indicator"])[["lower", "upper"]]
    both = fem.merge(tot, left_index=True, right_index=True, suffixes=("_f", "_t")).reset_index()
    sums = both.groupby(["indicator", "year"]).agg(
        f_lower=("lower_f", "sum"),
        f_upper=("upper_f", "sum"),
        t_lower=("lower_t", "sum"),
        t_upper=("upper_t", "sum"),
        n_countries=("iso3", "nunique"),
    )
    share = ratio_bounds(sums["f_lower"], sums["f_upper"], sums["t_lower"], sums["t_upper"]) * 100
    share.index = sums.index
    share["upper"] = share["upper"].clip(upper=100)  # females cannot exceed the total
    return sums.join(share).reset_index()


# --- Coverage --------------------------------------------------------------------------------


def coverage(
    totals: pd.DataFrame,
    universe: Sequence[str],
    years: Sequence[int],
    population: pd.DataFrame,
) -> pd.DataFrame:
    """Per indicator and year: countries reporting a total, out of `universe`, and their share
    of the universe's countries and of its population."""
    universe = sorted(set(universe))
    t = totals[(totals["sex"] == "Total") & totals["iso3"].isin(universe)]
    grid = pd.MultiIndex.from_product(
        [sorted(t["indicator"].unique()), list(years)], names=["indicator", "year"]
    )
    counts = t.groupby(["indicator", "year"])["iso3"].nunique().reindex(grid, fill_value=0)
    out = counts.rename("n_reporting").reset_index()
    out["n_universe"] = len(universe)
    out["share"] = out["n_reporting"] / len(universe) if universe else np.nan
    pop = population[population["iso3"].isin(universe)]
    total_pop = pop.groupby("year")["population"].sum()
    reporting = attach_population(t, population).groupby(["indicator", "year"])["population"]
    covered = reporting.sum().reindex(grid, fill_value=0).to_numpy()
    out["population_share"] = covered / out["year"].map(total_pop).astype(float).to_numpy()
    return out.astype({"year": "Int64", "n_reporting": "Int64", "n_universe": "Int64"})


def largest_contributor(totals: pd.DataFrame) -> pd.DataFrame:
    """Per indicator and year: the country with the largest published total and its share (%)."""
    t = totals[totals["sex"] == "Total"]
    sums = sum_bounds(t, ["indicator", "year"]).set_index(["indicator", "year"])
    top = t.sort_values(["lower", "iso3"], ascending=[False, True]).drop_duplicates(
        ["indicator", "year"]
    )
    top = top.set_index(["indicator", "year"])[["iso3", "lower", "upper"]]
    top = top.join(sums[["lower", "upper"]].add_suffix("_sum"))
    share = ratio_bounds(top["lower"], top["upper"], top["lower_sum"], top["upper_sum"]) * 100
    share.index = top.index
    out = top[["iso3"]].join(share.add_prefix("share_")).reset_index()
    return out.sort_values(["indicator", "year"], ignore_index=True)


def balanced_panel(totals: pd.DataFrame, years: Sequence[int]) -> pd.DataFrame:
    """Rows of countries that report an indicator in every one of `years` (per indicator, sex):
    sums whose changes are not changes of coverage."""
    years = list(years)
    t = totals[totals["year"].isin(years)]
    n_years = t.groupby(["indicator", "sex", "iso3"])["year"].transform("nunique")
    return t[n_years == len(years)]


# --- Cross-source comparisons ----------------------------------------------------------------


def tip_comparison(us_tip: pd.DataFrame, world: pd.DataFrame) -> pd.DataFrame:
    """US TIP global figures beside the GLOTIP world sums (`world`: `sum_bounds` by indicator
    and year), year by year; `ratio_*` is TIP divided by the GLOTIP bounds."""
    rows = []
    for column, indicator in TIP_MEASURES.items():
        tip = us_tip[["year", column, "tip_report_edition", "is_secondary"]].rename(
            columns={column: "tip"}
        )
        glotip = world[world["indicator"] == indicator][
            ["year", "lower", "upper", "n_countries", "n_suppressed"]
        ].rename(columns={"lower": "glotip_lower", "upper": "glotip_upper",
                          "n_countries": "glotip_countries"})  # fmt: skip
        both = tip.merge(glotip, on="year", how="inner").assign(measure=column)
        rows.append(both)
    out = pd.concat(rows, ignore_index=True)
    out = out[out["tip"].notna()]
    ratio = ratio_bounds(out["tip"], out["tip"], out["glotip_lower"], out["glotip_upper"])
    out["ratio_low"], out["ratio_high"] = ratio["lower"].to_numpy(), ratio["upper"].to_numpy()
    lead = ["measure", "year", "tip", "tip_report_edition", "is_secondary"]
    return out[lead + [c for c in out.columns if c not in lead]].reset_index(drop=True)


def glotip_above_tip(tip: pd.DataFrame, top: pd.DataFrame) -> pd.DataFrame:
    """The rows of `tip_comparison` where the GLOTIP lower bound exceeds the TIP figure, with
    that year's largest GLOTIP contributor (`largest_contributor`)."""
    rows = tip.assign(indicator=tip["measure"].map(TIP_MEASURES))
    return rows[rows["ratio_high"] < 1].merge(top, on=["indicator", "year"], how="left")


def _glotip_eu_figures(totals: pd.DataFrame, population: pd.DataFrame, years) -> pd.DataFrame:
    """GLOTIP EU-27 figures per year and measure: bounds and the number of members reporting."""
    members = eu27_members()
    eu = totals[totals["iso3"].isin(members) & totals["year"].isin(list(years))]
    sums = sum_bounds(eu[eu["sex"] == "Total"], ["indicator", "year"])
    eu_pop = population[population["iso3"].isin(members)].groupby("year")["population"].sum()
    pop = sums["year"].map(eu_pop).astype("Float64")
    per_million = sums.assign(**{b: sums[b].astype("Float64") / pop * 1e6 for b in BOUNDS})
    of_kind = {"count": sums, "per_million": per_million, "female_share": female_share(eu)}
    out = pd.concat(
        [of_kind[kind][of_kind[kind]["indicator"] == indicator].assign(measure=measure)
         for measure, (_, indicator, kind) in EUROSTAT_MEASURES.items()], ignore_index=True
    )  # fmt: skip
    return pd.DataFrame(
        {
            "measure": out["measure"],
            "year": out["year"].astype("Int64"),
            "glotip_lower": out["lower"].astype("Float64"),
            "glotip_upper": out["upper"].astype("Float64"),
            "glotip_countries": out["n_countries"].astype("Int64"),
        }
    )


def gap_distance(reference, lower, upper) -> pd.Series:
    """How far [lower, upper] lies from `reference`, in their units (for shares: points): zero
    inside, else the signed distance to the nearest bound, whatever the `<5` cells hold."""
    reference = pd.Series(reference, dtype="Float64")
    lower = pd.Series(lower, dtype="Float64", index=reference.index)
    upper = pd.Series(upper, dtype="Float64", index=reference.index)
    gap = pd.Series(0.0, index=reference.index, dtype="Float64")
    gap = gap.mask(upper < reference, upper - reference).mask(lower > reference, lower - reference)
    return gap.mask(reference.isna() | lower.isna() | upper.isna())


def gap_percent(reference, lower, upper) -> pd.Series:
    """`gap_distance` in per cent of `reference`."""
    reference = pd.Series(reference, dtype="Float64")
    gap = gap_distance(reference, lower, upper)
    return (gap / reference.where(reference != 0) * 100).astype("Float64")


def is_share_measure(measure: str) -> bool:
    """Whether a Eurostat measure (`EUROSTAT_MEASURES`) is a share in per cent."""
    return EUROSTAT_MEASURES[measure][2] == "female_share"


def eu27_comparison(
    totals: pd.DataFrame,
    eurostat: pd.DataFrame,
    population: pd.DataFrame,
    years: Sequence[int],
) -> pd.DataFrame:
    """Eurostat EU-27 headlines (latest releases) beside the GLOTIP sum over the members, per
    year and measure (<NA> where a source has no figure). GLOTIP per-million figures divide by
    the population of all 27 members, as Eurostat does, though fewer reported."""
    years = list(years)
    grid = pd.DataFrame(
        [(m, y) for m in EUROSTAT_MEASURES for y in years], columns=["measure", "year"]
    ).astype({"year": "Int64"})
    indicator_of = {spec[0]: m for m, spec in EUROSTAT_MEASURES.items()}
    euro = eurostat[eurostat["indicator"].isin(list(indicator_of)) & eurostat["latest"]]
    euro = pd.DataFrame(
        {
            "measure": euro["indicator"].map(indicator_of).to_numpy(),
            "year": euro["year"].astype("Int64").to_numpy(),
            "eurostat": euro["value"].astype("Float64").to_numpy(),
            "eurostat_release": euro["release"].to_numpy(),
            "eurostat_secondary": euro["is_secondary"].to_numpy(),
        }
    )
    glotip = _glotip_eu_figures(totals, population, years)
    out = grid.merge(euro, on=["measure", "year"], how="left").merge(
        glotip, on=["measure", "year"], how="left"
    )
    out["glotip_countries"] = out["glotip_countries"].fillna(0).astype("Int64")
    out["gap_pct"] = gap_percent(out["eurostat"], out["glotip_lower"], out["glotip_upper"])
    share = out["measure"].map(is_share_measure).astype(bool)
    points = gap_distance(out["eurostat"], out["glotip_lower"], out["glotip_upper"])
    out["gap_points"] = points.where(share)
    return out.sort_values(["year", "measure"], ignore_index=True)


def largest_gaps(table: pd.DataFrame, n: int = 3) -> pd.DataFrame:
    """The `n` largest gaps of counts and rates (`gap_pct`), then of shares in points
    (`gap_points`): a relative per cent would rank a small share's few points above a large
    share's many."""
    share = table["measure"].map(is_share_measure).astype(bool)
    parts = []
    for rows, column in ((table[~share], "gap_pct"), (table[share], "gap_points")):
        ranked = rows[rows[column].notna()]
        order = ranked[column].abs().astype(float).sort_values(ascending=False).index
        parts.append(ranked.loc[order[:n]])
    return pd.concat(parts)
