"""The reviewed mapping (`mappings/definitions_categories.csv`) of dataset categories (CTDC
form flags and types, GLOTIP forms) to each instrument's purposes: `explicit` (the text names
the purpose), `open_ended` (only through the open list or by interpretation), `not_covered`;
and what it says about each record. Every analysis refuses categories the table lacks.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis import enforcement as en
from analysis.data import sources
from analysis.data.errors import DataError
from analysis.definitions.instruments import (
    COE_2005,
    EU_2011,
    EU_2024,
    INSTRUMENTS,
    PALERMO_2000,
    PURPOSES,
)
from analysis.schemas import victims as victims_schema

LEVELS = ("explicit", "open_ended", "not_covered")  # best first
LEVEL_LABELS = {
    "explicit": "named explicitly",
    "open_ended": "open list / interpretation only",
    "not_covered": "not covered",
}
MAPPING_FILE = Path(__file__).resolve().parents[1] / "mappings" / "definitions_categories.csv"
MAPPING_COLUMNS = [
    "dataset",
    "category",
    "label",  # the category as a reader names it
    "group",
    "parent",
    "purpose",
    *[i.key for i in INSTRUMENTS],
    "reason",
]
DATASETS = ("ctdc", "glotip")
NO_LISTED_FORM = "no_listed_form"  # CTDC: form group known, but no listed form flagged
GLOTIP_DIMENSION = "by form of exploitation"
GLOTIP_INDICATOR = en.INDICATORS["victims"]
CTDC_FORM_COLUMNS = [
    *victims_schema.EXPLOITATION,
    *victims_schema.LABOUR,
    *victims_schema.SEX,
]


def load_mapping(path: Path = MAPPING_FILE) -> pd.DataFrame:
    """The reviewed mapping, checked: levels, reasons, and `explicit` exactly where the row's
    `purpose` is in the instrument's list, so the table cannot drift from the encoded articles."""
    table = sources.read_csv(path, dtype="string")
    if list(table.columns) != MAPPING_COLUMNS:
        raise DataError(f"{path}: columns should be {MAPPING_COLUMNS}, found {list(table.columns)}")
    checks = {
        "empty reason": table["reason"].isna(),
        "empty label": table["label"].isna(),
        "repeated category": table.duplicated(["dataset", "category"]),
        f"dataset not in {DATASETS}": ~table["dataset"].isin(DATASETS),
        "unknown purpose": table["purpose"].notna() & ~table["purpose"].isin(list(PURPOSES)),
    }
    for inst in INSTRUMENTS:
        named = table["purpose"].isin(list(inst.purposes)).fillna(False)
        checks[f"column {inst.key!r}: level not in {LEVELS}"] = ~table[inst.key].isin(LEVELS)
        checks[
            f"column {inst.key!r}: 'explicit' must hold exactly where the purpose is in "
            f"{inst.definition_article} of {inst.short}"
        ] = (table[inst.key] == "explicit").fillna(False) != named
    row = table.index + 2  # spreadsheet row numbers (header is row 1)
    problems = [f"{what} in rows {list(row[bad])}" for what, bad in checks.items() if bad.any()]
    if problems:
        raise DataError(f"{path}: " + "; ".join(problems))
    return table


def levels(mapping: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """category -> level per instrument, for one dataset."""
    part = mapping[mapping["dataset"] == dataset].set_index("category")
    return part[[i.key for i in INSTRUMENTS]]


def glotip_forms(glotip: pd.DataFrame) -> pd.DataFrame:
    return glotip[
        (glotip["dimension"] == GLOTIP_DIMENSION) & (glotip["indicator"] == GLOTIP_INDICATOR)
    ]


def unmapped(
    mapping: pd.DataFrame, victims: pd.DataFrame | None = None, glotip: pd.DataFrame | None = None
) -> dict[str, list[str]]:
    """Categories present in the data that the mapping lacks (empty lists when complete)."""
    found = {}
    if victims is not None:
        flags = victims[CTDC_FORM_COLUMNS].fillna(False)
        flags[NO_LISTED_FORM] = form_known(victims) & ~flags.any(axis=1)
        found["ctdc"] = flags.columns[flags.any()]
    if glotip is not None:
        found["glotip"] = sorted(glotip_forms(glotip)["category"].dropna().unique())
    known = mapping.groupby("dataset")["category"].agg(set)
    return {d: [c for c in cats if c not in known.get(d, set())] for d, cats in found.items()}


def require_mapped(mapping: pd.DataFrame, **data) -> None:
    missing = {k: v for k, v in unmapped(mapping, **data).items() if v}
    if missing:
        raise DataError(
            f"{MAPPING_FILE.name}: categories in the data without a mapping row: {missing}; "
            "add a reviewed row with a reason for each"
        )


# ---------------------------------------------------------------------------------------------
# CTDC: the most specific recorded form of each record, and its level per instrument


def form_known(victims: pd.DataFrame) -> pd.Series:
    """A record says something about its form: any form flag True, or the form group known."""
    flagged = victims[CTDC_FORM_COLUMNS].fillna(False).any(axis=1)
    return flagged | victims[victims_schema.EXPLOITATION].notna().any(axis=1)


def recorded_forms(victims: pd.DataFrame, mapping: pd.DataFrame) -> pd.DataFrame:
    """The most specific forms recorded per record (mapping categories). A parent flag gives
    way to its types: CTDC records begging as a type of forced labour, and the question is
    whether an instrument names begging, not forced labour."""
    ctdc = mapping[mapping["dataset"] == "ctdc"]
    flags = victims[CTDC_FORM_COLUMNS].fillna(False).astype(bool)
    forms = flags.copy()
    for parent, children in ctdc.dropna(subset=["parent"]).groupby("parent")["category"]:
        forms[parent] = forms[parent] & ~flags[list(children)].any(axis=1)
    forms[NO_LISTED_FORM] = form_known(victims) & ~flags.any(axis=1)
    return forms


def record_levels(victims: pd.DataFrame, mapping: pd.DataFrame) -> pd.DataFrame:
    """Best level per record and instrument (explicit > open_ended > not_covered); <NA> if the
    form is unknown."""
    require_mapped(mapping, victims=victims)
    forms = recorded_forms(victims, mapping)
    table = levels(mapping, "ctdc").reindex(forms.columns)
    out = {}
    for inst in INSTRUMENTS:
        best = pd.Series(pd.NA, index=victims.index, dtype="string")
        for level in reversed(LEVELS):  # later (better) levels overwrite
            cats = table.index[table[inst.key] == level]
            best = best.mask(forms[list(cats)].any(axis=1), level)
        out[inst.key] = best
    return pd.DataFrame(out)


def eu_only_categories(mapping: pd.DataFrame) -> pd.DataFrame:
    """Mapping rows named explicitly by an EU text but by neither Palermo nor the CoE."""
    un_coe = (mapping[PALERMO_2000.key] == "explicit") | (mapping[COE_2005.key] == "explicit")
    eu = (mapping[EU_2011.key] == "explicit") | (mapping[EU_2024.key] == "explicit")
    part = mapping[eu & ~un_coe].copy()
    part["first_explicit_in"] = part[EU_2011.key].map({"explicit": EU_2011.key}).fillna(EU_2024.key)
    return part
