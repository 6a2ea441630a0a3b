"""The claims of the 2009 report that started the project, and the evidence for each.

Each claim (mappings/claims_2009.csv) quotes the registered report word for word and names a
`check`: the evidence computed here from the processed tables and the ILO estimates
(mappings/ilo_estimates.csv), from which its verdict's reason is written.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis import catalog, victims
from analysis import enforcement as en
from analysis.clean.glotip import COUNTRY_DIMENSIONS
from analysis.data.errors import DataError
from analysis.definitions import instruments

MAPPINGS = Path(__file__).resolve().parent / "mappings"
CLAIMS_FILE = MAPPINGS / "claims_2009.csv"
ILO_FILE = MAPPINGS / "ilo_estimates.csv"
VERDICTS = ("consistent", "partly consistent", "not comparable", "contradicted")
CLAIM_COLUMNS = ["claim_id", "figure", "value", "unit", "reference_period", "source_sentence",
                 "sentence_status", "source_date", "said_by", "reported_in", "testable_with",
                 "check"]  # fmt: skip
CHECKS = ("none", "glotip_crimes", "destination_countries", "victims_total", "female_share",
          "definition")  # fmt: skip
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
    bad = value.isna() & table["value"].notna()  # empty: a claim without a figure
    if bad.any():
        rows = [int(i) + 2 for i in table.index[bad]]
        raise DataError(f"{path}: column value is not a number in line(s) {rows}")
    unknown = sorted(set(table["check"]) - set(CHECKS))
    if unknown:
        raise DataError(f"{path}: column check has unknown value(s) {unknown}; known: {CHECKS}")
    empty = table[["source_sentence", "source_date", "said_by"]].isna().any(axis=1)
    if empty.any():
        rows = [int(i) + 2 for i in table.index[empty]]
        raise DataError(f"{path}: source_sentence, source_date or said_by empty in line(s) {rows}")
    return table.assign(value=value.astype("Float64"))


def _spaced(text: str) -> str:
    return " ".join(text.split())  # the report has no-break spaces inside some sentences


def unquoted(table: pd.DataFrame, text: str) -> list[str]:
    """The claims whose quote (`source_sentence`) the report does not contain word for word
    (white space aside)."""
    whole = _spaced(text)
    return [row.claim_id for row in table.itertuples() if _spaced(row.source_sentence) not in whole]


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


def load_belarus_victims() -> pd.DataFrame:
    """CTDC records (all releases) of Belarusian citizens, with forms of exploitation; records
    without a year are kept, since "over all years" counts them."""
    frame = catalog.read("victims", victims.REQUIRED, victims.REQUIRED)
    mine = frame[frame["citizenship"].eq(COUNTRY).fillna(False)].reset_index(drop=True)
    return victims.add_groups(mine)


def ctdc_destinations(records: pd.DataFrame) -> pd.DataFrame:
    """Per CTDC release: distinct foreign places of exploitation of Belarusian citizens,
    for any form and for sexual exploitation, over all years and around 2009 (WINDOW)."""
    foreign = records[
        (records["citizenship"] == COUNTRY)
        & records["exploitation_country"].notna()
        & (records["exploitation_country"] != COUNTRY)
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


def glotip_reporters(
    glotip: pd.DataFrame, country: str = COUNTRY, years=WINDOW, dimensions=COUNTRY_DIMENSIONS
) -> list[str]:
    """Countries that reported to GLOTIP victims of the country's citizenship or repatriation."""
    rows = glotip[
        (glotip["indicator"] == en.INDICATORS["victims"])
        & glotip["dimension"].isin(dimensions)
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


def glotip_country_year(glotip: pd.DataFrame) -> dict:
    """Belarus' published totals in 2009 (sex Total and Female), and where its
    offences series starts. Each figure is its exact value (None for a `<5` cell) and bounds."""
    totals = en.country_totals(glotip, sexes=("Total", "Female"))
    mine = totals[(totals["iso3"] == COUNTRY) & (totals["year"] == YEAR)]
    out: dict = {"vintage": en.vintage_of(glotip), "iso3": COUNTRY, "year": YEAR}
    for row in mine.itertuples():
        key = row.indicator if row.sex == "Total" else f"{row.indicator}_female"
        out[key] = _figure(row.value, row.lower, row.upper)
    series = offences(glotip, COUNTRY)
    same_year = series[series["year"] == YEAR]
    out["offences"] = (
        _figure(*same_year[["value", "lower", "upper"]].iloc[0]) if len(same_year) else None
    )
    if len(series):
        first = series.iloc[0]
        out["offences_first_year"] = int(first["year"])
        out["offences_first"] = _figure(first["value"], first["lower"], first["upper"])
    return out


def glotip_world(glotip: pd.DataFrame) -> dict:
    """World sums of detected victims (bounds, countries) and their female share (percent)."""
    totals = en.country_totals(glotip, ["victims"], sexes=("Total", "Female"))
    totals = totals[totals["year"] == YEAR]
    if not (totals["sex"] == "Total").any():
        raise DataError(
            f"{catalog.table('glotip').location()} (vintage {en.vintage_of(glotip)}): no "
            f"country publishes a total of {en.INDICATORS['victims']!r} for {YEAR}"
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
        "glotip_citizenship_all_years": glotip_reporters(
            glotip, years=(1900, 2100), dimensions=["by citizenship"]
        ),
        "us_tip_victims_2009": int(tip.iloc[0]) if len(tip) else None,
        "press": press_aggregate(press),
        "ilo": ilo,
        "definition": instruments.widening(
            instruments.FRAMEWORK_2002, instruments.EU_2011,
            (instruments.PALERMO_2000, instruments.COE_2005),
        ),
    }  # fmt: skip
