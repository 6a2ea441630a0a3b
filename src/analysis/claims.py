"""The figures quoted in the 2009 report that started the project, checked against the data here.

Each claim (mappings/claims_2009.csv) names a `check`: the evidence this module computes for it
from the processed tables (CTDC, GLOTIP, US TIP, Belarus press figures) and the ILO estimates
recorded in definitions/NOTES.md (mappings/ilo_estimates.csv). A verdict is one of VERDICTS and
its reason is written from the evidence numbers, so a reviewer can recompute every one of them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis import enforcement as en
from analysis import paths, victims
from analysis.sources import DataError

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
    """CTDC records (all releases) of Belarusian citizens, with forms of exploitation."""
    path = Path(data_dir or paths.processed_dir()) / "victims.parquet"
    if not path.is_file():
        raise DataError(f"{path} is missing: run the cleaning notebooks (python -m analysis run)")
    frame = pd.read_parquet(
        path, columns=victims.REQUIRED, filters=[("citizenship", "==", COUNTRY)]
    )
    return victims.add_groups(frame)


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


def glotip_country_year(glotip: pd.DataFrame, country: str = COUNTRY, year: int = YEAR) -> dict:
    """The country's published totals for one year (sex Total and Female), and where its
    offences series starts."""
    totals = en.country_totals(glotip, sexes=("Total", "Female"))
    mine = totals[totals["iso3"] == country]
    out: dict = {}
    for row in mine[mine["year"] == year].itertuples():
        key = row.indicator if row.sex == "Total" else f"{row.indicator}_female"
        out[key] = None if pd.isna(row.value) else int(row.value)
    offences = glotip[
        (glotip["iso3"] == country)
        & (glotip["indicator"] == "Offences of trafficking in persons")
        & (glotip["dimension"] == "Total")
        & (glotip["sex"] == "Total")
        & (glotip["age"] == "Total")
    ].sort_values("year")
    same_year = offences[offences["year"] == year]
    out["offences"] = int(same_year["value"].iloc[0]) if len(same_year) else None
    if len(offences):
        out["offences_first_year"] = int(offences["year"].iloc[0])
        out["offences_first_value"] = int(offences["value"].iloc[0])
    return out


def glotip_world(glotip: pd.DataFrame, year: int = YEAR) -> dict:
    """World sums of detected victims (bounds, countries) and their female share (percent)."""
    totals = en.country_totals(glotip, ["victims"], sexes=("Total", "Female"))
    totals = totals[totals["year"] == year]
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
    tip = us_tip[us_tip["year"] == YEAR]
    return {
        "belarus": glotip_country_year(glotip),
        "world": glotip_world(glotip),
        "ctdc": ctdc_destinations(records),
        "glotip_reporters_around_2009": glotip_reporters(glotip),
        "glotip_reporters_all_years": glotip_reporters(glotip, years=(1900, 2100)),
        "us_tip_victims_2009": int(tip["victims_identified"].iloc[0]) if len(tip) else None,
        "press": press_aggregate(press),
        "ilo": ilo,
    }


# --- Verdicts -----------------------------------------------------------------------------------


def _no_data(claim: pd.Series, ev: dict) -> tuple[str, str]:
    why = str(claim["testable_with"]).removeprefix("none: ")
    return (
        "not comparable",
        f"Not testable with the data here ({why}): neither confirmed nor contradicted.",
    )


def _crimes(claim: pd.Series, ev: dict) -> tuple[str, str]:
    blr, value = ev["belarus"], int(claim["value"])
    if blr.get("offences") is not None:
        same = abs(blr["offences"] - value) <= 0.05 * value
        verdict = "consistent" if same else "contradicted"
        return verdict, f"GLOTIP records {blr['offences']} offences for Belarus in {YEAR}."
    text = (
        f"GLOTIP has no offences figure for Belarus in {YEAR}: its offences series starts in "
        f"{blr.get('offences_first_year')} ({blr.get('offences_first_value')} offences). "
        f"For {YEAR} it gives {blr.get('prosecuted')} persons prosecuted and "
        f"{blr.get('convicted')} convicted, which count persons, not crimes."
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
    trafficked = ilo_value(ilo, 2005, "persons trafficked (within forced labour)")
    fcse = ilo_value(ilo, 2005, "persons in forced commercial sexual exploitation")
    text = (
        f"The claim gives no area or period. The ILO 2005 global estimate puts persons trafficked "
        f"at {trafficked / 1e6:.2f} million at any time in 1995–2004 ({value / 1e6:.2f} million "
        f"is {value / trafficked:.0%} of that) and persons in forced commercial sexual "
        f"exploitation at {fcse / 1e6:.1f} million. Detected victims are far fewer: GLOTIP "
        f"{YEAR} sums "
        f"{w['victims_lower']:,}–{w['victims_upper']:,} over {w['victims_countries']} countries, "
        f"the US TIP Report {ev['us_tip_victims_2009']:,}. Detections are not prevalence, and the "
        "estimate behind 1.25 million is not named."
    )
    return "not comparable", text


def _female_share(claim: pd.Series, ev: dict) -> tuple[str, str]:
    ilo, w, blr, value = ev["ilo"], ev["world"], ev["belarus"], float(claim["value"])
    fcse_2005 = ilo_value(ilo, 2005, "female share of forced commercial sexual exploitation")
    fcse_2012 = ilo_value(ilo, 2012, "female share of forced sexual exploitation")
    all_2012 = ilo_value(ilo, 2012, "female share of forced labour")
    blr_share = 100 * blr["victims_female"] / blr["victims"]
    text = (
        f"{value:.0f}% is the ILO's share of women and girls among victims of forced commercial "
        f"sexual exploitation ({fcse_2005:.0f}% in 2005, {fcse_2012:.0f}% in 2012), not among all "
        f"victims: the ILO 2012 share for all forced labour is {all_2012:.0f}%. Among victims "
        f"detected in {YEAR}, females were {w['female_share_lower']:.1f}–"
        f"{w['female_share_upper']:.1f}% worldwide (GLOTIP, {w['female_share_countries']} "
        f"countries) and {blr_share:.1f}% in Belarus ({blr['victims_female']} of "
        f"{blr['victims']})."
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
