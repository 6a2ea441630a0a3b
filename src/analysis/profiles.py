"""Country profiles: exact counts of where a country's citizens were exploited, who was exploited
in it, and its GLOTIP series against its region (what a report may show: `profile_views`).

CTDC releases overlap (the same cases appear in several): every count is per release, never
added across releases. A place equal to the country is domestic; an unknown place stays a row.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from analysis import catalog, victims
from analysis import enforcement as en
from analysis.data import countries, releases
from analysis.data import population as wpp
from analysis.schemas.victims import GENDERS

ROLES = {  # role: (the column that selects the country, the column that names the other place)
    "destinations": ("citizenship", "exploitation_country"),
    "origins": ("exploitation_country", "citizenship"),
}
UNKNOWN = "unknown"
NO_TOTAL = "no total for its country and year"  # a GLOTIP row's `check` (clean.glotip)
OTHER_FOREIGN = "other foreign"  # the foreign places outside the ones a profile names


# --- Which countries, and their records ------------------------------------------------------


def known_codes() -> set[str]:
    return set(countries.converter().data["ISO3"].dropna())


def countries_with_data(data_dir: str | Path | None = None) -> list[str]:
    """Sorted ISO3 codes of every country in any CTDC record or GLOTIP row (in either role)."""
    ctdc = catalog.read("victims", columns=list(ROLES["destinations"]), folder=data_dir)
    glotip = catalog.read("glotip", columns=["iso3", "category_iso3"], folder=data_dir)
    codes = pd.concat([ctdc[c] for c in ctdc.columns] + [glotip[c] for c in glotip.columns])
    return sorted(set(codes.dropna().astype(str)) & known_codes())


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
    """CTDC records (all releases) of citizens of `iso3` or exploited in it, in `years`."""
    first, last = int(years[0]), int(years[-1])
    if first > last:
        raise ValueError(f"the year range is empty: {first} > {last}")
    frame = catalog.read("victims", victims.REQUIRED, victims.REQUIRED, data_dir)
    mine = frame["citizenship"].eq(iso3) | frame["exploitation_country"].eq(iso3)
    frame = frame[(mine & frame["year"].between(first, last)).fillna(False)]
    return victims.add_groups(frame.reset_index(drop=True))


# --- Places: destinations of the country's citizens, origins of those exploited in it -----------


def _rows(frame: pd.DataFrame, iso3: str, role: str) -> pd.DataFrame:
    """The records of `iso3` in `role`, with the other place (or 'unknown') in `place`."""
    select, place = ROLES[role]
    rows = frame[frame[select].eq(iso3).fillna(False)]
    return rows.assign(place=rows[place].astype("string").fillna(UNKNOWN))


def place_counts(frame: pd.DataFrame, iso3: str, role: str) -> pd.DataFrame:
    """Records per release and place (ISO3, or 'unknown'); `role` 'destinations' or 'origins'."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {list(ROLES)}, got {role!r}")
    out = _rows(frame, iso3, role).groupby(["release", "place"]).size().rename("records")
    return out.reset_index().astype({"release": "string", "place": "string", "records": "int64"})


def foreign_places(counts: pd.DataFrame, release: str, iso3: str) -> pd.Series:
    """One release's records per foreign place (`place_counts` without domestic and unknown)."""
    rows = counts[(counts["release"] == release) & ~counts["place"].isin([iso3, UNKNOWN])]
    return rows.set_index("place")["records"]


def _bucketed(frame: pd.DataFrame, iso3: str, release: str, role: str, keep: list[str]):
    """One release's `_rows`, `bucket` 'other foreign' for a foreign place not among `keep`."""
    rows = _rows(frame[frame["release"] == release], iso3, role)
    special = rows["place"].isin([*keep, iso3, UNKNOWN])
    return rows.assign(bucket=rows["place"].where(special, OTHER_FOREIGN).astype("string"))


def over_time(
    frame: pd.DataFrame, iso3: str, release: str, role: str, keep: list[str]
) -> pd.DataFrame:
    """Records per year (rows) and place (columns: `keep`, other foreign, domestic, unknown)."""
    table = _bucketed(frame, iso3, release, role, keep).groupby(["year", "bucket"]).size()
    table = table.unstack(fill_value=0)
    order = [*keep, OTHER_FOREIGN, iso3, UNKNOWN]
    table = table.reindex(columns=[c for c in order if c in table.columns])
    return table.rename_axis(index="year", columns="place")


def by_group(
    frame: pd.DataFrame, iso3: str, release: str, role: str, keep: list[str], column: str
) -> pd.DataFrame:
    """Records per place (rows) and gender or form of exploitation (columns, unknown kept)."""
    orders = {"gender": GENDERS, "form": [*victims.FORMS, UNKNOWN], "age_group": victims.AGE_GROUPS}
    if column not in orders:
        raise ValueError(f"column must be gender, form or age_group, got {column!r}")
    rows = _bucketed(frame, iso3, release, role, keep)
    rows = rows.assign(**{column: rows[column].astype("string").fillna(UNKNOWN)})
    table = rows.groupby(["bucket", column]).size().unstack(fill_value=0)
    table = table.reindex(columns=[c for c in orders[column] if c in table.columns])
    places = [*keep, OTHER_FOREIGN, iso3, UNKNOWN]
    table = table.reindex([p for p in places if p in table.index])
    return table.rename_axis(index="place", columns=column)


# --- What a figure cannot show: one programme's caseload, a crisis year --------------------------

CONTEXT_FILE = Path(__file__).resolve().parent / "mappings" / "caseload_context.csv"
CONTEXT_ROLES = ("destinations", "origins", "glotip")
CONTEXT_COLUMNS = ["iso3", "role", "place", "first_year", "last_year", "short", "note", "source",
                   "source_address"]  # fmt: skip


def _context_schema():
    import pandera.pandas as pa

    text = pa.Column("string", pa.Check.str_length(min_value=1))
    return pa.DataFrameSchema(
        {
            "iso3": pa.Column("string", pa.Check.isin(sorted(known_codes()))),
            "role": pa.Column("string", pa.Check.isin(CONTEXT_ROLES)),
            "place": pa.Column("string", nullable=True),
            "first_year": pa.Column("Int64", pa.Check.in_range(2000, 2030)),
            "last_year": pa.Column("Int64", pa.Check.in_range(2000, 2030)),
            "short": text,
            "note": text,
            "source": text,
            "source_address": pa.Column("string", pa.Check.str_startswith("https://")),
        },
        checks=pa.Check(lambda f: f["first_year"] <= f["last_year"], error="first > last year"),
        strict=True,
        ordered=True,
    )


def context_notes(path: Path = CONTEXT_FILE) -> pd.DataFrame:
    """The cited notes on figures that are one programme's caseload or fall in a crisis year,
    validated: a bad row is a DataError naming the file, column and row."""
    table = pd.read_csv(path, dtype="string", keep_default_na=False, na_values=[""])
    for column in ("first_year", "last_year"):
        table[column] = pd.to_numeric(table[column], errors="coerce").astype("Int64")
    return catalog.check(_context_schema(), table, str(path))


def context_for(notes: pd.DataFrame, iso3: str, role: str, years: Sequence[int]) -> pd.DataFrame:
    """The notes on one country's figures of one role whose years meet `years` (first, last)."""
    first, last = int(years[0]), int(years[-1])
    rows = notes[(notes["iso3"] == iso3) & (notes["role"] == role)]
    return rows[(rows["first_year"] <= last) & (rows["last_year"] >= first)]


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
    """Per indicator and year: the country's published total and rate per 100,000, and those of
    the other reporting countries of its UN sub-region pooled (`<5` cells as bounds). A member
    without a WPP population stays in the sums but not in the rate (`no_population`)."""
    first, last = int(years[0]), int(years[-1])
    totals = en.country_totals(glotip, en.indicator_keys(indicators))
    totals = totals[totals["year"].between(first, last)]
    totals = totals.assign(population=wpp.lookup(population, totals["iso3"], totals["year"]))
    region = region_of(iso3)
    own = totals[totals["iso3"] == iso3].assign(n_countries=1)
    own = en.add_rates(own.astype({"value": "Int64"}))
    parts = [own.assign(scope="country", no_population="")]
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
            parts.append(pooled.assign(scope=f"rest of {region}", check=pd.NA))
    columns = ["scope", "indicator", "year", "value", "lower", "upper", "population", "rate",
               "rate_lower", "rate_upper", "n_countries", "no_population", "check"]  # fmt: skip
    out = pd.concat([p[columns] for p in parts], ignore_index=True)
    return out.sort_values(["indicator", "scope", "year"], ignore_index=True)


# A later export that moves a published total by at least this factor and this many persons
# revised it (UKR 2020: 1,680 detected victims in the 2023 export, 219 in the 2025 one).
REVISED_FACTOR, REVISED_BY = 2, 20


def revised_totals(iso3: str, years: Sequence[int], vintage: str) -> pd.DataFrame:
    """The country's exact totals (all sexes) in `years` that the latest GLOTIP export revised,
    as published in `vintage` (`before`) and in the latest (`after`); none for the latest."""
    latest = max(releases.GLOTIP)
    columns = ["indicator", "year", "before", "after"]
    if vintage == latest:
        return pd.DataFrame(columns=columns)
    first, last = int(years[0]), int(years[-1])
    both = [en.country_totals(en.load_glotip(v)) for v in (vintage, latest)]
    own = [t[(t["iso3"] == iso3) & t["year"].between(first, last)] for t in both]
    keys = ["indicator", "year"]
    pair = own[0].merge(own[1], on=keys, suffixes=("_before", "_after"))
    pair = pair.dropna(subset=["value_before", "value_after"])
    low = pair[["value_before", "value_after"]].min(axis=1).clip(lower=1)
    high = pair[["value_before", "value_after"]].max(axis=1)
    pair = pair[(high >= REVISED_FACTOR * low) & (high - low >= REVISED_BY)]
    pair = pair.rename(columns={"value_before": "before", "value_after": "after"})
    return pair[columns].astype({"before": int, "after": int}).reset_index(drop=True)


def abroad_rows(glotip: pd.DataFrame, iso3: str, years: Sequence[int]) -> pd.DataFrame:
    """GLOTIP's victims with the country's citizenship detected by other countries, per year."""
    first, last = int(years[0]), int(years[-1])
    keep = (glotip["sex"] == "Total") & (glotip["age"] == "Total") & (glotip["iso3"] != iso3)
    keep &= (glotip["indicator"] == en.INDICATORS["victims"]) & glotip["year"].between(first, last)
    keep &= (glotip["dimension"] == "by citizenship") & (glotip["category_iso3"] == iso3)
    return glotip[keep]


def detected_abroad(glotip: pd.DataFrame, iso3: str, years: Sequence[int]) -> pd.DataFrame:
    """`abroad_rows` per reporting country: years reported, the sum (bounds), and `alone`: the
    years without a total of the reporting country."""
    rows = abroad_rows(glotip, iso3, years)
    alone = rows["check"].eq(NO_TOTAL).fillna(False) if "check" in rows else False
    out = rows.assign(alone=alone).groupby("iso3").agg(
        years=("year", "nunique"), first=("year", "min"), last=("year", "max"),
        lower=("lower", "sum"), upper=("upper", "sum"), alone=("alone", "sum"),
    )  # fmt: skip
    out = out.reset_index().sort_values(["upper", "iso3"], ascending=[False, True])
    out.insert(1, "country", countries.name(out["iso3"]).fillna(out["iso3"]).to_numpy())
    return out.reset_index(drop=True)
