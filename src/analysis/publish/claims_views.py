"""The verdicts of the 2009 claims check, their reasons written from `claims.evidence`."""

from __future__ import annotations

import pandas as pd

from analysis import catalog, claims
from analysis import enforcement as en
from analysis.data import countries, releases
from analysis.data.errors import DataError
from analysis.publish import tables
from analysis.publish.bounded import bounds_table, country_totals_record, format_bounds


def glotip_record(glotip: pd.DataFrame, country: str = claims.COUNTRY, years=(2007, 2011)):
    """For the disclosure audit, the country's published totals that `glotip_view` shows."""
    totals = en.country_totals(glotip)
    rows = totals[(totals["iso3"] == country) & totals["year"].between(*years)]
    caption = f"{countries.name(pd.Series([country], dtype='string')).iloc[0]} in GLOTIP"
    return country_totals_record(caption, en.vintage_of(glotip), rows)


def _text(figure: dict, decimals: int = 0) -> str:
    """A figure as published: exact, or the range its `<5` cells leave."""
    lower, upper = figure["bounds"]
    return str(format_bounds([lower], [upper], decimals).iloc[0])


def _needed(ev: dict, key: str, claim: pd.Series) -> dict:
    """A Belarus GLOTIP figure a reason is written from; a missing one names what is missing."""
    blr = ev["belarus"]
    if blr.get(key) is None:
        indicator, _, female = key.partition("_")
        name = claims.OFFENCES if indicator == "offences" else en.INDICATORS[indicator]
        raise DataError(
            f"{catalog.table('glotip').location()} (vintage {blr.get('vintage')}): no "
            f"published total of {name!r} (sex {'Female' if female else 'Total'}) for "
            f"{blr.get('iso3', claims.COUNTRY)} in {blr.get('year', claims.YEAR)}; claim "
            f"{claim.get('claim_id', claim.name)!r} needs it"
        )
    return blr[key]


UNTESTABLE = "Not testable with the data here"


def _no_data(claim: pd.Series, ev: dict) -> tuple[str, str]:
    why = str(claim["testable_with"]).removeprefix("none: ")
    return "not comparable", f"{UNTESTABLE} ({why}): neither confirmed nor contradicted."


PART_YEAR = (
    'The Ministry\'s figure covers 1 January to mid-October 2009 ("This year", said on 19 '
    'October) and "crimes in the field of trafficking in people", a wider category than '
    "trafficking offences. "
)


def _crimes(claim: pd.Series, ev: dict) -> tuple[str, str]:
    blr, value = ev["belarus"], int(claim["value"])
    if blr.get("offences") is not None:
        lower, upper = blr["offences"]["bounds"]
        same = lower <= 1.05 * value and upper >= 0.95 * value  # within 5%
        verdict = "consistent" if same else "contradicted"
        return verdict, (
            f"{PART_YEAR}GLOTIP records {_text(blr['offences'])} offences for Belarus in "
            f"{claims.YEAR}."
        )
    if blr.get("offences_first") is None:
        start = "it publishes no offences series for Belarus"
    else:
        start = (
            f"its offences series starts in {blr['offences_first_year']} "
            f"({_text(blr['offences_first'])} offences)"
        )
    prosecuted = _text(_needed(ev, "prosecuted", claim))
    convicted = _text(_needed(ev, "convicted", claim))
    text = (
        f"{PART_YEAR}GLOTIP has no offences figure for Belarus in {claims.YEAR}: {start}. "
        f"For {claims.YEAR} it gives {prosecuted} persons prosecuted and "
        f"{convicted} convicted, which count persons, not crimes."
    )
    if ev["press"]:
        p = ev["press"]
        text += (
            f" The Ministry's own 'trafficking-related crimes' total was {p['value']} in "
            f"{p['year']} ({p['note']}), so {value} may also be such an aggregate."
        )
    return "not comparable", text


def _countries(claim: pd.Series, ev: dict) -> tuple[str, str]:
    ctdc, value = ev["ctdc"], int(claim["value"])
    around = ev["glotip_reporters_around_2009"]
    ever = ev["glotip_reporters_all_years"]
    first, last = claims.WINDOW
    per_release = "; ".join(
        f"{releases.CTDC[r.release].label}: {r.sexual_around_2009} in {first}–{last} "
        f"({r.sexual_all_years} over all years)"
        for r in ctdc.itertuples()
    )
    return "not comparable", (
        f"Around {claims.YEAR} ({first}–{last}) the data name few destinations of Belarusian "
        f"victims: {len(around)} countries reported Belarusian victims to GLOTIP (by citizenship "
        "or repatriation), and CTDC names these numbers of foreign countries where Belarusian "
        f"citizens were sexually exploited: {per_release}. Both sources see only the cases some "
        "countries and organisations detected or reported, so their counts are lower bounds, "
        f"and neither counts channels: they can neither confirm nor contradict {value} countries. "
        f"Over all years GLOTIP has {len(ever)} reporting countries; that is context, not "
        "evidence about 2009."
    )


def _victims_total(claim: pd.Series, ev: dict) -> tuple[str, str]:
    ilo, w = ev["ilo"], ev["world"]
    us_tip = ev["us_tip_victims_2009"]
    if us_tip is None:
        raise DataError(
            f"{catalog.table('us_tip').location()}: no victims_identified figure for "
            f"{claims.YEAR}; claim {claim.get('claim_id', claim.name)!r} needs it"
        )
    trafficked = claims.ilo_value(ilo, 2005, "persons trafficked (within forced labour)")
    fcse = claims.ilo_value(ilo, 2005, "persons in forced commercial sexual exploitation")
    text = (
        "The report states the figure in its own words, without a speaker, an area, a period "
        "or a source, so it cannot be tested. For scale: the ILO's 2005 estimate puts persons "
        f"trafficked at {trafficked / 1e6:.2f} million at any time in 1995–2004 and persons in "
        f"forced commercial sexual exploitation at {fcse / 1e6:.1f} million; detected victims "
        f"are far fewer: GLOTIP {claims.YEAR} sums {w['victims_lower']:,}–{w['victims_upper']:,} "
        f"over {w['victims_countries']} countries, the US TIP Report {us_tip:,}. Detections are "
        "not prevalence. With the 98 percent women said with it, the figure is close to the "
        "ILO's 2005 estimate of forced commercial sexual exploitation (which is at least that "
        "many), quoted loosely and for trafficking as a whole."
    )
    return "not comparable", text


def _female_share(claim: pd.Series, ev: dict) -> tuple[str, str]:
    """Judged against the ILO's estimates of prevalence; shares of detected victims are context."""
    ilo, w, value = ev["ilo"], ev["world"], float(claim["value"])
    fcse_2005 = claims.ilo_value(ilo, 2005, "female share of forced commercial sexual exploitation")
    fcse_2012 = claims.ilo_value(ilo, 2012, "female share of forced sexual exploitation")
    fcse_persons = claims.ilo_value(ilo, 2005, "persons in forced commercial sexual exploitation")
    all_2012 = claims.ilo_value(ilo, 2012, "female share of forced labour")
    female, total = _needed(ev, "victims_female", claim), _needed(ev, "victims", claim)
    share = en.ratio_bounds(female["bounds"][:1], female["bounds"][1:], total["bounds"][:1],
                            total["bounds"][1:]) * 100  # fmt: skip
    blr_share = format_bounds(share["lower"], share["upper"].clip(upper=100), 1).iloc[0]
    detected = (
        f" Shares of detected victims are no test, since detections are not prevalence; for "
        f"context, among victims detected in {claims.YEAR} females were "
        f"{w['female_share_lower']:.1f}–{w['female_share_upper']:.1f}% worldwide (GLOTIP, "
        f"{w['female_share_countries']} countries) and {blr_share}% in Belarus ({_text(female)} "
        f"of {_text(total)})."
    )
    if abs(value - fcse_2005) < 0.5 or abs(value - fcse_2012) < 0.5:
        text = (
            f"The report gives no area, period or source. {value:.0f}% is the ILO's share of "
            f"women and girls among victims of forced commercial sexual exploitation "
            f"({fcse_2005:.0f}% in its 2005 estimate, {fcse_2012:.0f}% in 2012), and the pair "
            f'"1 million 250 thousand, 98 percent women" is close to the 2005 estimate of '
            f"that form (at least {fcse_persons / 1e6:.1f} million persons, a little more than "
            "the report says): right for sexual exploitation, not for trafficking as a whole, "
            f"of which the ILO's 2012 share of women and girls in all forced labour is "
            f"{all_2012:.0f}%."
        )
        return "partly consistent", text + detected
    text = (
        f"The report gives no area, period or source. Against the ILO's estimate of prevalence, "
        f"{all_2012:.0f}% women and girls in all forced labour (2012), "
    )
    if abs(value - all_2012) < 0.5:
        return "consistent", text + "it holds." + detected
    return "contradicted", text + f"{value:.0f}% does not hold." + detected


def _definition(claim: pd.Series, ev: dict) -> tuple[str, str]:
    """The 2011 Directive's additions to the Framework Decision, against the UN and CoE texts."""
    added = ev["definition"]
    references = [c for c in added.columns if c not in ("kind", "element", "label")]
    both = added[added[references].all(axis=1)]["label"].tolist()
    neither = added[~added[references].any(axis=1)]["label"].tolist()
    text = (
        "The EU text then in force was Council Framework Decision 2002/629/JHA; the amendments "
        "drafted in 2009 became Directive 2011/36/EU. Against the Framework Decision, the "
        f"Directive adds: {'; '.join(added['label'])}. The UN Protocol and the Council of "
        f"Europe Convention already name {tables.listed(both)}"
    )
    text += f"; neither names {tables.listed(neither, 'or')}." if neither else "."
    if len(both) == len(added):
        return "consistent", text
    if both:
        return "partly consistent", text + (
            " The definition was widened in line with those instruments, and beyond them."
        )
    return "contradicted", text


RULES = {
    "none": _no_data,
    "glotip_crimes": _crimes,
    "destination_countries": _countries,
    "victims_total": _victims_total,
    "female_share": _female_share,
    "definition": _definition,
}


def assess(table: pd.DataFrame, ev: dict) -> pd.DataFrame:
    """The claims table with a verdict and its reason for each claim."""
    verdicts = [RULES[claim["check"]](claim, ev) for _, claim in table.iterrows()]
    out = table.copy()
    out["verdict"] = [v for v, _ in verdicts]
    out["reason"] = [r for _, r in verdicts]
    bad = sorted(set(out["verdict"]) - set(claims.VERDICTS))
    if bad:
        raise ValueError(f"verdicts must be among {claims.VERDICTS}; got {bad}")
    return out


def verdict_counts(checked: pd.DataFrame) -> dict[str, int]:
    """Claims per verdict, in the order of claims.VERDICTS, a verdict no claim got included as 0."""
    counts = checked["verdict"].value_counts().reindex(list(claims.VERDICTS), fill_value=0)
    return {verdict: int(n) for verdict, n in counts.items()}


# --- The tables and findings as a reader sees them -------------------------------------------


def source_of(table: pd.DataFrame) -> str:
    """The report every claim is quoted from, as the claims table names it (one for all)."""
    sources = table["reported_in"].dropna().unique()
    if len(sources) != 1:
        raise DataError(f"{claims.CLAIMS_FILE}: expected one reported_in for every claim, got "
                        f"{sorted(sources)}")  # fmt: skip
    return str(sources[0])


def quote_check(table: pd.DataFrame, text: str) -> str:
    """One line saying that every quote is in the report; a missing one stops the report."""
    missing = claims.unquoted(table, text)
    if missing:
        named = table.set_index("claim_id").loc[missing, "figure"]
        listed = "; ".join(f"{key} ({figure})" for key, figure in named.items())
        raise DataError(
            f"{claims.CLAIMS_FILE}: the quote of {len(missing)} claim(s) is not found word for "
            f"word in the registered text of the report ({source_of(table)}): {listed}"
        )
    return (
        f"Every quote below ({len(table)} claims) was checked in this run and is found word for "
        f"word in the text of the report: {source_of(table)}."
    )


def glotip_view(glotip: pd.DataFrame, country: str = claims.COUNTRY, years=(2007, 2011)):
    """The country's published totals of persons and offences, one row per year with one."""
    totals = en.country_totals(glotip)
    crimes = claims.offences(glotip, country).assign(indicator="offences")
    both = pd.concat([totals[totals["iso3"] == country], crimes], ignore_index=True)
    keys = [*en.INDICATORS, "offences"]
    span = range(years[0], years[1] + 1)
    table = bounds_table(both, "indicator", span, keys, labels=en.LABELS)
    table = table.replace("", tables.MISSING).set_axis(table.index.astype(str))
    name = countries.name(pd.Series([country], dtype="string")).iloc[0]
    note = "1–4: a figure UNODC published as fewer than 5; –: none published."
    return tables.Table(table, caption=f"{name} in GLOTIP, {years[0]}–{years[1]}", index=True,
                        note=note)  # fmt: skip


def findings_text(checked: pd.DataFrame, listed: int = 3) -> str:
    """The verdicts in short: how many of each, and per verdict its claims (named up to
    `listed`; beyond, those no data here count and those the data count otherwise)."""
    counts = verdict_counts(checked)
    head = ", ".join(f"**{n}** {v}" for v, n in counts.items() if n)
    lines = [f"- Of {len(checked)} claims quoted in 2009: {head}."]
    for verdict in [v for v, n in counts.items() if n]:
        part = checked[checked["verdict"] == verdict]
        if len(part) <= listed:
            lines.append(f"- {verdict.capitalize()}: {'; '.join(part['figure'])}.")
            continue
        untestable = part["reason"].str.startswith(UNTESTABLE)
        other = part.loc[~untestable, "figure"].tolist()
        text = f"- {verdict.capitalize()}: {int(untestable.sum())} claims that no data here count"
        if other:
            text += f", and {len(other)} that the data count in another way: {'; '.join(other)}"
        lines.append(text + ".")
    lines.append("- Each claim's reason is in the verdicts table below.")
    return "\n".join(lines)
