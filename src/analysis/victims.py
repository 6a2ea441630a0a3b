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
from analysis.publish import disclosure
from analysis.schemas.enforcement import INDICATOR_NAMES
from analysis.schemas.victims import GENDERS

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
    """One form per record: both sexual and labour flags win, then sexual, labour, other; else NA.

    NA means the release has no exploitation flag set for the record (unknown form).
    """

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
    """Records per year x destination x gender, zeros included, for destination-years that report.

    A destination-year with no record at all is a year in which no contributor covered the
    country, not a year without victims, so it is left out rather than counted as zero.
    """
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


def hide_in_grid(grid: pd.DataFrame, threshold: int) -> pd.Series:
    """Which grid counts to hide: small cells, and one more per destination x gender with a
    single small year (its total over the years is published with the shares)."""
    wide = grid.pivot(index="year", columns=["destination", "gender"], values="records")
    hidden = disclosure.hidden_cells(wide, threshold, lines="columns").stack(
        ["destination", "gender"]
    )
    keys = pd.MultiIndex.from_frame(grid[["year", "destination", "gender"]])
    return pd.Series(hidden.reindex(keys).fillna(False).to_numpy(dtype=bool), index=grid.index)


def counts_table(grid: pd.DataFrame, destinations: list[str], threshold: int) -> pd.DataFrame:
    """Year x destination table whose cells read 'female / male' records, suppressed.

    '<N' is a small cell; '(s)' a cell hidden so that a published total cannot reveal one.
    """
    hidden = hide_in_grid(grid, threshold)
    small = disclosure.is_small(grid["records"], threshold)
    text = disclosure.suppress(grid["records"], threshold).mask(hidden & ~small, "(s)")
    cells = grid.assign(text=text.to_numpy())
    wide = cells.pivot(index=["year", "destination"], columns="gender", values="text")
    cell = (wide["female"] + " / " + wide["male"]).rename("cell").reset_index()
    table = cell.pivot(index="year", columns="destination", values="cell")
    table = table.reindex(columns=[d for d in destinations if d in table.columns])
    return table.fillna("–")


def shares(frame: pd.DataFrame, by: list[str], threshold: int, confidence: float) -> pd.DataFrame:
    """Female share (of known gender) and child share (of known age) per group, suppressed."""
    keyed = frame.assign(
        _female=frame["gender"].eq("female"),
        _known_gender=frame["gender"].isin(KNOWN_GENDERS),
        _child=frame["is_minor"].eq(True).fillna(False),
        _known_age=frame["is_minor"].notna(),
    )
    if by:
        sums = keyed.groupby(by, observed=True)[
            ["_female", "_known_gender", "_child", "_known_age"]
        ].sum()
        records = keyed.groupby(by, observed=True).size()
    else:
        sums = keyed[["_female", "_known_gender", "_child", "_known_age"]].sum().to_frame("all").T
        records = pd.Series([len(keyed)], index=sums.index)
    female = disclosure.suppressed_shares(
        sums["_female"], sums["_known_gender"], threshold, confidence
    )
    child = disclosure.suppressed_shares(sums["_child"], sums["_known_age"], threshold, confidence)
    out = pd.DataFrame({"records": records})
    for name, table in (("female", female), ("child", child)):
        out[name] = table["successes"].astype("int64")
        out[f"{name}_of"] = table["total"].astype("int64")
        for col in ("share", "lower", "upper", "suppressed"):
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


def source_mix(frame: pd.DataFrame, threshold: int = disclosure.DEFAULT_THRESHOLD) -> pd.DataFrame:
    """Per year: records, reporting destinations, US share, unknown destination, hotline share.

    A share is missing where it would reveal a small cell (its count or the rest of the year's
    records is 1 to threshold - 1), as it would next to the year's published total.
    """
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
        ("usa_share", "_usa", records),
        ("unknown_destination_share", "_unknown", records),
        ("hotline_share", "_hotline", grouped["_has_source"].sum()),
    ):
        table = disclosure.suppressed_shares(grouped[flag].sum(), total, threshold)
        out[name] = table["share"].where(total > 0)
        out[f"{name}_suppressed"] = table["suppressed"] & (total > 0)
    return out.reset_index()


DESTINATION_GROUPS = [
    "United States", "other top destinations", "other known destinations", "unknown destination"
]  # fmt: skip


def destination_groups(frame: pd.DataFrame, top: list[str]) -> pd.DataFrame:
    """Records per year (rows) and destination group (United States, the other `top`
    destinations, other known destinations, unknown destination)."""
    dest = frame["exploitation_country"]
    group = np.select(
        [dest.eq("USA").fillna(False), dest.isin(top).fillna(False), dest.notna()],
        DESTINATION_GROUPS[:3],
        DESTINATION_GROUPS[3],
    )
    table = pd.crosstab(frame["year"].astype(int), group)
    return table.reindex(columns=[c for c in DESTINATION_GROUPS if c in table.columns])


def forms_by_group(
    frame: pd.DataFrame, threshold: int
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Women, men, girls, boys x form: counts (sparse forms merged), the cells to hide (the
    table total is published) and row shares, missing for a row with a hidden cell."""
    known = frame.dropna(subset=["person_group", "form"])
    forms = pd.crosstab(known["person_group"], known["form"]).reindex(
        index=[g for g in PERSON_GROUPS if g in set(known["person_group"])],
        columns=[f for f in FORMS if f in set(known["form"])],
        fill_value=0,
    )
    forms = merge_sparse_columns(forms, threshold, "other or combined forms")
    forms = forms.rename_axis(index="group", columns="form")
    hidden = disclosure.hidden_cells(forms, threshold, lines="table")
    row_share = forms.div(forms.sum(axis=1), axis=0).mask(hidden.any(axis=1), axis=0)
    return forms, hidden, row_share


def observed_totals(fitted: pd.DataFrame, hidden: pd.Series, threshold: int) -> pd.DataFrame:
    """Observed and fitted records per year x gender (summed over destinations); the observed
    total is missing where it is small or holds a hidden cell, which it would give away."""
    keyed = fitted.assign(_hidden=hidden.to_numpy(dtype=bool))
    totals = keyed.groupby(["year", "gender"])[["records", "fitted"]].sum()
    holds_hidden = keyed.groupby(["year", "gender"])["_hidden"].any()
    totals["observed"] = disclosure.mask_small(totals["records"], threshold).mask(holds_hidden)
    return totals.reset_index()


def model_grid(grid: pd.DataFrame, genders: tuple[str, ...] = ("female", "male")) -> pd.DataFrame:
    """The counts a trend model uses: chosen genders, with year centred on the first year."""
    data = grid[grid["gender"].isin(genders)].copy()
    data["year_c"] = data["year"] - data["year"].min()
    data["gender"] = data["gender"].astype(str)
    data["destination"] = data["destination"].astype(str)
    return data.reset_index(drop=True)


def glotip_by_sex_age(
    glotip: pd.DataFrame, vintage: str, countries_: list[str] | None = None
) -> pd.DataFrame:
    """GLOTIP detected victims per country-year: counts by sex (all ages) and by age (all sexes).

    Cells GLOTIP suppressed (<5) have no value here (<NA>), so shares that need them are missing;
    `other_suppressed` tells a suppressed 'Other' sex (1 to 4 victims) from one not reported.
    """
    missing = [c for c in GLOTIP_REQUIRED if c not in glotip.columns]
    if missing:
        raise DataError(f"glotip table: columns {missing} are missing")
    rows = glotip[
        (glotip["indicator"] == INDICATOR_NAMES["victims"])
        & (glotip["dimension"] == "Total")
        & (glotip["vintage"] == vintage)
    ]
    if rows.empty:
        raise DataError(f"glotip table: no detected-victim totals for vintage {vintage!r}")
    if countries_:
        rows = rows[rows["iso3"].isin(countries_)]
    by_sex = _unstack(rows[rows["age"] == "Total"], "sex")
    by_age = _unstack(rows[rows["sex"] == "Total"], "age")
    out = pd.DataFrame(index=by_sex.index.union(by_age.index))
    names = {"Female": "female", "Male": "male", "Other": "other", "Total": "total"}
    for label, col in names.items():
        out[col] = by_sex[label] if label in by_sex.columns else pd.NA
    out["child"] = by_age["0 to 17 years"] if "0 to 17 years" in by_age.columns else pd.NA
    out["adult"] = by_age["18 years or over"] if "18 years or over" in by_age.columns else pd.NA
    out = out.astype("Int64")
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


def glotip_shares(table: pd.DataFrame, threshold: int, confidence: float) -> pd.DataFrame:
    """GLOTIP female share of known sex (female + male + other) and child share of known age.

    An 'Other' sex not reported counts as zero; a suppressed one (1 to 4) leaves the
    denominator unknown, so that country-year has no female share.
    """
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
        shares_ = disclosure.suppressed_shares(
            num.where(ok, 0).astype("float64").fillna(0),
            den.where(ok, 0).astype("float64").fillna(0),
            threshold,
            confidence,
        )
        out[name] = num.where(ok)
        out[f"{name}_of"] = den.where(ok)
        out[f"{name}_share"] = shares_["share"].where(ok.to_numpy())
        out[f"{name}_lower"] = shares_["lower"].where(ok.to_numpy())
        out[f"{name}_upper"] = shares_["upper"].where(ok.to_numpy())
    return out


def compare_female_shares(ctdc: pd.DataFrame, glotip: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """CTDC vs GLOTIP female shares on the country-years both publish (unsuppressed in both)."""
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


def share_text(share: float, lower: float, upper: float) -> str:
    """'76.4% (76.1–76.6)', or 'suppressed' where the share would reveal a small cell."""
    return disclosure.share_text(share, lower, upper)


def share_record(row: pd.Series, name: str, threshold: int = disclosure.DEFAULT_THRESHOLD) -> dict:
    """A `shares` row's share for results JSON (disclosure.share_record: None where suppressed)."""
    return disclosure.share_record(
        row[name], row[f"{name}_of"], row[f"{name}_share"], row[f"{name}_lower"],
        row[f"{name}_upper"], threshold, hidden=bool(row[f"{name}_suppressed"]),
    )  # fmt: skip


def glotip_pooled_female_share(shares_: pd.DataFrame, threshold: int, confidence: float) -> dict:
    """Female share pooled over the country-years with a usable GLOTIP share, for results JSON."""
    usable = shares_.dropna(subset=["female_share"])
    female, known = int(usable["female"].sum()), int(usable["female_of"].sum())
    ci = proportions.proportion_ci([female], [known], confidence).iloc[0]
    record = disclosure.share_record(
        female, known, ci["share"], ci["lower"], ci["upper"], threshold
    )
    return {**record, "country_years": int(len(usable)), "countries": int(usable["iso3"].nunique())}


def merge_sparse_columns(table: pd.DataFrame, threshold: int, label: str) -> pd.DataFrame:
    """Merge the columns that hold hidden cells into one `label` column, so that fewer cells
    (and percentages) must be hidden. Needs at least two such columns to merge anything."""
    hidden = disclosure.hidden_cells(table, threshold, lines="table")
    sparse = [c for c in table.columns if hidden[c].any()]
    if len(sparse) < 2:
        return table
    merged = table.drop(columns=sparse)
    merged[label] = table[sparse].sum(axis=1)
    return merged
