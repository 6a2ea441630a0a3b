"""The figures quoted in the 2009 report that started the project, checked against the data here.

Each claim (mappings/claims_2009.csv) names a `check`: the evidence this module computes for it
from the processed tables (CTDC, GLOTIP, US TIP, Belarus press figures) and the ILO estimates
recorded in definitions/NOTES.md (mappings/ilo_estimates.csv). A verdict is one of VERDICTS and
its reason is written from the evidence numbers, so a reviewer can recompute every one of them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis import catalog, victims
from analysis import enforcement as en
from analysis.data.errors import DataError

MAPPINGS = Path(__file__).resolve().parent / "mappings"
CLAIMS_FILE = MAPPINGS / "claims_2009.csv"
ILO_FILE = MAPPINGS / "ilo_estimates.csv"
VERDICTS = ("consistent", "partly consistent", "not comparable", "contradicted")
CLAIM_COLUMNS = ["claim_id", "figure", "value", "unit", "reference_period", "source_sentence",
                 "sentence_status", "source_date", "said_by", "reported_in", "testable_with",
                 "check"]  # fmt: skip
CHECKS = ("none", "glotip_crimes", "destination_countries", "victims_total", "female_share")
COUNTRY = "BLR"
YEAR = 2009
WINDOW = (2008, 2010)  # "around 2009" for sparse victim records
SEXUAL_FORMS = ("sexual exploitation", "sexual and labour")
OFFENCES = "Offences of trafficking in persons"


def _read(path: Path, columns: list[str]) -> pd.DataFrame:
    table = pd.read_csv(path, dtype="string", keep_default_na=False, na_values=[""])
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise DataError(f"{path}: columns {missing} are missing")
    return table


def load_claims(path: Path = CLAIMS_FILE) -> pd.DataFrame:
    """The committed claims table, checked: unique ids, numeric values, known checks."""
    table = _read(path, CLAIM_COLUMNS)
    repeated = table["claim_id"][table["claim_id"].duplicated()].tolist()
    if repeated:
        raise DataError(f"{path}: repeated claim_id {repeated}")
    value = pd.to_numeric(table["value"], errors="coerce")
    if value.isna().any():
        rows = [int(i) + 2 for i in table.index[value.isna()]]
        raise DataError(f"{path}: column value is not a number in line(s) {rows}")
    unknown = sorted(set(table["check"]) - set(CHECKS))
    if unknown:
        raise DataError(f"{path}: column check has unknown value(s) {unknown}; known: {CHECKS}")
    empty = table[["source_sentence", "source_date", "said_by"]].isna().any(axis=1)
    if empty.any():
        rows = [int(i) + 2 for i in table.index[empty]]
        raise DataError(f"{path}: source_sentence, source_date or said_by empty in line(s) {rows}")
    return table.assign(value=value.astype("Float64"))


def load_ilo(path: Path = ILO_FILE) -> pd.DataFrame:
    """ILO global estimates (survey-based prevalence, not detections), from NOTES.md 6a."""
    table = _read(path, ["estimate", "published", "measure", "value", "unit", "source_address"])
    return table.assign(value=pd.to_numeric(table["value"]).astype("Float64"))


def ilo_value(ilo: pd.DataFrame, estimate_year: int, measure: str) -> float:
    rows = ilo[(ilo["published"] == str(estimate_year)) & (ilo["measure"] == measure)]
    if len(rows) != 1:
        raise DataError(f"{ILO_FILE}: expected one row for {estimate_year} / {measure!r}")
    return float(rows["value"].iloc[0])


# --- Evidence from the data ---------------------------------------------------------------------


def load_belarus_victims(data_dir: str | Path | None = None) -> pd.DataFrame:
    """CTDC records (all releases) of Belarusian citizens, with forms of exploitation.

    Records without a year are kept: "over all years" counts them (profiles.load_victims
    selects a year range and so leaves them out).
    """
    frame = catalog.read("victims", victims.REQUIRED, victims.REQUIRED, data_dir)
    mine = frame[frame["citizenship"].eq(COUNTRY).fillna(False)].reset_index(drop=True)
    return victims.add_groups(mine)


def ctdc_destinations(records: pd.DataFrame, country: str = COUNTRY) -> pd.DataFrame:
    """Per CTDC release: distinct foreign places of exploitation of the country's citizens,
    for any form and for sexual exploitation, over all years and around 2009 (WINDOW)."""
    foreign = records[
        (records["citizenship"] == country)
        & records["exploitation_country"].notna()
        & (records["exploitation_country"] != country)
    ]
    sexual = foreign["form"].isin(SEXUAL_FORMS).fillna(False)
    around = foreign["year"].between(*WINDOW).fillna(False)
    rows = []
    for release in victims.RELEASES:
        mine = foreign["release"] == release
        rows.append({
            "release": release,
            "any_form_all_years": foreign.loc[mine, "exploitation_country"].nunique(),
            "sexual_all_years": foreign.loc[mine & sexual, "exploitation_country"].nunique(),
            "sexual_around_2009": foreign.loc[mine & sexual & around,
                                              "exploitation_country"].nunique(),
            "countries_sexual": sorted(foreign.loc[mine & sexual, "exploitation_country"].unique()),
        })  # fmt: skip
    return pd.DataFrame(rows)


def glotip_reporters(glotip: pd.DataFrame, country: str = COUNTRY, years=WINDOW) -> list[str]:
    """Countries that reported to GLOTIP victims with the country's citizenship (or repatriated
    to or from it) in `years`."""
    rows = glotip[
        (glotip["indicator"] == en.INDICATORS["victims"])
        & glotip["dimension"].isin(["by citizenship", "by country of repatriation"])
        & (glotip["category_iso3"] == country)
        & (glotip["iso3"] != country)
        & glotip["year"].between(*years)
    ]
    return sorted(rows["iso3"].unique())


def _figure(value, lower, upper) -> dict:
    exact = None if pd.isna(value) else int(value)
    return {"value": exact, "bounds": [int(lower), int(upper)]}


def offences(glotip: pd.DataFrame, country: str = COUNTRY) -> pd.DataFrame:
    """The country's published offences totals (all sexes and ages), one row per year."""
    en.vintage_of(glotip)
    rows = glotip[
        (glotip["iso3"] == country)
        & (glotip["indicator"] == OFFENCES)
        & (glotip["dimension"] == "Total")
        & (glotip["sex"] == "Total")
        & (glotip["age"] == "Total")
    ]
    columns = ["iso3", "year", "value", "lower", "upper", "is_suppressed"]
    return rows[columns].sort_values("year", ignore_index=True)


def glotip_series(glotip: pd.DataFrame, country: str = COUNTRY, years=(2007, 2011)) -> pd.DataFrame:
    """The country's published totals per year as text: persons (victims, prosecuted,
    convicted) and offences, a range where a `<5` cell stands, '' where nothing is published."""
    totals = en.country_totals(glotip)
    persons = totals[totals["iso3"] == country]
    crimes = offences(glotip, country).assign(indicator="offences")
    both = pd.concat([persons, crimes], ignore_index=True)
    keys = [*en.INDICATORS, "offences"]
    return en.bounds_table(both, "indicator", range(years[0], years[1] + 1), keys,
                           labels=en.LABELS)  # fmt: skip


def glotip_country_year(glotip: pd.DataFrame, country: str = COUNTRY, year: int = YEAR) -> dict:
    """The country's published totals for one year (sex Total and Female), and where its
    offences series starts. Each figure is its exact value (None for a `<5` cell) and bounds."""
    totals = en.country_totals(glotip, sexes=("Total", "Female"))
    mine = totals[(totals["iso3"] == country) & (totals["year"] == year)]
    out: dict = {"vintage": en.vintage_of(glotip), "iso3": country, "year": year}
    for row in mine.itertuples():
        key = row.indicator if row.sex == "Total" else f"{row.indicator}_female"
        out[key] = _figure(row.value, row.lower, row.upper)
    series = offences(glotip, country)
    same_year = series[series["year"] == year]
    out["offences"] = (
        _figure(*same_year[["value", "lower", "upper"]].iloc[0]) if len(same_year) else None
    )
    if len(series):
        first = series.iloc[0]
        out["offences_first_year"] = int(first["year"])
        out["offences_first"] = _figure(first["value"], first["lower"], first["upper"])
    return out


def glotip_world(glotip: pd.DataFrame, year: int = YEAR) -> dict:
    """World sums of detected victims (bounds, countries) and their female share (percent)."""
    totals = en.country_totals(glotip, ["victims"], sexes=("Total", "Female"))
    totals = totals[totals["year"] == year]
    if not (totals["sex"] == "Total").any():
        raise DataError(
            f"{catalog.table('glotip').location()} (vintage {en.vintage_of(glotip)}): no "
            f"country publishes a total of {en.INDICATORS['victims']!r} for {year}"
        )
    sums = en.sum_bounds(totals[totals["sex"] == "Total"], ["indicator"]).iloc[0]
    share = en.female_share(totals).iloc[0]
    return {
        "victims_lower": int(sums["lower"]), "victims_upper": int(sums["upper"]),
        "victims_countries": int(sums["n_countries"]),
        "female_share_lower": round(float(share["lower"]), 1),
        "female_share_upper": round(float(share["upper"]), 1),
        "female_share_countries": int(share["n_countries"]),
    }  # fmt: skip


def press_aggregate(press: pd.DataFrame) -> dict | None:
    """The Interior Ministry's 'trafficking-related crimes' press figure, as the closest in kind."""
    rows = press[press["indicator"] == "trafficking_related_crimes_registered"]
    rows = rows[rows["period"] == "full year"].sort_values("year_start")
    if rows.empty:
        return None
    row = rows.iloc[0]
    return {"year": int(row["year_start"]), "value": int(row["value"]), "note": str(row["note"])}


def evidence(
    glotip: pd.DataFrame,
    records: pd.DataFrame,
    us_tip: pd.DataFrame,
    press: pd.DataFrame,
    ilo: pd.DataFrame,
) -> dict:
    """Every number the verdicts use, computed from the tables given."""
    tip = us_tip.loc[us_tip["year"] == YEAR, "victims_identified"].dropna()
    return {
        "belarus": glotip_country_year(glotip),
        "world": glotip_world(glotip),
        "ctdc": ctdc_destinations(records),
        "glotip_reporters_around_2009": glotip_reporters(glotip),
        "glotip_reporters_all_years": glotip_reporters(glotip, years=(1900, 2100)),
        "us_tip_victims_2009": int(tip.iloc[0]) if len(tip) else None,
        "press": press_aggregate(press),
        "ilo": ilo,
    }


# --- Verdicts -----------------------------------------------------------------------------------


def _text(figure: dict, decimals: int = 0) -> str:
    """A figure as published: exact, or the range its `<5` cells leave."""
    lower, upper = figure["bounds"]
    return str(en.format_bounds([lower], [upper], decimals).iloc[0])


def _needed(ev: dict, key: str, claim: pd.Series) -> dict:
    """A Belarus GLOTIP figure a reason is written from; a missing one names what is missing."""
    blr = ev["belarus"]
    if blr.get(key) is None:
        indicator, _, female = key.partition("_")
        name = OFFENCES if indicator == "offences" else en.INDICATORS[indicator]
        raise DataError(
            f"{catalog.table('glotip').location()} (vintage {blr.get('vintage')}): no "
            f"published total of {name!r} (sex {'Female' if female else 'Total'}) for "
            f"{blr.get('iso3', COUNTRY)} in {blr.get('year', YEAR)}; claim "
            f"{claim.get('claim_id', claim.name)!r} needs it"
        )
    return blr[key]


def _no_data(claim: pd.Series, ev: dict) -> tuple[str, str]:
    why = str(claim["testable_with"]).removeprefix("none: ")
    return (
        "not comparable",
        f"Not testable with the data here ({why}): neither confirmed nor contradicted.",
    )


def _crimes(claim: pd.Series, ev: dict) -> tuple[str, str]:
    blr, value = ev["belarus"], int(claim["value"])
    if blr.get("offences") is not None:
        lower, upper = blr["offences"]["bounds"]
        same = lower <= 1.05 * value and upper >= 0.95 * value  # within 5%
        verdict = "consistent" if same else "contradicted"
        return verdict, f"GLOTIP records {_text(blr['offences'])} offences for Belarus in {YEAR}."
    if blr.get("offences_first") is None:
        start = "it publishes no offences series for Belarus"
    else:
        start = (
            f"its offences series starts in {blr['offences_first_year']} "
            f"({_text(blr['offences_first'])} offences)"
        )
    text = (
        f"GLOTIP has no offences figure for Belarus in {YEAR}: {start}. "
        f"For {YEAR} it gives {_text(_needed(ev, 'prosecuted', claim))} persons prosecuted and "
        f"{_text(_needed(ev, 'convicted', claim))} convicted, which count persons, not crimes."
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
    best_all = int(ctdc["sexual_all_years"].max())
    best_2009 = int(ctdc["sexual_around_2009"].max())
    per_release = "; ".join(
        f"{r.release}: {r.sexual_all_years} (of {r.any_form_all_years} for any form), "
        f"{r.sexual_around_2009} in {WINDOW[0]}–{WINDOW[1]}"
        for r in ctdc.itertuples()
    )
    text = (
        f"CTDC names these numbers of foreign countries where Belarusian citizens were sexually "
        f"exploited, per release: {per_release}. In GLOTIP, {len(around)} other countries "
        f"reported Belarusian victims (by citizenship or repatriation) in {WINDOW[0]}–{WINDOW[1]}"
        f" and {len(ever)} in any year. Both sources cover only some destinations and neither "
        "counts channels."
    )
    if best_2009 >= value:
        return "consistent", text
    if best_all >= value or len(ever) >= value:
        return "partly consistent", text + (
            f" Over all years the data name at least {value} destination countries, but not "
            f"around {YEAR}."
        )
    return "not comparable", text


def _victims_total(claim: pd.Series, ev: dict) -> tuple[str, str]:
    ilo, w, value = ev["ilo"], ev["world"], float(claim["value"])
    us_tip = ev["us_tip_victims_2009"]
    if us_tip is None:
        raise DataError(
            f"{catalog.table('us_tip').location()}: no victims_identified figure for {YEAR}; "
            f"claim {claim.get('claim_id', claim.name)!r} needs it"
        )
    trafficked = ilo_value(ilo, 2005, "persons trafficked (within forced labour)")
    fcse = ilo_value(ilo, 2005, "persons in forced commercial sexual exploitation")
    text = (
        f"The claim gives no area or period. The ILO 2005 global estimate puts persons trafficked "
        f"at {trafficked / 1e6:.2f} million at any time in 1995–2004 ({value / 1e6:.2f} million "
        f"is {value / trafficked:.0%} of that) and persons in forced commercial sexual "
        f"exploitation at {fcse / 1e6:.1f} million. Detected victims are far fewer: GLOTIP "
        f"{YEAR} sums "
        f"{w['victims_lower']:,}–{w['victims_upper']:,} over {w['victims_countries']} countries, "
        f"the US TIP Report {us_tip:,}. Detections are not prevalence, and the "
        "estimate behind 1.25 million is not named."
    )
    return "not comparable", text


def _female_share(claim: pd.Series, ev: dict) -> tuple[str, str]:
    ilo, w, value = ev["ilo"], ev["world"], float(claim["value"])
    fcse_2005 = ilo_value(ilo, 2005, "female share of forced commercial sexual exploitation")
    fcse_2012 = ilo_value(ilo, 2012, "female share of forced sexual exploitation")
    all_2012 = ilo_value(ilo, 2012, "female share of forced labour")
    female, total = _needed(ev, "victims_female", claim), _needed(ev, "victims", claim)
    share = en.ratio_bounds(female["bounds"][:1], female["bounds"][1:], total["bounds"][:1],
                            total["bounds"][1:]) * 100  # fmt: skip
    blr_share = en.format_bounds(share["lower"], share["upper"].clip(upper=100), 1).iloc[0]
    text = (
        f"{value:.0f}% is the ILO's share of women and girls among victims of forced commercial "
        f"sexual exploitation ({fcse_2005:.0f}% in 2005, {fcse_2012:.0f}% in 2012), not among all "
        f"victims: the ILO 2012 share for all forced labour is {all_2012:.0f}%. Among victims "
        f"detected in {YEAR}, females were {w['female_share_lower']:.1f}–"
        f"{w['female_share_upper']:.1f}% worldwide (GLOTIP, {w['female_share_countries']} "
        f"countries) and {blr_share}% in Belarus ({_text(female)} of {_text(total)})."
    )
    matches_fcse = abs(value - fcse_2005) < 0.5 or abs(value - fcse_2012) < 0.5
    if w["female_share_lower"] <= value <= w["female_share_upper"]:
        return "consistent", text
    if matches_fcse:
        return "partly consistent", text + (
            " The figure is right for sexual exploitation, not for trafficking as a whole."
        )
    return "contradicted", text


RULES = {
    "none": _no_data,
    "glotip_crimes": _crimes,
    "destination_countries": _countries,
    "victims_total": _victims_total,
    "female_share": _female_share,
}


def assess(claims: pd.DataFrame, ev: dict) -> pd.DataFrame:
    """The claims table with a verdict and its reason for each claim."""
    verdicts = [RULES[claim["check"]](claim, ev) for _, claim in claims.iterrows()]
    out = claims.copy()
    out["verdict"] = [v for v, _ in verdicts]
    out["reason"] = [r for _, r in verdicts]
    bad = sorted(set(out["verdict"]) - set(VERDICTS))
    if bad:
        raise ValueError(f"verdicts must be among {VERDICTS}; got {bad}")
    return out


def verdict_counts(checked: pd.DataFrame) -> dict[str, int]:
    """Claims per verdict, in the order of VERDICTS, a verdict no claim got included as 0."""
    counts = checked["verdict"].value_counts().reindex(list(VERDICTS), fill_value=0)
    return {verdict: int(n) for verdict, n in counts.items()}
