"""Victim counts and shares by year, destination, gender and age, from CTDC and GLOTIP.

CTDC releases overlap (the same cases appear in several), so every function works on one
release at a time; nothing here adds releases together. Counts are of identified or assisted
cases (CTDC) or of victims detected by national authorities (GLOTIP), never of prevalence.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis import catalog, proportions
from analysis.data import countries, releases
from analysis.data.errors import DataError
from analysis.schemas.enforcement import INDICATOR_NAMES
from analysis.schemas.victims import AGE_BANDS, GENDERS

RELEASES = tuple(releases.CTDC)
KNOWN_GENDERS = GENDERS[:3]
AGE_GROUPS = ["child (0-17)", "adult (18+)", "unknown"]
PERSON_GROUPS = ["women", "men", "girls", "boys"]
FORMS = ["sexual exploitation", "forced labour", "sexual and labour", "other forms"]
OTHER_FORM_FLAGS = ["is_other_exploit", "is_forced_marriage", "is_slavery_and_practices"]
REQUIRED = [
    "release", "year", "datasource", "gender", "is_minor", "citizenship", "exploitation_country",
    "exploitation_un_region", "is_sexual_exploit", "is_forced_labour", "is_other_exploit",
    "is_sex_and_labour", "is_forced_marriage", "is_slavery_and_practices",
]  # fmt: skip
GLOTIP_REQUIRED = ["iso3", "year", "indicator", "dimension", "sex", "age", "value", "vintage"]
# Every category of the dimensions that tables of several reports share (`cell_counts`).
DOMAINS = {"gender": GENDERS, "age_group": AGE_GROUPS, "age_band": AGE_BANDS}


def population(release: str, years=None, records: pd.DataFrame | None = None) -> str:
    """Who a table of one release counts, named by the records it holds: tables of the same
    population are linked by the disclosure audit through their common margins. `years` is
    narrowed to the years `records` of the release are registered in, so that two ranges
    holding the same records give the same name (all records: every record has a year)."""
    whole = f"CTDC {release}: all records"
    if years is None:
        return whole
    first, last = int(years[0]), int(years[-1])
    if records is not None:
        own = records.loc[records["release"].astype(str) == release, "year"]
        held = own.dropna()
        inside = held[held.between(first, last)]
        if len(inside):  # (a range that holds none of them keeps its own years)
            first, last = max(first, int(held.min())), min(last, int(held.max()))
            if (first, last) == (int(held.min()), int(held.max())) and own.notna().all():
                return whole
    return f"CTDC {release}: records registered {first}–{last}"


def cell_counts(frame: pd.DataFrame, domains: dict[str, list]) -> pd.Series:
    """Records per combination of the `domains` (column -> every category), zeros included:
    the complete grid a protected table needs. A value outside its domain is an error."""
    for column, categories in domains.items():
        outside = sorted(set(frame[column].dropna().astype(str)) - {str(c) for c in categories})
        if outside or frame[column].isna().any():
            raise DataError(f"column {column!r}: values outside {list(categories)}: "
                            f"{outside or ['<missing>']}")  # fmt: skip
    index = pd.MultiIndex.from_product(list(domains.values()), names=list(domains))
    keys = [frame[c].astype(str) for c in domains]
    counts = frame.groupby(keys, observed=True).size()
    return counts.reindex(index, fill_value=0).astype("int64")


def load(release: str, data_dir: str | Path | None = None) -> pd.DataFrame:
    """One CTDC release from victims.parquet, with the derived groups added."""
    if release not in RELEASES:
        raise ValueError(f"release must be one of {RELEASES}, got {release!r}")
    frame = catalog.read("victims", required=REQUIRED, folder=data_dir)
    frame = frame[frame["release"] == release].reset_index(drop=True)
    if frame.empty:
        raise DataError(f"victims.parquet: no rows for release {release!r}")
    return add_groups(frame)


def select(
    frame: pd.DataFrame,
    years: tuple[int, int],
    destinations: list[str] | None = None,
    region: str | None = None,
) -> pd.DataFrame:
    """Records registered in `years` (inclusive), optionally in some destinations or a region."""
    first, last = years
    if first > last:
        raise ValueError(f"the year range is empty: {first} > {last}")
    keep = frame["year"].between(first, last).fillna(False)
    if destinations:
        keep &= frame["exploitation_country"].isin(destinations).fillna(False)
    if region:
        keep &= (frame["exploitation_un_region"] == region).fillna(False)
    return frame[keep].reset_index(drop=True)


def age_group(frame: pd.DataFrame) -> pd.Categorical:
    """The one age coding of the project: child (0-17), adult (18+) or unknown, from is_minor."""
    minor = frame["is_minor"]
    return pd.Categorical(
        np.select([minor.eq(True).fillna(False), minor.eq(False).fillna(False)],
                  AGE_GROUPS[:2], "unknown"),
        categories=AGE_GROUPS,
    )  # fmt: skip


def add_groups(frame: pd.DataFrame) -> pd.DataFrame:
    """Age group, person group (women, men, girls, boys) and one form of exploitation per record."""
    out = frame.copy()
    minor = out["is_minor"]
    out["age_group"] = age_group(out)
    female, male = out["gender"].eq("female"), out["gender"].eq("male")
    adult, child = minor.eq(False).fillna(False), minor.eq(True).fillna(False)
    out["person_group"] = pd.Series(
        np.select([female & adult, male & adult, female & child, male & child],
                  PERSON_GROUPS, ""),
        index=out.index, dtype="string",
    ).replace("", pd.NA)  # fmt: skip
    out["form"] = exploitation_form(out)
    return out


def exploitation_form(frame: pd.DataFrame) -> pd.Series:
    """One form per record: both sexual and labour flags win, then sexual, labour, other; else
    NA (the release has no exploitation flag set for the record: unknown form)."""

    def flag(col: str) -> pd.Series:
        return frame[col].eq(True).fillna(False)

    sexual, labour = flag("is_sexual_exploit"), flag("is_forced_labour")
    both = (sexual & labour) | flag("is_sex_and_labour")
    other = np.logical_or.reduce([flag(c) for c in OTHER_FORM_FLAGS])
    label = np.select(
        [both, sexual, labour, other],
        ["sexual and labour", "sexual exploitation", "forced labour", "other forms"],
        "",
    )
    return pd.Series(label, index=frame.index, dtype="string").replace("", pd.NA)


def top_destinations(frame: pd.DataFrame, n: int) -> pd.DataFrame:
    """The `n` destinations with most records (ties by code), with their share of known ones."""
    counts = frame["exploitation_country"].dropna().value_counts()
    counts = counts.rename_axis("iso3").reset_index(name="records")
    counts = counts.sort_values(["records", "iso3"], ascending=[False, True]).head(n)
    counts["country"] = countries.name(counts["iso3"]).fillna(counts["iso3"])
    counts["share_of_known"] = counts["records"] / frame["exploitation_country"].notna().sum()
    return counts[["iso3", "country", "records", "share_of_known"]].reset_index(drop=True)


def year_destination_gender(frame: pd.DataFrame, destinations: list[str]) -> pd.DataFrame:
    """Records per year x destination x gender, zeros included. A destination-year without any
    record is one no contributor covered, not one without victims: it is left out, not zero."""
    sub = frame[frame["exploitation_country"].isin(destinations).fillna(False)]
    counts = sub.groupby(["year", "exploitation_country", "gender"]).size()
    reporting = counts.groupby(level=[0, 1]).sum().index
    grid = pd.MultiIndex.from_tuples(
        [(y, d, g) for y, d in reporting for g in GENDERS],
        names=["year", "destination", "gender"],
    )
    counts.index = counts.index.set_names(["year", "destination", "gender"])
    out = counts.reindex(grid, fill_value=0).rename("records").reset_index()
    return out.astype({"year": "int64", "records": "int64"})


def shares(frame: pd.DataFrame, by: list[str], confidence: float) -> pd.DataFrame:
    """Female share (of known gender) and child share (of known age) per group, with intervals;
    nothing is hidden here (`victim_views.shares` hides what would reveal a small cell)."""
    keyed = frame.assign(
        _female=frame["gender"].eq("female"),
        _known_gender=frame["gender"].isin(KNOWN_GENDERS),
        _child=frame["is_minor"].eq(True).fillna(False),
        _known_age=frame["is_minor"].notna(),
    )
    flags = ["_female", "_known_gender", "_child", "_known_age"]
    if by:
        sums = keyed.groupby(by, observed=True)[flags].sum()
        records = keyed.groupby(by, observed=True).size()
    else:
        sums = keyed[flags].sum().to_frame("all").T
        records = pd.Series([len(keyed)], index=sums.index)
    out = pd.DataFrame({"records": records})
    for name, count, known in (("female", "_female", "_known_gender"),
                               ("child", "_child", "_known_age")):  # fmt: skip
        table = proportions.proportion_ci(sums[count], sums[known], confidence)
        out[name] = table["successes"].astype("int64")
        out[f"{name}_of"] = table["total"].astype("int64")
        for col in ("share", "lower", "upper"):
            out[f"{name}_{col}"] = table[col]
    return out.reset_index() if by else out.reset_index(drop=True)


def corridors(frame: pd.DataFrame, destinations: list[str], n_origins: int) -> pd.DataFrame:
    """Records by citizenship (rows, top `n_origins`) x destination (columns); unknown omitted."""
    sub = frame[frame["exploitation_country"].isin(destinations).fillna(False)]
    sub = sub[sub["citizenship"].notna()]
    table = pd.crosstab(sub["citizenship"], sub["exploitation_country"])
    order = table.sum(axis=1).sort_values(ascending=False, kind="stable").index[:n_origins]
    columns = [d for d in destinations if d in table.columns]
    return table.loc[order, columns]


def source_mix(frame: pd.DataFrame) -> pd.DataFrame:
    """Per year: records, reporting destinations, and the records in the United States, without
    a destination and from the hotline (of those with a known source), each with its share."""
    dest = frame["exploitation_country"]
    keyed = frame.assign(
        _usa=dest.eq("USA").fillna(False),
        _unknown=dest.isna(),
        _hotline=frame["datasource"].eq("hotline").fillna(False),
        _has_source=frame["datasource"].notna(),
    )
    grouped = keyed.groupby("year")
    records = grouped.size()
    out = pd.DataFrame(
        {"records": records, "destinations": grouped["exploitation_country"].nunique()}
    )
    for name, flag, total in (
        ("usa", "_usa", records),
        ("unknown_destination", "_unknown", records),
        ("hotline", "_hotline", grouped["_has_source"].sum().astype("int64")),
    ):
        out[name] = grouped[flag].sum().astype("int64")
        out[f"{name}_of"] = total
        out[f"{name}_share"] = (out[name] / total).where(total > 0)
    return out.reset_index()


def forms_by_group(frame: pd.DataFrame) -> pd.DataFrame:
    """Records of women, men, girls and boys (rows) by form of exploitation (columns); records
    without a known group or form are left out."""
    known = frame.dropna(subset=["person_group", "form"])
    return pd.crosstab(known["person_group"], known["form"]).reindex(
        index=[g for g in PERSON_GROUPS if g in set(known["person_group"])],
        columns=[f for f in FORMS if f in set(known["form"])],
        fill_value=0,
    )


def glotip_by_sex_age(glotip: pd.DataFrame, vintage: str) -> pd.DataFrame:
    """GLOTIP detected victims per country-year by sex (all ages) and by age (all sexes). Cells
    GLOTIP suppressed (<5) are <NA>, so shares that need them are missing; `other_suppressed`
    tells a suppressed 'Other' sex (1 to 4 victims) from one not reported."""
    if missing := [c for c in GLOTIP_REQUIRED if c not in glotip.columns]:
        raise DataError(f"glotip table: columns {missing} are missing")
    rows = glotip[
        (glotip["indicator"] == INDICATOR_NAMES["victims"])
        & (glotip["dimension"] == "Total")
        & (glotip["vintage"] == vintage)
    ]
    if rows.empty:
        raise DataError(f"glotip table: no detected-victim totals for vintage {vintage!r}")
    by_sex = _unstack(rows[rows["age"] == "Total"], "sex")
    by_age = _unstack(rows[rows["sex"] == "Total"], "age")
    index = by_sex.index.union(by_age.index)
    sexes = by_sex.reindex(index=index, columns=["Female", "Male", "Other", "Total"])
    ages = by_age.reindex(index=index, columns=["0 to 17 years", "18 years or over"])
    out = (
        pd.concat([sexes, ages], axis=1)
        .set_axis(["female", "male", "other", "total", "child", "adult"], axis=1)
        .astype("Int64")
    )
    other = rows[(rows["age"] == "Total") & (rows["sex"] == "Other")]
    suppressed = other.set_index(["iso3", "year"])["value"].isna()
    out["other_suppressed"] = suppressed.reindex(out.index, fill_value=False).astype(bool)
    return out.reset_index().astype({"year": "int64"})


def _unstack(rows: pd.DataFrame, column: str) -> pd.DataFrame:
    """Country-year x `column` values; suppressed cells stay <NA> (never summed to zero)."""
    keys = ["iso3", "year", column]
    repeated = rows.duplicated(keys, keep=False)
    if repeated.any():
        raise DataError(
            f"glotip table: repeated {keys} in rows {rows.index[repeated].tolist()[:10]}"
        )
    return rows.set_index(keys)["value"].unstack(column)


def load_glotip(vintage: str, data_dir: str | Path | None = None) -> pd.DataFrame:
    """GLOTIP detected victims by sex and by age per country-year, of one vintage."""
    return glotip_by_sex_age(catalog.read("glotip", folder=data_dir), vintage)


def select_country_years(
    table: pd.DataFrame,
    years: tuple[int, int],
    destinations: list[str] | None = None,
    region: str | None = None,
) -> pd.DataFrame:
    """Country-years (iso3, year) in `years`, optionally of some countries or a UN sub-region:
    the GLOTIP counterpart of `select`."""
    keep = table["year"].between(*years)
    if destinations:
        keep &= table["iso3"].isin(destinations)
    if region:
        keep &= countries.un_region(table["iso3"]).eq(region).fillna(False)
    return table[keep]


def glotip_shares(table: pd.DataFrame, confidence: float) -> pd.DataFrame:
    """GLOTIP female share of known sex (female + male + other) and child share of known age.
    An 'Other' sex not reported counts as zero; a suppressed one (1 to 4) leaves the
    denominator unknown, so that country-year has no female share."""
    known_sex = table[["female", "male"]].sum(axis=1, skipna=False) + table["other"].fillna(0)
    ok_sex = table["female"].notna() & table["male"].notna() & (known_sex > 0)
    if "other_suppressed" in table:
        ok_sex &= ~table["other_suppressed"].astype(bool)
    known_age = table["child"] + table["adult"]
    ok_age = table["child"].notna() & table["adult"].notna() & (known_age > 0)
    out = table[["iso3", "year"]].copy()
    for name, num, den, ok in (
        ("female", table["female"], known_sex, ok_sex),
        ("child", table["child"], known_age, ok_age),
    ):
        ci = proportions.proportion_ci(
            num.where(ok, 0).astype("float64").fillna(0),
            den.where(ok, 0).astype("float64").fillna(0),
            confidence,
        )
        out[name] = num.where(ok)
        out[f"{name}_of"] = den.where(ok)
        for col in ("share", "lower", "upper"):
            out[f"{name}_{col}"] = ci[col].where(ok.to_numpy())
    return out


def compare_female_shares(ctdc: pd.DataFrame, glotip: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """CTDC vs GLOTIP female shares on the country-years where both tables hold one (a report
    passes the shares it may show: `victim_views.shares` and `victim_views.glotip_shares`)."""
    left = ctdc.rename(columns={"exploitation_country": "iso3"})[
        ["iso3", "year", "female_of", "female_share", "female_lower", "female_upper"]
    ].dropna(subset=["female_share"])
    right = glotip[["iso3", "year", "female_of", "female_share"]].dropna(subset=["female_share"])
    both = left.merge(right, on=["iso3", "year"], suffixes=("_ctdc", "_glotip"))
    both = both.sort_values(["iso3", "year"]).reset_index(drop=True)
    both["difference"] = both["female_share_ctdc"] - both["female_share_glotip"]
    both["glotip_in_ctdc_interval"] = both["female_share_glotip"].between(
        both["female_lower"], both["female_upper"]
    )
    if both.empty:
        return both, {"country_years": 0, "countries": 0}
    summary = {
        "country_years": len(both),
        "countries": int(both["iso3"].nunique()),
        "mean_abs_difference": float(both["difference"].abs().mean()),
        "median_difference": float(both["difference"].median()),
        "share_within_ctdc_interval": float(both["glotip_in_ctdc_interval"].mean()),
        "spearman": float(
            both[["female_share_ctdc", "female_share_glotip"]].corr("spearman").iloc[0, 1]
        )
        if len(both) > 2
        else None,
    }
    return both, summary


def pooled_female_share(shares_: pd.DataFrame, confidence: float) -> dict:
    """Female share pooled over the country-years of `shares_` that have one (after suppression:
    those a report may show), with its interval."""
    usable = shares_.dropna(subset=["female_share"])
    female, known = int(usable["female"].sum()), int(usable["female_of"].sum())
    ci = proportions.proportion_ci([female], [known], confidence).iloc[0]
    return {
        "female": female, "known": known,
        "share": ci["share"], "lower": ci["lower"], "upper": ci["upper"],
        "country_years": int(len(usable)), "countries": int(usable["iso3"].nunique()),
    }  # fmt: skip
