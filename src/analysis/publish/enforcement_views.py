"""The tables and the sentences that branch on the data of the enforcement report; a figure
that `<5` cells leave open reads as a range, '1,234–1,246'."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from analysis import enforcement as en
from analysis.data import countries as cty
from analysis.publish import tables
from analysis.publish.bounded import bounds_table, bounds_text, format_bounds

RANGE_NOTE = "A range such as 1,234–1,246 is a figure that suppressed ('<5') cells leave open."


def view(frame: pd.DataFrame, caption: str, note: str = RANGE_NOTE, **options) -> tables.Table:
    """A table of this module as the reader sees it: its index a column, no figure as '–'."""
    options.setdefault("index", True)
    return tables.Table(frame.replace("", tables.MISSING), caption=caption, note=note, **options)


TIP_ORDER = ["prosecutions", "convictions", "victims_identified"]


# --- Convictions by sex and the countries of the last year ----------------------------------------


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


def gap_record(r) -> dict:
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
            f"{', '.join(cty.names(missing)) if missing else 'none'}."
        )
    if not notes:
        return "No year has both sources."
    return (
        "**Largest discrepancies**, of counts and rates in per cent of the Eurostat figure, of "
        "shares in points.\n\n" + "\n".join(notes)
    )
