"""What the recorded cases say about the definitions: the share of victims whose recorded form
each instrument names explicitly, the records only the EU texts name, and how many records the
child rule and the missing means concern.

Every share comes with its Wilson interval and its counts, unsuppressed: what a report may show
of them is decided in `analysis.publish.definition_views`. CTDC releases are never added
together; GLOTIP vintages neither.
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

# ---------------------------------------------------------------------------------------------
# CTDC: records with a known form, by release (and group)


def ctdc_explicit_shares(
    victims: pd.DataFrame, mapping: pd.DataFrame, by: list[str] | None = None
) -> pd.DataFrame:
    """Share of records with a known form whose form each instrument names explicitly.

    One row per release x instrument x group (`by`: columns of GROUPING): the count named
    explicitly (`explicit`), the records with a known form (`known_form`), the share and its
    Wilson interval.
    """
    by = list(by or [])
    levels_ = record_levels(victims, mapping)
    frame = victims[["release", "gender"]].assign(
        age_group=pd.Series(vic.age_group(victims), index=victims.index).astype("string")
    )
    rows = []
    for inst in INSTRUMENTS:
        known = levels_[inst.key].notna()
        part = frame[known].assign(explicit=(levels_.loc[known, inst.key] == "explicit"))
        counts = part.groupby(["release", *by], observed=True)["explicit"].agg(["sum", "size"])
        shares = proportions.proportion_ci(counts["sum"], counts["size"])
        rows.append(shares.reset_index().assign(instrument=inst.key))
    out = pd.concat(rows, ignore_index=True)
    out = out.rename(columns={"successes": "explicit", "total": "known_form"})
    out[["explicit", "known_form"]] = out[["explicit", "known_form"]].astype("int64")
    return out[["release", "instrument", *by, "explicit", "known_form", *SHARE_COLUMNS]]


def eu_only_counts(victims: pd.DataFrame, mapping: pd.DataFrame) -> pd.DataFrame:
    """Per release and EU-only category: records flagged, and records explicit only under EU.

    `only_eu_explicit` counts records that no Palermo/CoE purpose names explicitly but the EU
    text does, because of this category.
    """
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
    """Per release: share of minors, and share of records with no means of control recorded.

    Minors: at registration (`is_minor`) and when exploitation began (`is_minor_at_exploit`,
    closer to the child rule, which looks at the age at the time of the act), each among
    records where it is known. Means: CTDC's 'means of control' and abduction are the closest
    the data come to the legal means; a release without them (`means_in_release` False) has no
    count and no share.
    """
    means_cols = [*victims_schema.CONTROL, *victims_schema.STANDALONE]
    means_flagged = victims[means_cols].fillna(False).any(axis=1)
    rows = []
    for release, part in victims.groupby("release", observed=True):
        row: dict = {"release": release, "records": len(part)}
        for name, column in (("minor", "is_minor"), ("minor_at_exploit", "is_minor_at_exploit")):
            known = part[column].notna()
            row.update(_share(int(part.loc[known, column].sum()), int(known.sum()), name))
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


def glotip_complete_groups(glotip: pd.DataFrame, vintage: str) -> pd.DataFrame:
    """Form rows of one vintage, kept only where a country-year-sex-age group publishes every
    form: a missing form may be a zero or an unreported form, and the export cannot tell."""
    forms = glotip_forms(glotip)
    forms = forms[forms["vintage"] == vintage]
    if forms.empty:
        raise DataError(
            f"glotip: no rows for vintage {vintage!r} in dimension {GLOTIP_DIMENSION!r}"
        )
    n_forms = forms["category"].nunique()
    key = ["iso3", "year", "sex", "age"]
    complete = forms.groupby(key)["category"].transform("nunique") == n_forms
    return forms[complete]


def glotip_explicit_shares(
    glotip: pd.DataFrame, mapping: pd.DataFrame, vintage: str, by: list[str] | None = None
) -> pd.DataFrame:
    """Share of GLOTIP detected victims whose form each instrument names explicitly.

    Without `by`: the sex Total / age Total rows; with `by` (gender, age_group): the
    disaggregated rows. Cells the export publishes as `<5` are left out of both numerator and
    denominator and counted in `suppressed_cells`.
    """
    require_mapped(mapping, glotip=glotip)
    by = list(by or [])
    rows = glotip_complete_groups(glotip, vintage)
    if by:
        rows = rows[(rows["sex"] != "Total") & (rows["age"] != "Total")]
    else:
        rows = rows[(rows["sex"] == "Total") & (rows["age"] == "Total")]
    rows = rows.assign(
        gender=rows["sex"].map(GLOTIP_SEX).astype("string"),
        age_group=rows["age"].map(GLOTIP_AGE).astype("string"),
        value=rows["value"].fillna(0).astype("int64"),
        suppressed_cell=rows["is_suppressed"].fillna(False).astype("int64"),
    )
    table = levels(mapping, "glotip")
    out = []
    for inst in INSTRUMENTS:
        explicit = rows["category"].map(table[inst.key]).eq("explicit").fillna(False)
        part = rows.assign(explicit_value=rows["value"].where(explicit, 0))
        keys = by or (lambda _: "all")
        counts = part.groupby(keys).agg(
            explicit=("explicit_value", "sum"),
            victims=("value", "sum"),
            suppressed_cells=("suppressed_cell", "sum"),
        )
        shares = proportions.proportion_ci(counts["explicit"], counts["victims"])
        counts[SHARE_COLUMNS] = shares[SHARE_COLUMNS]
        frame = counts.reset_index() if by else counts.reset_index(drop=True)
        out.append(frame.assign(instrument=inst.key, vintage=vintage))
    result = pd.concat(out, ignore_index=True)
    result[["explicit", "victims"]] = result[["explicit", "victims"]].astype("int64")
    return result[["vintage", "instrument", *by, "explicit", "victims", *SHARE_COLUMNS,
                   "suppressed_cells"]]  # fmt: skip


def glotip_form_totals(glotip: pd.DataFrame, vintage: str) -> pd.DataFrame:
    """Detected victims and country-years per form (sex Total, age Total), complete groups only."""
    rows = glotip_complete_groups(glotip, vintage)
    rows = rows[(rows["sex"] == "Total") & (rows["age"] == "Total")]
    totals = rows.groupby("category").agg(
        victims=("value", lambda s: int(s.fillna(0).sum())),
        country_years=("iso3", "size"),
    )
    return totals
