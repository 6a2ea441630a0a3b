"""Clean the CTDC victim releases into one tidy table (`analysis.schemas.victims`).

The three releases code the same records differently (`ctdc/SOURCE.md`, the k-anon data
dictionary 20210825); `CODINGS` states each one's quirks as data. A value a release cannot
hold quarantines its row, with a reason; a missing column is a `DataError` naming the file.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis import catalog
from analysis.clean import accounting
from analysis.clean.accounting import Cleaned, counts
from analysis.data import countries, releases, sources
from analysis.data.errors import DataError, check_entry, check_rows
from analysis.schemas import victims as schema

# Country codes that mean "unknown": '00' is "Unknown Country" in the dictionary's country
# lookup; '0' is the same code after a numeric read (Global Dataset 2020).
UNKNOWN_COUNTRY = ["0", "00"]
# Dictionary "Lookups": -99 = missing (case management), Unknown = not collected (hotline).
MISSING_FLAG = ["-99", "Unknown"]

MAPPINGS = Path(__file__).resolve().parents[1] / "mappings"
LABELS_FILE, CODINGS_FILE = MAPPINGS / "ctdc_labels.csv", MAPPINGS / "ctdc_codings.toml"
# The tidy values of each raw column ("" for majority: unknown).
VALUES = {
    "gender": schema.GENDERS,
    "ageBroad": schema.AGE_BANDS,
    "majority": ["True", "False", ""],
    "Datasource": schema.DATASOURCES,
    "traffickMonths": schema.MONTH_BANDS,
}


def load_labels(path: Path = LABELS_FILE) -> dict[str, dict[str, str]]:
    """Raw label -> tidy value per raw column, with a note where a release spells a label its
    own way."""
    table = sources.read_csv(path, dtype="string")
    pairs = table["column"] + "=" + table["value"].fillna("")
    check_rows(
        path,
        {
            "repeated (column, label)": table.duplicated(["column", "label"]),
            f"column 'column' not in {list(VALUES)}": ~table["column"].isin(list(VALUES)),
            "column 'value' not a tidy value of its column": ~pairs.isin(
                [f"{c}={v}" for c, values in VALUES.items() for v in values]
            ),
        },
    )
    return {c: dict(zip(p["label"], p["value"], strict=True)) for c, p in table.groupby("column")}


LABELS = load_labels()
GENDER, AGE, DATASOURCE, MONTHS = (
    LABELS[c] for c in ("gender", "ageBroad", "Datasource", "traffickMonths")
)
MAJORITY = {label: pd.NA if pd.isna(v) else v == "True" for label, v in LABELS["majority"].items()}
MINOR_BANDS = ["0-8", "9-17"]
# Raw CTDC flag name -> tidy name (schema.FLAGS); the k-anon "not specified" flags have none:
# they are read and checked, but carried by the group rule instead.
FLAG_NAMES = dict(schema.FLAG_TABLE.loc[schema.FLAG_TABLE["tidy"] != "", ["raw", "tidy"]].values)


@dataclass(frozen=True, kw_only=True)
class Coding:
    """How one CTDC release (`releases.CTDC`) writes its values, and which file holds them."""

    name: str  # the release
    file: str | None = None
    codes: str  # "ISO2" or "ISO3"
    columns: tuple[str, ...]  # raw columns other than flags that the reader needs
    flags: tuple[str, ...]  # raw flag columns (FLAG_NAMES keys or "not specified" flags)
    flag_values: dict[str, bool]  # raw flag text -> value; MISSING_FLAG always means unknown
    empty_flag: bool | None = None  # what an empty flag cell means (None: unknown)
    group_rule: bool  # a group with no flag set is unknown (0 and unknown not told apart)
    false_means: str  # schema.FALSE_MEANS
    case_column: str | None = None  # raw case number; None: the 0-based data-row number
    majority: str | None = None  # majority status at registration
    majority_at_exploit: str | None = None
    datasource: str | None = None
    months: str | None = None
    ignored: tuple[str, ...] = field(default=())  # columns a re-publisher added

    @property
    def source(self) -> str:
        return releases.CTDC[self.name].source

    def raw_file(self, raw_root: Path | None = None) -> Path:
        return sources.raw_path(self.source, self.file, raw_root)


BASE = ("yearOfRegistration", "gender", "ageBroad", "citizenship", "CountryOfExploitation")


def load_codings(path: Path = CODINGS_FILE) -> dict[str, Coding]:
    """One Coding per release; its flags default to those ctdc_flags.csv marks for it."""
    codings = tomllib.loads(path.read_text("utf-8"))
    if sorted(codings) != sorted(releases.CTDC):
        raise DataError(
            f"{path}: the entries should be {list(releases.CTDC)}, found {list(codings)}"
        )
    out = {}
    for name, entry in codings.items():
        check_entry(path, name, entry, Coding, optional=("columns", "flags"))
        flags = (
            entry.pop("flags", None) or schema.FLAG_TABLE.loc[schema.FLAG_TABLE[name] == "1", "raw"]
        )
        columns, ignored = BASE + tuple(entry.pop("columns", ())), tuple(entry.pop("ignored", ()))
        out[name] = Coding(name=name, columns=columns, flags=tuple(flags), ignored=ignored, **entry)
    return out


CODINGS = load_codings()


@dataclass
class Victims:
    """The cleaned table of all selected releases, their quarantine, and the quality summary."""

    table: pd.DataFrame
    quarantine: pd.DataFrame
    quality: dict


def read_raw(rel: Coding, path: Path) -> pd.DataFrame:
    """All columns as text (`NA` stays Namibia); a missing column is an error naming the file."""
    raw = sources.read_csv(path, dtype="string", engine="pyarrow")
    missing = [c for c in (*rel.columns, *rel.flags) if c not in raw.columns]
    if missing:
        raise DataError(
            f"{path}: missing column(s) {', '.join(map(repr, missing))} that release "
            f"{rel.name} needs (all rows); found: {', '.join(raw.columns)}"
        )
    return raw


def _unknown_label(raw: pd.Series, known: pd.Series, column: str) -> pd.Series:
    """Reason text for the rows (only those) whose value is present but not a known label."""
    bad = raw[raw.notna() & ~known]
    return bad.map(lambda v: f"{column}: unknown value {str(v)[:40]!r}").astype("string")


def _labels(raw: pd.Series, mapping: dict, default, column: str, problems: list) -> pd.Series:
    """Map labels; empty becomes `default`; a label outside `mapping` adds a reason."""
    known = raw.isin(list(mapping))
    problems.append(_unknown_label(raw, known, column))
    mapped = raw.where(known).map(mapping, na_action="ignore").astype(object)
    return mapped.where(raw.notna(), default)


def _year(raw: pd.Series, problems: list) -> pd.Series:
    number = pd.to_numeric(raw, errors="coerce")
    ok = number.notna() & (number % 1 == 0) & number.between(*schema.YEARS)
    low, high = schema.YEARS
    reasons = raw[raw.notna() & ~ok].map(
        lambda v: f"yearOfRegistration: not a year in {low}-{high} {str(v)[:40]!r}"
    )
    problems.append(reasons.astype("string"))
    return number.where(ok).astype("Int64")


def _country(raw: pd.Series, iso3_of: dict, codes: str, column: str) -> tuple[pd.Series, ...]:
    """ISO3 per row; the 'unknown country' code becomes missing; other misses give a reason."""
    unknown = raw.isin(UNKNOWN_COUNTRY)
    iso3 = raw.map(iso3_of).astype("string")
    bad = raw.notna() & ~unknown & iso3.isna()
    reasons = raw[bad].map(lambda v: f"{column}: not an {codes} country code {str(v)[:40]!r}")
    return iso3, reasons.astype("string"), counts(raw[bad]), counts(raw[unknown])


def _iso3_lookup(raw: pd.DataFrame, columns: list[str], codes: str) -> dict[str, str]:
    """ISO3 for every distinct code of `columns` (`countries.to_iso3` refuses malformed ones)."""
    values = pd.concat([raw[c] for c in columns]).dropna().drop_duplicates()
    iso3 = countries.to_iso3(values.reset_index(drop=True), src=codes)
    return {v: i for v, i in zip(values, iso3, strict=True) if not pd.isna(i)}


def _flags(raw: pd.DataFrame, rel: Coding, problems: list) -> pd.DataFrame:
    """Nullable booleans per tidy flag; <NA> where unknown or absent from the release."""
    block = raw[list(rel.flags)]
    true = block.isin([k for k, v in rel.flag_values.items() if v])
    false = block.isin([k for k, v in rel.flag_values.items() if not v])
    known = true | false | block.isin(MISSING_FLAG)
    problems += [_unknown_label(block[c], known[c], c) for c in rel.flags if not known[c].all()]
    values = true.astype("boolean").mask(~(true | false))  # <NA> for -99, Unknown and empty
    if rel.empty_flag is not None:
        values = values.mask(block.isna(), rel.empty_flag)
    flags = pd.DataFrame(pd.NA, index=raw.index, columns=schema.FLAGS, dtype="boolean")
    for column in rel.flags:
        if column in FLAG_NAMES:
            flags[FLAG_NAMES[column]] = values[column]
    return _unknown_groups(flags, rel) if rel.group_rule else flags


def _unknown_groups(flags: pd.DataFrame, rel: Coding) -> pd.DataFrame:
    """Where 0 cannot be told from unknown, a group with no flag set is unknown as a whole:
    every victim has some form of exploitation, so a row with none flagged says nothing."""
    present = {FLAG_NAMES[c] for c in rel.flags if c in FLAG_NAMES}
    flags = flags.copy()
    for group in schema.FLAG_GROUPS.values():
        columns = [c for c in group if c in present]
        if columns:
            none_set = ~flags[columns].fillna(False).any(axis=1)
            flags.loc[none_set, columns] = pd.NA
    return flags


def _first_reason(index: pd.Index, problems: list[pd.Series]) -> pd.Series:
    """The first problem found per row (rules run in order); <NA> for a clean row."""
    found = [p for p in problems if len(p)]
    if not found:
        return pd.Series(pd.NA, index=index, dtype="string")
    stacked = pd.concat(found)
    return stacked[~stacked.index.duplicated()].reindex(index).astype("string")


def _record_ids(raw: pd.DataFrame, rel: Coding) -> tuple[pd.Series, list[pd.Series]]:
    if rel.case_column is None:
        return pd.Series(raw.index.astype(str), index=raw.index, dtype="string"), []
    case = raw[rel.case_column]
    missing = _reason_where(case.isna(), f"{rel.case_column}: missing")
    duplicate = _reason_where(
        case.notna() & case.duplicated(keep=False), f"{rel.case_column}: duplicate case number"
    )
    return case, [missing, duplicate]


def _optional(raw: pd.DataFrame, column: str | None, mapping: dict, dtype, problems: list):
    """A column only some releases have: its labels mapped (all <NA> without it)."""
    if column is None:
        return pd.Series(pd.NA, index=raw.index, dtype=dtype)
    return _labels(raw[column], mapping, pd.NA, column, problems).astype(dtype)


def _reason_where(mask: pd.Series, text: str) -> pd.Series:
    rows = mask.index[mask.fillna(False).to_numpy(dtype=bool)]
    return pd.Series(text, index=rows, dtype="string")


def harmonise(raw: pd.DataFrame, rel: Coding) -> tuple[pd.DataFrame, pd.Series, dict]:
    """The tidy frame for every raw row, the quarantine reason per row, and country counts."""
    record_id, problems = _record_ids(raw, rel)
    year = _year(raw["yearOfRegistration"], problems)
    gender = _labels(raw["gender"], GENDER, "unknown", "gender", problems)
    age_band = _labels(raw["ageBroad"], AGE, "unknown", "ageBroad", problems)

    band_minor = age_band.isin(MINOR_BANDS).where(age_band.notna() & (age_band != "unknown"))
    stated_minor = _optional(raw, rel.majority, MAJORITY, "boolean", problems)
    problems.append(
        _reason_where(
            stated_minor.notna()
            & band_minor.notna()
            & (stated_minor != band_minor.astype("boolean")),
            f"{rel.majority}: disagrees with ageBroad",
        )
    )
    is_minor = band_minor.astype("boolean").fillna(stated_minor)
    at_exploit = _optional(raw, rel.majority_at_exploit, MAJORITY, "boolean", problems)
    problems.append(
        _reason_where(
            (at_exploit == False) & (band_minor == True),  # noqa: E712 (nullable booleans)
            "majorityStatusAtExploit: adult at exploitation but a minor at registration",
        )
    )

    datasource = _optional(raw, rel.datasource, DATASOURCE, "string", problems)
    months = _optional(raw, rel.months, MONTHS, schema.MONTHS, problems)

    country_counts = {"unmatched": {}, "unknown": {}}
    iso3 = {}
    iso3_of = _iso3_lookup(raw, ["citizenship", "CountryOfExploitation"], rel.codes)
    for column, tidy in [("citizenship", "citizenship"), ("CountryOfExploitation", "exploitation")]:
        iso3[tidy], reason, unmatched, unknown = _country(raw[column], iso3_of, rel.codes, column)
        problems.append(reason)
        country_counts["unmatched"][column] = unmatched
        country_counts["unknown"][column] = unknown

    flags = _flags(raw, rel, problems)
    table = pd.DataFrame(
        {
            "release": pd.Series(rel.name, index=raw.index, dtype="string"),
            "record_id": record_id.astype("string"),
            "year": year,
            "datasource": datasource,
            "gender": gender.astype("string"),
            "age_band": age_band.astype(schema.AGE_BAND),
            "is_minor": is_minor,
            "is_minor_at_exploit": at_exploit,
            "months_trafficked": months,
            "citizenship": iso3["citizenship"],
            "citizenship_un_region": countries.un_region(iso3["citizenship"]),
            "citizenship_eu27": countries.is_eu27(iso3["citizenship"]),
            "exploitation_country": iso3["exploitation"],
            "exploitation_un_region": countries.un_region(iso3["exploitation"]),
            "exploitation_eu27": countries.is_eu27(iso3["exploitation"]),
        },
        index=raw.index,
    )
    table = pd.concat([table, flags], axis=1)
    table["flag_false_means"] = pd.Series(rel.false_means, index=raw.index, dtype="string")
    return table, _first_reason(raw.index, problems), country_counts


def clean_release(
    name: str, path: Path | None = None, raw_root: Path | None = None
) -> tuple[Cleaned, dict]:
    """Clean one release: its table, its quarantine, and its part of the quality summary."""
    if name not in CODINGS:
        raise DataError(f"unknown CTDC release {name!r}; known: {', '.join(CODINGS)}")
    rel = CODINGS[name]
    path = Path(path) if path is not None else rel.raw_file(raw_root)
    raw = read_raw(rel, path)
    table, reason, country_counts = harmonise(raw, rel)
    rejected = reason.notna()
    parts = [
        accounting.quarantine(raw, reason == text, text).assign(release=rel.name)
        for text in sorted(reason[rejected].unique())
    ]
    empty = accounting.empty_quarantine(raw).assign(release=pd.Series(dtype="string"))
    quarantine = pd.concat(parts, ignore_index=True) if parts else empty
    cleaned = Cleaned(
        catalog.validate("victims", table[~rejected].reset_index(drop=True), str(path)), quarantine
    )
    quality = accounting.summarise(rel.name, len(raw), cleaned)
    quality.update(
        file=path.name,
        source=rel.source,
        country_codes=rel.codes,
        unmatched_country_codes=country_counts["unmatched"],
        unknown_country_codes=country_counts["unknown"],
        ignored_columns=[c for c in raw.columns if c in rel.ignored],
        unexpected_columns=[
            c for c in raw.columns if c not in (*rel.columns, *rel.flags, *rel.ignored)
        ],
        flags_in_release=sorted({FLAG_NAMES[c] for c in rel.flags if c in FLAG_NAMES}),
        flag_false_means=rel.false_means,
    )
    return cleaned, quality


def _stack_quarantine(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """One quarantine table: release, source_row, reason, then the raw columns as text."""
    rows = [f for f in frames if len(f)]
    stacked = pd.concat(rows, ignore_index=True) if rows else frames[0].iloc[0:0]
    front = ["release", "source_row", "reason"]
    columns = front + sorted(c for c in stacked.columns if c not in front)
    text = [c for c in columns if c != "source_row"]
    return stacked[columns].astype({c: "string" for c in text} | {"source_row": "int64"})


def clean(
    names: list[str] | None = None,
    raw_root: Path | None = None,
    files: dict[str, Path] | None = None,
) -> Victims:
    """Clean the named releases (all when None) into one table with a `release` column."""
    names = list(CODINGS) if names is None else list(names)
    if not names:
        raise DataError(f"no CTDC release to clean: name one or more of {', '.join(CODINGS)}")
    files = files or {}
    results = {name: clean_release(name, files.get(name), raw_root) for name in names}
    table = pd.concat([cleaned.table for cleaned, _ in results.values()], ignore_index=True)
    quarantine = _stack_quarantine([cleaned.quarantine for cleaned, _ in results.values()])
    by_release = {name: quality for name, (_, quality) in results.items()}
    totals = {
        key: sum(r[key] for r in by_release.values())
        for key in ("rows_in", "rows_out", "rows_quarantined")
    }
    quality = {
        "releases": by_release,
        "total": totals,
        "missingness": accounting.missingness(table),
    }
    return Victims(table, quarantine, quality)


def build(
    names: list[str] | None = None,
    raw_root: Path | None = None,
    output_dir: Path | None = None,
    files: dict[str, Path] | None = None,
) -> Victims:
    """Clean, then write. Nothing is written unless every release cleans and validates."""
    victims = clean(names, raw_root, files)
    catalog.write("victims", victims.table, output_dir)
    catalog.write("victims_quarantine", victims.quarantine, output_dir)
    catalog.write("victims_quality", victims.quality, output_dir)
    return victims
