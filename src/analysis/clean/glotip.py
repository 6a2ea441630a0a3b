"""UNODC GLOTIP country data (data_glotip.xlsx exports) to one tidy, validated long table.

The export is text: two banner rows before the header, `<5` for suppressed cells, `1,192` for
thousands, and junk rows per vintage. Every raw row ends up in the table or the quarantine;
repeated keys are summed explicitly, never left for a pivot to pick one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis import catalog
from analysis.clean import accounting
from analysis.data import countries, releases, sources
from analysis.data.errors import DataError
from analysis.schemas.enforcement import GLOTIP_CHECKS

VINTAGES = {v.name: v.source for v in releases.GLOTIP.values()}
COLUMNS = ["Iso3_code", "Country", "Region", "Subregion", "Indicator", "Dimension", "Category",
           "Sex", "Age", "Year", "Unit of measurement", "txtVALUE", "Source"]  # fmt: skip
BANNER = "UNODC"
HEADER_ROWS = 3  # banner, export date, header: data row i is spreadsheet row i + 4
SUPPRESSED = "<5"
SUPPRESSED_BOUNDS = (1, 4)  # "<5" is 1 to 4: a published zero is written as 0
DATE_LIKE_ABOVE = 200_000  # PAK/SLE/AND/SLV convictions such as 6,112,019 are dates, not counts
NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+|\d+")
KEY = ["iso3", "year", "indicator", "dimension", "category", "sex", "age"]
MAPPING_FILE = Path(__file__).resolve().parents[1] / "mappings" / "glotip_citizenship.csv"
COUNTRY_DIMENSIONS = ["by citizenship", "by country of repatriation"]
MAPPING_KINDS = ["nationals", "foreigners", "stateless", "unknown", "region", "total", "other"]
OTHER_FORMS = "Other forms of exploitation"


@dataclass
class Vintage:
    """One export after cleaning: the tidy table, its quarantine and what was done to it."""

    vintage: str
    cleaned: accounting.Cleaned  # row level: every raw row is in `table` or `quarantine`
    table: pd.DataFrame  # after summing repeated keys: one row per key
    quality: dict
    published: pd.DataFrame | None = None  # `table` before `check_totals`: as UNODC published


def excel_rows(index: pd.Index, limit: int = 10) -> str:
    rows = [str(i + HEADER_ROWS + 1) for i in index[:limit]]
    more = f" and {len(index) - limit} more" if len(index) > limit else ""
    return ", ".join(rows) + more


def read_export(path: Path) -> pd.DataFrame:
    """The first sheet as text, its layout checked: a sheet without the banner, or with a
    renamed or moved column, is refused (`skiprows=2` would take a data row as the header).
    calamine reads the 58,769-row export in about 1 s (openpyxl: about 6 s)."""
    with pd.ExcelFile(path, engine="calamine") as book:
        sheet = book.sheet_names[0]
        grid = pd.read_excel(
            book, sheet_name=sheet, header=None, dtype=str, keep_default_na=False, na_values=[""]
        )
    if grid.shape[0] < HEADER_ROWS or str(grid.iat[0, 0]).strip() != BANNER:
        first = "empty" if grid.empty else repr(grid.iat[0, 0])
        raise DataError(
            f"{path}, sheet {sheet!r}: row 1 should be the {BANNER!r} banner (two banner rows, "
            f"then the header in row 3), found {first}; is this a GLOTIP data-portal export?"
        )
    header = [str(v).strip() for v in grid.iloc[2].tolist()]
    accounting.check_columns(
        header, COLUMNS, f"{path}, sheet {sheet!r}, header row 3", "GLOTIP layout"
    )
    data = grid.iloc[HEADER_ROWS:].reset_index(drop=True)
    data.columns = COLUMNS
    data = data.astype("string").apply(lambda col: col.str.strip())
    return data.assign(sheet=sheet, export_date=str(grid.iat[1, 0]).strip())


def read_vintage(vintage: str, raw_root: Path | None = None) -> tuple[pd.DataFrame, Path]:
    """The raw rows of one registered vintage, parsed once (`sources.cached_parse`)."""
    path = sources.raw_path(VINTAGES[vintage], raw_root=raw_root)
    return sources.cached_parse(path, read_export, "glotip-raw"), path


def parse_values(raw: pd.DataFrame, path: Path | str = "") -> pd.DataFrame:
    """`txtVALUE` as numbers: `<5` is suppressed (bounds 1-4), `1,192` is 1192."""
    text = raw["txtVALUE"]
    units = raw["Unit of measurement"] != "Counts"
    if units.fillna(True).any():
        raise DataError(
            f"{path}, sheet {raw['sheet'].iat[0]!r}, column 'Unit of measurement': not 'Counts' "
            f"in rows {excel_rows(raw.index[units.fillna(True).astype(bool)])}"
        )
    suppressed = text == SUPPRESSED
    number = text.str.fullmatch(NUMBER.pattern).fillna(False).astype(bool)
    bad = ~(suppressed.fillna(False) | number)
    if bad.any():
        sheet = raw["sheet"].iat[0] if "sheet" in raw else "?"
        examples = sorted(map(repr, text[bad].fillna("<empty>").unique()[:5]))
        raise DataError(
            f"{path}, sheet {sheet!r}, column 'txtVALUE': {int(bad.sum())} value(s) are neither a "
            f"count nor {SUPPRESSED!r} ({', '.join(examples)}) in rows "
            f"{excel_rows(raw.index[bad])}"
        )
    value = pd.to_numeric(text.where(number).str.replace(",", "", regex=False)).astype("Int64")
    low, high = SUPPRESSED_BOUNDS
    return pd.DataFrame(
        {
            "value": value,
            "is_suppressed": suppressed.astype("boolean"),
            "lower": value.mask(suppressed, low).astype("Int64"),
            "upper": value.mask(suppressed, high).astype("Int64"),
        },
        index=raw.index,
    )


def parse_years(raw: pd.DataFrame, path: Path | str = "") -> pd.Series:
    year = pd.to_numeric(raw["Year"], errors="coerce").astype("Int64")
    bad = year.isna() | (year < 1990) | (year > 2100)
    if bad.any():
        raise DataError(
            f"{path}, sheet {raw['sheet'].iat[0]!r}, column 'Year': not a year in rows "
            f"{excel_rows(raw.index[bad])} ({sorted(set(raw['Year'][bad].fillna('<empty>')))[:5]})"
        )
    return year


def junk_reasons(raw: pd.DataFrame, values: pd.DataFrame) -> pd.Series:
    """The first reason each junk row is rejected, <NA> for rows to keep (order matters)."""
    iso3 = raw["Iso3_code"]
    valid = countries.to_iso3(iso3, src="ISO3").notna()
    rules = [
        ("questionnaire code as category (Q6.…)", raw["Category"].str.startswith("Q6.")),
        (f"date-like value above {DATE_LIKE_ABOVE:,}", values["value"] > DATE_LIKE_ABOVE),
        ("no ISO3 code (Sark, part of the Bailiwick of Guernsey)", iso3.isna()),
        ("not a country code (regional aggregate or combined territory)", iso3.notna() & ~valid),
    ]
    reason = pd.Series(pd.NA, index=raw.index, dtype="string")
    for text, mask in rules:
        reason = reason.mask(reason.isna() & mask.fillna(False).astype(bool), text)
    return reason


def load_mapping(path: Path = MAPPING_FILE) -> pd.DataFrame:
    """The reviewed citizenship mapping: label -> ISO3 or one of MAPPING_KINDS, with a note."""
    table = sources.read_csv(path, dtype="string")
    known = set(countries.converter().data["ISO3"])
    bad = ~(table["target"].isin(known) | table["target"].isin(MAPPING_KINDS))
    if bad.any() or table["label"].duplicated().any():
        raise DataError(
            f"{path}: column 'target' must be an ISO3 code or one of {MAPPING_KINDS}, and each "
            f"label must appear once; bad rows {list(table.index[bad] + 2)}, repeated labels "
            f"{table['label'][table['label'].duplicated()].tolist()}"
        )
    return table


def map_categories(frame: pd.DataFrame, mapping: pd.DataFrame) -> pd.DataFrame:
    """Add `category_iso3` and `category_kind` for citizenship and repatriation categories
    (kind 'unmapped' for a label missing from the mapping)."""
    lookup = mapping.set_index("label")["target"]
    target = frame["category"].map(lookup).astype("string")
    in_scope = frame["dimension"].isin(COUNTRY_DIMENSIONS)
    is_country = target.str.len().eq(3) & target.str.isupper()
    kind = target.where(~is_country.fillna(False).astype(bool), "country")
    kind = kind.mask(frame["category"].isna(), "unknown").fillna("unmapped")
    return frame.assign(
        category_iso3=target.where(in_scope & is_country.fillna(False).astype(bool)),
        category_kind=kind.where(in_scope).astype("string"),
    )


def repeat_kind(frame: pd.DataFrame) -> pd.Series:
    """Name the two known kinds of repeated key, each a cell's parts whose label the export
    dropped; anything else is 'unrecognised'. Age parts labelled Total: e.g. BGR 2019 female
    victims 31 and 322 are the 0-17 and 18+ rows. Sub-forms of other exploitation: begging,
    criminal activity, forced marriage, organ removal, mixed, other."""
    kind = pd.Series("unrecognised", index=frame.index, dtype="string")
    age_parts = (
        (frame["dimension"] == "Total") & (frame["sex"] != "Total") & (frame["age"] == "Total")
    )
    kind = kind.mask(age_parts, "age parts labelled Total")
    return kind.mask(frame["category"] == OTHER_FORMS, "sub-forms of other exploitation")


def aggregate_repeats(table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Sum rows that share a key; return (table, unrecognised repeats, report). A sum with a
    `<5` part is suppressed, its bounds the parts' sums; unrecognised repeats are not summed
    but returned for the quarantine."""
    repeated = table.duplicated(KEY, keep=False)
    kind = repeat_kind(table)
    unrecognised = repeated & (kind == "unrecognised")
    single = table[~repeated].assign(n_parts=1)
    parts = table[repeated & ~unrecognised]
    summed = (
        parts.groupby(KEY, dropna=False, sort=False)
        .agg(
            country=("country", "first"),
            value=("value", lambda s: s.sum() if s.notna().all() else pd.NA),
            is_suppressed=("is_suppressed", "any"),
            lower=("lower", "sum"),
            upper=("upper", "sum"),
            vintage=("vintage", "first"),
            source_row=("source_row", "min"),
            n_parts=("source_row", "size"),
            category_iso3=("category_iso3", "first"),
            category_kind=("category_kind", "first"),
        )
        .reset_index()
    )
    out = pd.concat([single, summed[single.columns]], ignore_index=True)
    out = out.astype(single.dtypes.to_dict()).astype({"n_parts": "Int64"})
    groups = parts.assign(kind=kind[parts.index]).groupby(KEY + ["kind"], dropna=False).size()
    report = {
        "rows_with_repeated_key": int(repeated.sum()),
        "summed_rows": int(len(parts)),
        "summed_groups": int(len(summed)),
        "rows_removed_by_summing": int(len(parts) - len(summed)),
        "groups_by_kind": {k: int(v) for k, v in groups.groupby(level="kind").size().items()},
        "groups_by_size": accounting.counts(summed["n_parts"]),
        "unrecognised_rows": int(unrecognised.sum()),
    }
    return out, table[unrecognised], report


# --- The export against itself: totals and their parts, rows without a total ---------------------

TOTAL_REBUILT, TOTAL_BELOW_PARTS, NO_TOTAL = GLOTIP_CHECKS
GROUP = ["iso3", "year", "indicator"]


def _is_total(frame: pd.DataFrame) -> pd.Series:
    return (
        (frame["dimension"] == "Total") & (frame["category"] == "Total")
        & (frame["sex"] == "Total") & (frame["age"] == "Total")
    )  # fmt: skip


def total_parts(table: pd.DataFrame) -> pd.DataFrame:
    """Per country, year and indicator: the bounds of the sum of the total's parts by sex (each
    sex's all-ages row, else its age rows), or by age where no sex is given; whether every part
    is exact; and `published`, the exact parts alone (a publisher's `<5` may hold a zero)."""
    head = (table["dimension"] == "Total") & (table["category"] == "Total")
    by_sex = table[head & (table["sex"] != "Total")]
    whole = by_sex[by_sex["age"] == "Total"]
    rest = by_sex.merge(whole[[*GROUP, "sex"]], on=[*GROUP, "sex"], how="left", indicator=True)
    by_sex = pd.concat([whole, rest[rest["_merge"] == "left_only"].drop(columns="_merge")])
    by_age = table[head & (table["sex"] == "Total") & (table["age"] != "Total")]
    by_age = by_age.merge(by_sex[GROUP].drop_duplicates(), on=GROUP, how="left", indicator=True)
    parts = pd.concat([by_sex, by_age[by_age["_merge"] == "left_only"].drop(columns="_merge")])
    exact = parts["lower"] == parts["upper"]
    return (
        parts.assign(exact=exact, published=parts["lower"].where(exact, 0))
        .groupby(GROUP, dropna=False)
        .agg(
            parts_lower=("lower", "sum"),
            parts_upper=("upper", "sum"),
            exact=("exact", "all"),
            published=("published", "sum"),
        )  # fmt: skip
        .reset_index()
    )


def check_totals(table: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """The export against itself, each finding marked in `check`: a total below its exact parts
    by sex (or age) is rebuilt as their sum (Germany's 2022 victims: `<5`, parts 1,294); one
    below its exact parts beside a `<5` part is kept and marked; a row by citizenship or
    repatriation without a total is marked. Returns the table and the counts per rule."""
    table = table.assign(check=pd.Series(pd.NA, index=table.index, dtype="string"))
    total = _is_total(table)
    found = table[total].reset_index().merge(total_parts(table), on=GROUP, how="inner")
    exact_below = found["exact"] & (found["upper"] < found["parts_lower"])
    below = found[exact_below | (found["upper"] < found["published"])]
    rebuilt = below[below["exact"]]
    at = rebuilt["index"].to_numpy()
    for column in ("value", "lower", "upper"):
        table.loc[at, column] = rebuilt["parts_lower"].to_numpy()
    table.loc[at, "is_suppressed"] = False
    table.loc[at, "check"] = TOTAL_REBUILT
    table.loc[below.loc[~below["exact"], "index"].to_numpy(), "check"] = TOTAL_BELOW_PARTS
    with_total = table.loc[total, GROUP].drop_duplicates().assign(has_total=True)
    rows = table[table["dimension"].isin(COUNTRY_DIMENSIONS)].reset_index()
    rows = rows.merge(with_total, on=GROUP, how="left")
    table.loc[rows.loc[rows["has_total"].isna(), "index"].to_numpy(), "check"] = NO_TOTAL
    largest = rebuilt.assign(gap=rebuilt["parts_lower"] - rebuilt["upper"]).nlargest(10, "gap")
    report = {
        "totals_rebuilt_from_parts": len(rebuilt),
        "totals_below_parts_kept": int((~below["exact"]).sum()),
        "rows_without_a_total": int((table["check"] == NO_TOTAL).sum()),
        "largest_rebuilt": [
            {
                "iso3": r.iso3,
                "year": int(r.year),
                "indicator": r.indicator,
                "published": "<5" if r.is_suppressed else int(r.upper),
                "rebuilt": int(r.parts_lower),
            }
            for r in largest.itertuples()
        ],  # fmt: skip
    }
    return table, report


def sort_table(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(KEY + ["source_row"], na_position="first", kind="stable").reset_index(
        drop=True
    )


def clean(raw: pd.DataFrame, vintage: str, path: Path | str = "") -> Vintage:
    """One raw export to the tidy table; a pure function of the raw rows."""
    missing = [c for c in COLUMNS if c not in raw]
    if missing:
        raise DataError(f"{path}: columns {missing} are missing from the GLOTIP rows")
    values = parse_values(raw, path)
    year = parse_years(raw, path)
    reasons = junk_reasons(raw, values)
    keep = reasons.isna()
    rejected = [accounting.quarantine(raw, reasons == r, r) for r in reasons.dropna().unique()]
    kept = raw[keep]
    rows = pd.DataFrame(
        {
            "iso3": kept["Iso3_code"],
            "country": kept["Country"],
            "year": year[keep],
            **{c.lower(): kept[c] for c in ["Indicator", "Dimension", "Category", "Sex", "Age"]},
            **values[keep],
            "vintage": pd.Series(vintage, index=kept.index, dtype="string"),
            "source_row": kept.index.astype("int64"),
        }
    )
    rows = map_categories(rows, load_mapping())
    table, unrecognised, repeats = aggregate_repeats(rows)
    if len(unrecognised):
        rejected.append(
            accounting.quarantine(
                raw,
                raw.index.isin(unrecognised["source_row"]),
                "repeated key of an unrecognised kind",
            )
        )
        rows = rows[~rows["source_row"].isin(unrecognised["source_row"])]
    quarantined = pd.concat([accounting.empty_quarantine(raw), *rejected], ignore_index=True)
    cleaned = accounting.Cleaned(rows, quarantined.sort_values("source_row", ignore_index=True))
    published = sort_table(table)
    table, consistency = check_totals(table)
    table = catalog.validate("glotip", sort_table(table), f"glotip {vintage} ({path})")
    quality = accounting.summarise(f"glotip {vintage}", len(raw), cleaned)
    quality |= {
        "file": Path(path).name,
        "sheet": str(raw["sheet"].iat[0]) if len(raw) else "",
        "export_date": str(raw["export_date"].iat[0]) if len(raw) else "",
        "suppressed_cells_in": int((raw["txtVALUE"] == SUPPRESSED).sum()),
        "suppressed_cells_kept": int(cleaned.table["is_suppressed"].sum()),
        "values_with_thousands_separator": int(
            raw["txtVALUE"].str.contains(",", regex=False).sum()
        ),
        "repeated_keys": repeats,
        "rows_written": len(table),
        "categories": category_report(cleaned.table),
        "consistency": consistency,
    }
    return Vintage(vintage, cleaned, table, quality, published)


def category_report(rows: pd.DataFrame) -> dict:
    """How citizenship/repatriation labels were mapped, and how the mojibake ones fared."""
    in_scope = rows[rows["dimension"].isin(COUNTRY_DIMENSIONS)]
    mojibake = in_scope[in_scope["category"].str.contains("\ufffd", regex=False).fillna(False)]
    return {
        "rows_by_kind": accounting.counts(in_scope["category_kind"]),
        "mojibake_rows": len(mojibake),
        "mojibake_labels": int(mojibake["category"].nunique()),
        "mojibake_rows_by_kind": accounting.counts(mojibake["category_kind"]),
        "unmapped_labels": sorted(
            in_scope.loc[in_scope["category_kind"] == "unmapped", "category"].unique().tolist()
        ),
    }


def vintage_cells(
    new: pd.DataFrame, old: pd.DataFrame, suffixes: tuple[str, str] = ("_new", "_old")
) -> pd.DataFrame:
    """Every cell of either vintage, with its bounds in each and its `status`: added, dropped,
    revised or unchanged. Cells are compared on their bounds, so `<5` against `<5` is
    unchanged and `<5` against 3 is revised."""
    cols = KEY + ["lower", "upper"]
    both = new[cols].merge(old[cols], on=KEY, how="outer", suffixes=suffixes, indicator=True)
    lower, upper = (both[f"{b}{suffixes[0]}"].eq(both[f"{b}{suffixes[1]}"]) for b in cols[-2:])
    status = pd.Series("revised", index=both.index, dtype="string")
    status = status.mask((lower & upper).fillna(False).astype(bool), "unchanged")
    status = status.mask(both["_merge"] == "left_only", "added")
    status = status.mask(both["_merge"] == "right_only", "dropped")
    return both.drop(columns="_merge").assign(status=status)


def vintage_diff(new: pd.DataFrame, old: pd.DataFrame) -> pd.DataFrame:
    """`vintage_cells` counted per indicator, dimension and status (of `Vintage.published`)."""
    summary = (
        vintage_cells(new, old)
        .groupby(["indicator", "dimension", "status"])
        .agg(
            cells=("year", "size"),
            countries=("iso3", "nunique"),
            first_year=("year", "min"),
            last_year=("year", "max"),
        )
        .reset_index()
    )
    return summary.astype(dict.fromkeys(["cells", "countries", "first_year", "last_year"], "Int64"))


def revisions(cells: pd.DataFrame, recent: tuple[int, ...] = (2021, 2022)) -> dict:
    """What a newer export changed (`vintage_cells`): cells added (share in `recent` years),
    dropped (share of citizenship categories), revised, and the revised headline totals."""
    added, dropped = cells[cells["status"] == "added"], cells[cells["status"] == "dropped"]
    revised = cells[cells["status"] == "revised"]
    headline = (revised["dimension"] == "Total") & (revised["sex"] == "Total")
    return {
        "added": len(added),
        "added_recent_share": float(added["year"].isin(recent).mean()),
        "dropped": len(dropped),
        "dropped_citizenship_share": float((dropped["dimension"] == "by citizenship").mean()),
        "revised": len(revised),
        "revised_totals": revised[headline & (revised["age"] == "Total")],
    }


def clean_vintages(
    vintages: list[str] | None = None, raw_root: Path | None = None
) -> dict[str, Vintage]:
    """Read (cached) and clean each vintage (all when None); writes nothing."""
    vintages = list(VINTAGES) if vintages is None else list(vintages)
    unknown = [v for v in vintages if v not in VINTAGES]
    if not vintages or unknown:
        raise DataError(
            f"GLOTIP vintages to clean: {', '.join(map(repr, unknown)) or 'none given'}; "
            f"name one or more of {', '.join(VINTAGES)}"
        )
    results = {}
    for vintage in vintages:
        raw, path = read_vintage(vintage, raw_root)
        results[vintage] = clean(raw, vintage, path)
    return results


def write(results: dict[str, Vintage], output_dir: Path | None = None) -> None:
    table = pd.concat([r.table for r in results.values()], ignore_index=True)
    quarantined = pd.concat(
        [r.cleaned.quarantine.assign(vintage=r.vintage) for r in results.values()],
        ignore_index=True,
    )
    diff = None
    if {"2025", "2023"} <= set(results):
        diff = catalog.validate(
            "glotip_vintage_diff",
            vintage_diff(results["2025"].published, results["2023"].published),
            "glotip vintage diff",
        )
    catalog.write("glotip", table, output_dir)
    catalog.write("glotip_quarantine", quarantined, output_dir)
    if diff is not None:
        catalog.write("glotip_vintage_diff", diff, output_dir)
    else:  # an older diff no longer describes these outputs
        catalog.remove("glotip_vintage_diff", output_dir)
