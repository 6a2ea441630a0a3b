"""What the recorded cases say about the definitions: the shares each instrument names
explicitly, the records only the EU texts name, and the minors and missing means. Shares come
with their Wilson intervals and counts, unsuppressed (`analysis.publish.definition_views`
decides what is shown). CTDC releases are never added together; GLOTIP vintages neither.
"""

from __future__ import annotations

import pandas as pd

from analysis import proportions
from analysis import victims as vic
from analysis.data.errors import DataError
from analysis.definitions.instruments import INSTRUMENTS, PALERMO_2000
from analysis.definitions.mapping import (
    GLOTIP_DIMENSION,
    eu_only_categories,
    glotip_forms,
    levels,
    record_levels,
    recorded_forms,
    require_mapped,
)
from analysis.schemas import victims as victims_schema

GROUPING = ["gender", "age_group"]  # age group: child (0-17) / adult (18+) / unknown
SHARE_COLUMNS = ["share", "lower", "upper"]

NOT_NAMED, FORM_UNKNOWN = "not_named", "form_unknown"
NAMED = (*(i.key for i in INSTRUMENTS), NOT_NAMED, FORM_UNKNOWN)  # the `named` categories


def first_named(victims: pd.DataFrame, mapping: pd.DataFrame) -> pd.Series:
    """Per record, the earliest instrument whose text names its recorded form explicitly,
    `not_named` when none does, `form_unknown` without a recorded form. The texts are nested,
    so one dimension holds all four shares; a mapping that breaks the nesting is an error."""
    levels_ = record_levels(victims, mapping)
    named = pd.Series(NOT_NAMED, index=victims.index, dtype="string")
    named = named.mask(levels_[INSTRUMENTS[0].key].isna(), FORM_UNKNOWN)
    before = pd.Series(False, index=victims.index)
    for inst in INSTRUMENTS:
        explicit = levels_[inst.key].eq("explicit").fillna(False)
        if (before & ~explicit).any():
            raise ValueError(
                f"the mapping names {int((before & ~explicit).sum())} records explicitly under "
                f"an earlier text but not under {inst.key}: the instruments are not nested"
            )
        named = named.mask(explicit & ~before, inst.key)
        before = explicit
    return named


def ctdc_named_counts(victims: pd.DataFrame, mapping: pd.DataFrame) -> pd.Series:
    """Records per release, gender, age group and `first_named` category: the complete grid
    (zeros included) from which every explicit share of the definitions report comes."""
    frame = victims[["release", "gender"]].assign(
        age_group=pd.Series(vic.age_group(victims), index=victims.index).astype("string"),
        named=first_named(victims, mapping),
    )
    releases = sorted(frame["release"].astype(str).unique())
    domains = {"release": releases, "gender": vic.DOMAINS["gender"],
               "age_group": vic.DOMAINS["age_group"], "named": list(NAMED)}  # fmt: skip
    return vic.cell_counts(frame, domains)


def explicit_sums(instrument: str) -> list[str]:
    """The `named` categories whose records the instrument names explicitly."""
    return list(NAMED[: NAMED.index(instrument) + 1])


KNOWN_FORM = [n for n in NAMED if n != FORM_UNKNOWN]


def explicit_shares(counts: pd.Series, by: list[str] | None = None) -> pd.DataFrame:
    """Per release x instrument x group (`by`) of `ctdc_named_counts`: records named explicitly
    (`explicit`) of those with a known form (`known_form`), the share and its Wilson interval."""
    by = list(by or [])
    grid = counts.unstack("named")
    grid = grid.groupby(level=["release", *by], observed=True).sum()
    grid = grid[grid[KNOWN_FORM].sum(axis=1) > 0]  # no share without a record of known form
    rows = []
    for inst in INSTRUMENTS:
        explicit = grid[explicit_sums(inst.key)].sum(axis=1)
        shares = proportions.proportion_ci(explicit, grid[KNOWN_FORM].sum(axis=1))
        rows.append(shares.reset_index().assign(instrument=inst.key))
    out = pd.concat(rows, ignore_index=True)
    out = out.rename(columns={"successes": "explicit", "total": "known_form"})
    out[["explicit", "known_form"]] = out[["explicit", "known_form"]].astype("int64")
    return out[["release", "instrument", *by, "explicit", "known_form", *SHARE_COLUMNS]]


def eu_only_counts(victims: pd.DataFrame, mapping: pd.DataFrame) -> pd.DataFrame:
    """Per release and EU-only category: records flagged, and records that no Palermo/CoE
    purpose names explicitly but the EU text does, because of this category."""
    require_mapped(mapping, victims=victims)
    extra = eu_only_categories(mapping)
    extra = extra[extra["dataset"] == "ctdc"]
    forms = recorded_forms(victims, mapping)
    lv = record_levels(victims, mapping)
    not_un = lv[PALERMO_2000.key] != "explicit"
    rows = []
    for release, idx in victims.groupby("release", observed=True).groups.items():
        for cat in extra.itertuples():
            available = victims.loc[idx, cat.category].notna().any()
            rows.append(
                {
                    "release": release,
                    "category": cat.category,
                    "purpose": cat.purpose,
                    "first_explicit_in": cat.first_explicit_in,
                    "recorded_in_release": bool(available),
                    "flagged": int(victims.loc[idx, cat.category].fillna(False).sum()),
                    "only_eu_explicit": int((forms.loc[idx, cat.category] & not_un[idx]).sum()),
                    "records": len(idx),
                }
            )
    return pd.DataFrame(rows)


def _share(count, total: int, prefix: str) -> dict:
    """`<prefix>_count`, `_total`, `_share`, `_lower`, `_upper`; no share without a count."""
    numbers = {"count": count, "total": total, "share": None, "lower": None, "upper": None}
    if count is not None:
        ci = proportions.proportion_ci([count], [total]).iloc[0]
        numbers.update({k: ci[k] for k in SHARE_COLUMNS})
    return {f"{prefix}_{k}": v for k, v in numbers.items()}


def minors_and_means(victims: pd.DataFrame) -> pd.DataFrame:
    """Per release: shares of minors at registration and when exploitation began (closer to
    the child rule, which looks at the age at the time of the act), among records where known;
    share with no means of control recorded (CTDC's 'means of control' and abduction are the
    closest the data come to the legal means), none for a release without them."""
    means_cols = [*victims_schema.CONTROL, *victims_schema.STANDALONE]
    means_flagged = victims[means_cols].fillna(False).any(axis=1)
    rows = []
    for release, part in victims.groupby("release", observed=True):
        row: dict = {"release": release, "records": len(part)}
        for name, column in (("minor", "is_minor"), ("minor_at_exploit", "is_minor_at_exploit")):
            row.update(_share(int(part[column].sum()), int(part[column].count()), name))
        in_release = bool(part[means_cols].notna().any().any())
        none = int((~means_flagged[part.index]).sum()) if in_release else None
        row["means_in_release"] = in_release
        row.update(_share(none, len(part), "no_means"))
        rows.append(row)
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# GLOTIP: detected victims by form of exploitation

GLOTIP_SEX = {"Female": "female", "Male": "male", "Other": "other", "Unknown": "unknown"}
GLOTIP_AGE = dict(
    zip(["0 to 17 years", "18 years or over", "Unknown"], vic.AGE_GROUPS, strict=True)
)


BOUND_COLUMNS = ["explicit_lower", "explicit_upper", "victims_lower", "victims_upper"]
RANGE_COLUMNS = ["share_min", "share_max"]


def share_range(explicit_lower, explicit_upper, victims_lower, victims_upper) -> pd.DataFrame:
    """The explicit share over every fill of the `<5` cells within their bounds. Explicit (E)
    and other (O) cells vary on their own and E / (E + O) rises with E and falls with O, so the
    least share takes the fewest explicit and the most other victims, the largest the reverse;
    `lower` and `upper` widen the Wilson interval to the whole range. An end whose fill has no
    victims is NaN; `share` is the point share where the two ends agree."""
    e_low = pd.Series(explicit_lower, dtype="float64")
    e_up = pd.Series(explicit_upper, dtype="float64", index=e_low.index)
    other_low = pd.Series(victims_lower, dtype="float64", index=e_low.index) - e_low
    other_up = pd.Series(victims_upper, dtype="float64", index=e_low.index) - e_up
    least = proportions.proportion_ci(e_low, e_low + other_up)
    most = proportions.proportion_ci(e_up, e_up + other_low)
    return pd.DataFrame(
        {
            "share": least["share"].where(least["share"] == most["share"]),
            "share_min": least["share"],
            "share_max": most["share"],
            "lower": least["lower"],
            "upper": most["upper"],
        },
        index=e_low.index,
    )


def _exact(lower: pd.Series, upper: pd.Series) -> pd.Series:
    """The count where its bounds agree, else <NA>."""
    return lower.astype("Int64").where(lower == upper)


def _glotip_rows(glotip: pd.DataFrame, vintage: str, by: list[str]) -> pd.DataFrame:
    """Form rows of one vintage, the disaggregated rows (with `by`) or the Total rows, kept
    only where a country-year-sex-age group publishes every form: a missing form may be a zero
    or an unreported form, and the export cannot tell."""
    rows = glotip_forms(glotip)
    rows = rows[rows["vintage"] == vintage]
    if rows.empty:
        raise DataError(
            f"glotip: no rows for vintage {vintage!r} in dimension {GLOTIP_DIMENSION!r}"
        )
    n_forms = rows["category"].nunique()
    rows = rows[
        rows.groupby(["iso3", "year", "sex", "age"])["category"].transform("nunique") == n_forms
    ]
    totals = (rows["sex"] == "Total") & (rows["age"] == "Total")
    disaggregated = (rows["sex"] != "Total") & (rows["age"] != "Total")
    rows = rows[disaggregated if by else totals]
    return rows.assign(
        gender=rows["sex"].map(GLOTIP_SEX).astype("string"),
        age_group=rows["age"].map(GLOTIP_AGE).astype("string"),
        suppressed_cell=rows["is_suppressed"].fillna(False).astype("int64"),
    )


def glotip_explicit_shares(
    glotip: pd.DataFrame, mapping: pd.DataFrame, vintage: str, by: list[str] | None = None
) -> pd.DataFrame:
    """Share of GLOTIP detected victims whose form each instrument names explicitly, from the
    sex Total / age Total rows, or the disaggregated rows with `by`. A `<5` cell counts as 1 to
    4, so counts have bounds (`explicit`, `victims` only where they agree) and the share is a
    range (`share_range`); `suppressed_cells` counts the cells within bounds that took part."""
    require_mapped(mapping, glotip=glotip)
    by = list(by or [])
    rows = _glotip_rows(glotip, vintage, by)
    table = levels(mapping, "glotip")
    keys = by or (lambda _: "all")
    out = []
    for inst in INSTRUMENTS:
        explicit = rows["category"].map(table[inst.key]).eq("explicit").fillna(False)
        part = rows.assign(
            explicit_lower=rows["lower"].where(explicit, 0),
            explicit_upper=rows["upper"].where(explicit, 0),
            victims_lower=rows["lower"],
            victims_upper=rows["upper"],
            suppressed_cells=rows["suppressed_cell"],
        )
        counts = part.groupby(keys)[[*BOUND_COLUMNS, "suppressed_cells"]].sum().astype("int64")
        counts = counts.join(share_range(*(counts[c] for c in BOUND_COLUMNS)))
        frame = counts.reset_index() if by else counts.reset_index(drop=True)
        out.append(frame.assign(instrument=inst.key, vintage=vintage))
    result = pd.concat(out, ignore_index=True)
    result["explicit"] = _exact(result["explicit_lower"], result["explicit_upper"])
    result["victims"] = _exact(result["victims_lower"], result["victims_upper"])
    return result[["vintage", "instrument", *by, "explicit", "victims", *BOUND_COLUMNS,
                   "share", *RANGE_COLUMNS, "lower", "upper", "suppressed_cells"]]  # fmt: skip


def glotip_form_totals(glotip: pd.DataFrame, vintage: str) -> pd.DataFrame:
    """Per form (sex Total, age Total, complete groups only): detected victims within their
    bounds, country-years, and the cells within bounds (`suppressed_sums`: sums of sub-forms)."""
    rows = _glotip_rows(glotip, vintage, [])
    rows = rows.assign(suppressed_sum=rows["suppressed_cell"] * (rows["n_parts"] > 1))
    totals = rows.groupby("category").agg(
        victims_lower=("lower", "sum"),
        victims_upper=("upper", "sum"),
        country_years=("iso3", "size"),
        suppressed_cells=("suppressed_cell", "sum"),
        suppressed_sums=("suppressed_sum", "sum"),
    )
    totals = totals.astype("int64")
    totals.insert(0, "victims", _exact(totals["victims_lower"], totals["victims_upper"]))
    return totals
