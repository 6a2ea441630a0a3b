"""The tables, sentences and results records of the enforcement report (figures from
`analysis.enforcement`); a figure that `<5` cells leave open reads as a range, '1,234–1,246'."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from analysis import enforcement as en
from analysis.data import countries as cty
from analysis.publish import tables
from analysis.publish.bounded import (
    bounds_table,
    bounds_text,
    country_totals_record,
    format_bounds,
)

RANGE_NOTE = "A range such as 1,234–1,246 is a figure that suppressed ('<5') cells leave open."


def view(frame: pd.DataFrame, caption: str, note: str = RANGE_NOTE, **options) -> tables.Table:
    """A table of this module as the reader sees it: its index a column, no figure as '–'."""
    options.setdefault("index", True)
    return tables.Table(frame.replace("", tables.MISSING), caption=caption, note=note, **options)


def country_names(codes) -> list[str]:
    """Countries by name (the code where a code has no name, e.g. a test fixture's 'AAA')."""
    codes = pd.Series(list(codes), dtype="string")
    return cty.name(codes).fillna(codes).tolist()


TIP_ORDER = ["prosecutions", "convictions", "victims_identified"]


# --- Coverage and the largest contributor ---------------------------------------------------------


def coverage_table(cover: pd.DataFrame, shown: Sequence[str]) -> pd.DataFrame:
    """Countries reporting each indicator per year, as 'n (share of the scope's countries %)'."""
    part = cover[cover["indicator"].isin(shown)]
    share = (part["share"] * 100).round().astype(int).astype(str)
    text = part.assign(text=part["n_reporting"].astype(str) + " (" + share + "%)")
    table = text.pivot(index="year", columns="indicator", values="text")[list(shown)]
    table.columns = [en.LABELS[k] for k in shown]
    return table


def coverage_record(cover: pd.DataFrame, shown: Sequence[str], year: int) -> dict:
    """Countries reporting each indicator in `year`, of how many, and their population share."""
    latest = cover[cover["year"] == year].set_index("indicator")
    return {
        k: {
            "countries": int(latest.at[k, "n_reporting"]),
            "of": int(latest.at[k, "n_universe"]),
            "population_share": round(float(latest.at[k, "population_share"]), 4),
        }
        for k in shown
    }


def coverage_sentence(cover: pd.DataFrame, shown: Sequence[str], year: int) -> str:
    """When coverage peaked for each indicator, and where it stood in `year`."""
    latest = cover[cover["year"] == year].set_index("indicator")
    peak = cover.loc[cover.groupby("indicator")["n_reporting"].idxmax()].set_index("indicator")
    return "Countries reporting each indicator (share of the scope's countries). " + " ".join(
        f"For {en.LABELS[k]}, coverage peaked at {int(peak.at[k, 'n_reporting'])} countries "
        f"in {int(peak.at[k, 'year'])} and stood at {int(latest.at[k, 'n_reporting'])} in {year}."
        for k in shown
    )


def contributor_table(top: pd.DataFrame, shown: Sequence[str]) -> pd.DataFrame:
    """Per year and indicator: the largest contributor and its share of the sum, 'USA 40–41%'."""
    top = top[top["indicator"].isin(shown)]
    names = pd.Series(country_names(top["iso3"]), index=top.index, dtype="string")
    text = names + " " + format_bounds(top["share_lower"], top["share_upper"]) + "%"
    table = top.assign(text=text).pivot(index="year", columns="indicator", values="text")
    table = table[[k for k in shown if k in set(top["indicator"])]]
    table.columns = [en.LABELS[k] for k in table.columns]
    return table.fillna("")


def contributor_record(top: pd.DataFrame, shown: Sequence[str], year: int) -> dict:
    rows = top[top["indicator"].isin(shown) & (top["year"] == year)].set_index("indicator")
    return {
        k: {
            "iso3": r.iso3,
            "share_pct_lower": round(float(r.share_lower), 1),
            "share_pct_upper": round(float(r.share_upper), 1),
        }
        for k, r in rows.iterrows()
    }


# --- Totals, rates, ratios and the sexes of the last year -----------------------------------------


def totals_table(sums: pd.DataFrame, shown: Sequence[str], years: Sequence[int]) -> pd.DataFrame:
    """Per year: each indicator's sum over the reporting countries, and how many they were."""
    countries = {k: f"countries reporting {en.LABELS[k]}" for k in shown}
    return bounds_table(sums, "indicator", years, shown, labels=en.LABELS, countries=countries)


def rates_table(sums: pd.DataFrame, shown: Sequence[str], years: Sequence[int]) -> pd.DataFrame:
    """Per year: each indicator's rate per 100,000 population of the reporting countries."""
    labels = {k: f"{en.LABELS[k]} per 100,000" for k in shown}
    return bounds_table(sums, "indicator", years, shown, labels, ("rate_lower", "rate_upper"), 2)


def totals_record(sums: pd.DataFrame, shown: Sequence[str], year: int) -> dict:
    rows = sums[sums["year"] == year].set_index("indicator")
    return {
        k: {"lower": int(r.lower), "upper": int(r.upper), "countries": int(r.n_countries)}
        for k, r in rows.iterrows()
        if k in shown
    }


def rates_record(sums: pd.DataFrame, shown: Sequence[str], year: int) -> dict:
    rows = sums[sums["year"] == year].set_index("indicator")
    return {
        k: [round(float(rows.at[k, "rate_lower"]), 4), round(float(rows.at[k, "rate_upper"]), 4)]
        for k in shown
        if k in rows.index
    }


def ratios_record(ratio: pd.DataFrame, year: int) -> dict:
    rows = ratio[ratio["year"] == year].set_index("ratio")
    return {
        n: {
            "lower": round(float(r.lower), 4),
            "upper": round(float(r.upper), 4),
            "countries": int(r.n_countries),
        }
        for n, r in rows.iterrows()
    }


def sex_table(by_sex: pd.DataFrame, share: pd.DataFrame, years: Sequence[int]) -> pd.DataFrame:
    """Persons convicted by sex per year, the female share (%) and the countries it covers."""
    share_table = bounds_table(
        share,
        "indicator",
        years,
        ["convicted"],
        decimals=1,
        drop_empty=False,
        labels={"convicted": "female share (%)"},
        countries={"convicted": "countries (share)"},
    )
    sexes = bounds_table(
        by_sex, "sex", years, ["Female", "Male"], labels={"Female": "female", "Male": "male"}
    )
    return sexes.join(share_table)


def sex_sentence(by_sex: pd.DataFrame) -> str:
    """Since when, and for how many countries at most, convictions by sex are published."""
    return (
        "In this export and scope, convictions by sex are published from "
        f"{int(by_sex['year'].min())}, for at most {int(by_sex['n_countries'].max())} "
        "countries a year."
    )


def female_share_record(share: pd.DataFrame, year: int) -> list[float] | None:
    """The bounds of the female share (%) of persons convicted in `year`; None without one."""
    rows = share[(share["indicator"] == "convicted") & (share["year"] == year)]
    rows = rows.dropna(subset=["lower"])
    if rows.empty:
        return None
    return [round(float(rows["lower"].iloc[0]), 2), round(float(rows["upper"].iloc[0]), 2)]


def country_table(
    country_year: pd.DataFrame, shown: Sequence[str], top: int, per_capita: bool, year: int
) -> tuple[pd.DataFrame, str]:
    """The `top` countries by their totals in `year` (detected victims, else the first indicator
    shown), with rates; and a sentence saying how many of how many countries it lists."""
    wide = country_year.pivot(index="iso3", columns="indicator")
    rank_by = "victims" if "victims" in shown else shown[0]
    order = wide["lower"][rank_by].dropna().sort_values(ascending=False).index[:top]
    table = pd.DataFrame(index=order)
    table.insert(0, "country", cty.name(pd.Series(order, index=order)).to_numpy())

    def text(key: str, lower: str = "lower", upper: str = "upper", decimals: int = 0):
        return format_bounds(
            wide[lower][key].reindex(order), wide[upper][key].reindex(order), decimals
        ).to_numpy()

    for key in shown:
        table[en.LABELS[key]] = text(key) if key in wide["lower"] else ""
    if per_capita:
        for key in [k for k in ("victims", "convicted") if k in shown and k in wide["lower"]]:
            table[f"{key} per 100,000"] = text(key, "rate_lower", "rate_upper", 2)
    table.index.name = "ISO3"
    ranked = int(wide["lower"][rank_by].notna().sum()) if rank_by in wide["lower"] else 0
    sentence = (
        f"{min(top, ranked)} of the {ranked} countries reporting {en.LABELS[rank_by]} in {year}."
    )
    return table, sentence


# --- US TIP against GLOTIP ------------------------------------------------------------------------


def tip_editions(tip: pd.DataFrame) -> str:
    """The TIP report editions the comparison uses and the years each supplies."""
    editions = tip.groupby("tip_report_edition")["year"].agg(["min", "max"]).sort_values("min")
    first, last = editions["min"].astype(str), editions["max"].astype(str)
    years = first.where(first == last, first + "–" + last)
    return "**TIP editions used:** " + "; ".join(f"{y}: {ed}" for ed, y in years.items())


def tip_table(tip: pd.DataFrame) -> pd.DataFrame:
    """Per year and measure: the TIP figure, the GLOTIP world sum and their ratio."""
    table = tip.assign(
        TIP=tip["tip"].map("{:,}".format),
        GLOTIP=format_bounds(tip["glotip_lower"], tip["glotip_upper"]),
        ratio=format_bounds(tip["ratio_low"], tip["ratio_high"], 2),
    ).pivot(index="year", columns="measure", values=["TIP", "GLOTIP", "ratio"])
    table = table.reorder_levels([1, 0], axis=1)
    order = [
        (m, c) for m in TIP_ORDER for c in ["TIP", "GLOTIP", "ratio"] if (m, c) in table.columns
    ]
    table = table[order].fillna("")
    table.columns.names = [None, None]
    return table.rename(columns={"victims_identified": "victims identified"}, level=0)


def tip_ratio_summary(tip: pd.DataFrame) -> dict:
    """Per measure: the smallest and largest ratio TIP / GLOTIP, and the year of the largest."""
    return {
        m: {
            "min_ratio": round(float(p["ratio_low"].min()), 3),
            "max_ratio": round(float(p["ratio_high"].max()), 3),
            "year_of_max": int(p.loc[p["ratio_high"].astype(float).idxmax(), "year"]),
        }
        for m, p in tip.groupby("measure")
    }


def tip_below_text(below: pd.DataFrame) -> str:
    """Where the GLOTIP sum exceeds the TIP figure, and the largest contributor there."""
    big = below.loc[below["share_lower"].astype(float).idxmax()]
    where = "; for ".join(
        f"{m.replace('_', ' ')} in {', '.join(str(y) for y in p['year'])} (largest GLOTIP "
        f"contributors in those years: {', '.join(country_names(sorted(set(p['iso3'].dropna()))))})"
        for m, p in below.groupby("measure")
    )
    return (
        f"The GLOTIP sum exceeds the TIP figure (ratio below 1) for {where}. At the extreme, "
        f"{country_names([big.iso3])[0]} alone makes up at least {big.share_lower:.0f}% of the "
        "GLOTIP "
        f"{en.LABELS[big.indicator]} sum in {int(big.year)}: one large reporter can outweigh "
        "the TIP global figure."
    )


# --- EU-27: Eurostat against GLOTIP ---------------------------------------------------------------


def _decimals(measure: str) -> int:
    """Shares (%) and rates per million are shown with one decimal, counts with none."""
    return 1 if "%" in measure or "per million" in measure else 0


def gap_text(gap_pct, gap_points) -> str:
    """'+7.2 points' for a share, '-14.2% of the Eurostat figure' for a count or a rate."""
    if pd.isna(gap_pct):
        return ""
    if pd.notna(gap_points):
        return f"{gap_points:+.1f} points"
    return f"{gap_pct:+.1f}% of the Eurostat figure"


def _gap_record(r) -> dict:
    points = None if pd.isna(r.gap_points) else round(float(r.gap_points), 2)
    return {"gap_pct": round(float(r.gap_pct), 2), "gap_points": points}


def _eurostat_text(value, decimals: int, secondary) -> str:
    if pd.isna(value):
        return ""
    return f"{value:,.{decimals}f}" + ("†" if secondary is True else "")


def eu27_table(eu: pd.DataFrame) -> pd.DataFrame:
    """The years and measures with a figure from either source, side by side."""
    digits = [_decimals(m) for m in eu["measure"]]
    eurostat = [
        _eurostat_text(v, d, s)
        for v, d, s in zip(eu["eurostat"], digits, eu["eurostat_secondary"], strict=True)
    ]
    glotip = [
        bounds_text(lo, hi, d)
        for lo, hi, d in zip(eu["glotip_lower"], eu["glotip_upper"], digits, strict=True)
    ]
    table = pd.DataFrame(
        {
            "year": eu["year"],
            "measure": eu["measure"],
            "Eurostat": eurostat,
            "release": eu["eurostat_release"].fillna(""),
            "GLOTIP": glotip,
            "members reporting": eu["glotip_countries"].astype(str) + " of 27",
            "gap": [gap_text(g, p) for g, p in zip(eu["gap_pct"], eu["gap_points"], strict=True)],
        }
    )
    return table[eu["eurostat"].notna() | eu["glotip_lower"].notna()]


def eu27_records(both: pd.DataFrame) -> list[dict]:
    """The year-measures with both sources, for results JSON."""
    return [
        {
            "year": int(r.year),
            "measure": r.measure,
            "eurostat": float(r.eurostat),
            "eurostat_release": r.eurostat_release,
            "glotip_lower": round(float(r.glotip_lower), 3),
            "glotip_upper": round(float(r.glotip_upper), 3),
            "glotip_members": int(r.glotip_countries),
        }
        | _gap_record(r)
        for r in both.itertuples()
    ]


def gap_notes(gaps: pd.DataFrame, totals: pd.DataFrame) -> str:
    """The largest gaps, each with the members missing from the GLOTIP sum."""
    members, published = en.eu27_members(), totals[totals["sex"] == "Total"]
    notes = []
    for r in gaps.itertuples():
        key = en.EUROSTAT_MEASURES[r.measure][1]
        rows = published[(published["indicator"] == key) & (published["year"] == int(r.year))]
        missing = sorted(set(members) - set(rows["iso3"]))
        digits = _decimals(r.measure)
        notes.append(
            f"- **{r.measure}, {int(r.year)}**: Eurostat {r.eurostat:,.{digits}f}, GLOTIP "
            f"{bounds_text(r.glotip_lower, r.glotip_upper, digits)} (gap "
            f"{gap_text(r.gap_pct, r.gap_points)}); "
            f"members without a GLOTIP {en.LABELS[key]} total: "
            f"{', '.join(country_names(missing)) if missing else 'none'}."
        )
    if not notes:
        return "No year has both sources."
    return (
        "**Largest discrepancies**, of counts and rates in per cent of the Eurostat figure, of "
        "shares in points.\n\n" + "\n".join(notes)
    )


def gaps_record(gaps: pd.DataFrame) -> list[dict]:
    return [{"year": int(r.year), "measure": r.measure} | _gap_record(r) for r in gaps.itertuples()]


# --- The closing note -----------------------------------------------------------------------------


def _countries(n) -> str:
    return f"{int(n)} {'country' if int(n) == 1 else 'countries'}"


def total_lines(
    sums: pd.DataFrame, shown: Sequence[str], year: int, universe: int, per_capita: bool
) -> list[str]:
    """One bullet: each indicator's sum in `year`, over how many countries, and the rates."""
    rows = sums[sums["year"] == year].set_index("indicator")
    keys = [k for k in shown if k in rows.index]
    if not keys:
        return []
    parts = [f"{bounds_text(rows.loc[k].lower, rows.loc[k].upper)} {en.LABELS[k]} "
             f"({int(rows.loc[k].n_countries)} of {universe} countries)" for k in keys]  # fmt: skip
    line = f"- **{year}:** {tables.listed(parts)}."
    if per_capita:
        rates = [bounds_text(rows.loc[k].rate_lower, rows.loc[k].rate_upper, 2) for k in keys]
        line += f" Per 100,000 people in the reporting countries: {tables.listed(rates)}."
    return [line]


def ratio_lines(ratio: pd.DataFrame, year: int) -> list[str]:
    """One bullet: each ratio of `year`, over the countries reporting both of its counts."""
    rows = ratio[ratio["year"] == year].set_index("ratio")
    parts = [f"{bounds_text(r.lower, r.upper, 2)} {name} ({_countries(r.n_countries)} "
             "reporting both)" for name, r in rows.iterrows()]  # fmt: skip
    if not parts:
        return []
    return [f"- **From prosecution to conviction, {year}:** {tables.listed(parts)}; counts of the "
            "same year, not of the same people."]  # fmt: skip


def tip_lines(summary: dict, years: Sequence[int]) -> list[str]:
    """One bullet: how many times the GLOTIP world sum the US TIP figure is, per measure."""
    if not summary:
        return []
    parts = [f"{bounds_text(s['min_ratio'], s['max_ratio'], 2)} for {m.replace('_', ' ')} "
             f"(highest in {s['year_of_max']})" for m, s in summary.items()]  # fmt: skip
    return [f"- **US TIP Report against GLOTIP, {years[0]}–{years[-1]}:** as a multiple of the "
            f"GLOTIP world sum, the TIP figure is {tables.listed(parts)}."]  # fmt: skip


def gap_lines(gaps: pd.DataFrame) -> list[str]:
    """One bullet: the largest gap between GLOTIP and Eurostat."""
    if gaps.empty:
        return []
    r = next(gaps.itertuples())
    return [
        f"- **EU-27 against Eurostat:** the largest gap is in {r.measure}, {int(r.year)}: "
        f"GLOTIP differs by {gap_text(r.gap_pct, r.gap_points)} "
        f"({int(r.glotip_countries)} of 27 members in GLOTIP)"
        + ("; the section on the EU-27 gives the others." if len(gaps) > 1 else ".")
    ]


# --- The reader's tables and headlines ------------------------------------------------------------

GAP_NOTE = (
    "Gap: how far the GLOTIP range lies from the Eurostat figure (0 when the figure lies inside "
    "the range): for shares in percentage points (points), for counts and rates in per cent of "
    "the Eurostat figure."
)


EU27_CAPTION = "EU-27: Eurostat headline figures against the GLOTIP sum over the member states"


def eu27_view(eu: pd.DataFrame) -> tables.Table:
    """`eu27_table` as the reader sees it, with a note on what the gap measures."""
    return view(
        eu27_table(eu),
        EU27_CAPTION,
        note=f"{GAP_NOTE} † a Eurostat value taken from a secondary quotation. {RANGE_NOTE}",
        index=False,
    )


def eu27_record(totals: pd.DataFrame, years: Sequence[int], vintage: str) -> dict:
    """For the disclosure audit, the GLOTIP counts over the EU-27 members that `eu27_table`
    prints (victims and persons convicted, per year; not the shares and the rate)."""
    counted = [i for _, i, kind in en.EUROSTAT_MEASURES.values() if kind == "count"]
    rows = totals[totals["iso3"].isin(en.eu27_members()) & totals["year"].isin(list(years))
                  & (totals["sex"] == "Total") & totals["indicator"].isin(counted)]  # fmt: skip
    return country_totals_record(EU27_CAPTION, vintage, rows, [["indicator", "year"]])


def ratios_view(ratio: pd.DataFrame, years: Sequence[int]) -> tables.Table:
    """Per year: both conviction ratios and the countries each runs over."""
    countries = {n: f"countries ({n.split()[-1]})" for n in en.RATIOS}
    table = bounds_table(ratio, "ratio", years, sorted(en.RATIOS), decimals=2, countries=countries)
    labels = {f"countries ({n.split()[-1]})": f"countries ({n})" for n in en.RATIOS}
    return view(table, "Convictions per prosecution and per detected victim, same-year ratios",
                labels=labels)  # fmt: skip


def headlines(sums: pd.DataFrame, shown: Sequence[str], year: int, universe: int) -> list[str]:
    """For the index page, per indicator shown (at most three): its sum in `year`."""
    rows = sums[sums["year"] == year].set_index("indicator")
    return [
        f"{en.LABELS[k].capitalize()}, {year}: {bounds_text(r.lower, r.upper)} in the "
        f"{int(r.n_countries)} of {universe} countries that reported."
        for k, r in rows.iterrows()
        if k in shown[:3]
    ]
