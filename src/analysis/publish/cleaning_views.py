"""What the cleaning reports show: the warnings of 01 and 02, and the tables of 02. They publish
no count of victim records by a coded column: the release step does (`publish.release`)."""

from __future__ import annotations

import pandas as pd

from analysis.clean import glotip
from analysis.data.releases import release_label
from analysis.publish import tables
from analysis.publish.bounded import format_bounds

# --- What readers are warned of ------------------------------------------------------------------


MOST_QUARANTINED = 0.5  # a release or export with more of its rows quarantined: a warning


def quarantine_warnings(parts: dict[str, dict]) -> list[str]:
    """A warning per part (label: its row accounting) that quarantined most of its rows."""
    return [
        f"{label}: {q['rows_quarantined']:,} of its {q['rows_in']:,} raw rows "
        f"({q['rows_quarantined'] / q['rows_in']:.0%}) were quarantined, so what the reports "
        "show of it rests on the few rows left; its coding may have changed."
        for label, q in parts.items()
        if q["rows_in"] and q["rows_quarantined"] > MOST_QUARANTINED * q["rows_in"]
    ]


def cleaning_warnings(quality: dict) -> list[str]:
    """A CTDC release mostly quarantined, or with columns the cleaning does not know."""
    by_release = quality["releases"]
    found = quarantine_warnings({release_label(n): q for n, q in by_release.items()})
    found += [
        f"{release_label(n)} has columns that the cleaning does not know and did not read "
        f"({', '.join(q['unexpected_columns'])}): the release's coding may have changed."
        for n, q in by_release.items()
        if q.get("unexpected_columns")
    ]
    return found


def enforcement_warnings(quality: dict) -> list[str]:
    """A warning for a GLOTIP export that the cleaning mostly quarantined."""
    return quarantine_warnings({f"The GLOTIP {v} export": q for v, q in quality["glotip"].items()})


# --- The enforcement cleaning report (02) --------------------------------------------------------


def glotip_reasons(quality: dict) -> tables.Table:
    """GLOTIP rows quarantined per reason and export (0 where a reason does not occur)."""
    frame = pd.DataFrame({f"export {v}": r["quarantined_by_reason"] for v, r in quality.items()})
    frame = frame.fillna(0).astype(int).rename_axis("reason").reset_index()
    return tables.Table(frame, caption="GLOTIP rows quarantined, by reason")


def glotip_suppressed(quality: dict, quarantines: dict[str, pd.DataFrame]) -> tables.Table:
    """Suppressed ('<5') cells: in the export, kept, quarantined; values with separators."""
    frame = pd.DataFrame(
        {
            f"export {v}": {
                "'<5' cells in the export": r["suppressed_cells_in"],
                "'<5' cells kept": r["suppressed_cells_kept"],
                "'<5' cells in quarantined rows": int(
                    (quarantines[v]["txtVALUE"] == glotip.SUPPRESSED).sum()
                ),
                "values with a thousands separator": r["values_with_thousands_separator"],
            }
            for v, r in quality.items()
        }
    )
    frame = frame.rename_axis("cells").reset_index()
    return tables.Table(frame, caption="Suppressed cells and thousands separators")


def glotip_repeats(quality: dict) -> tables.Table:
    """Groups of repeated keys by kind, rows with a repeated key and rows removed by summing."""
    repeated = {v: r["repeated_keys"] for v, r in quality.items()}
    kinds = sorted({k for r in repeated.values() for k in r["groups_by_kind"]})
    frame = pd.DataFrame(
        {
            f"export {v}": {f"groups: {k}": r["groups_by_kind"].get(k, 0) for k in kinds}
            | {
                "rows with a repeated key": r["rows_with_repeated_key"],
                "rows removed by summing": r["rows_removed_by_summing"],
            }
            for v, r in repeated.items()
        }
    )
    frame = frame.rename_axis("repeated keys").reset_index()
    return tables.Table(frame, caption="Repeated keys, summed")


def bounds_text_column(lower: pd.Series, upper: pd.Series) -> list[str]:
    """Bounds as text, '–' (missing) where there is no figure."""
    texts = format_bounds(lower.to_numpy(), upper.to_numpy()).tolist()
    return [t or tables.MISSING for t in texts]


def belarus_series_view(table: pd.DataFrame, years: range = range(2003, 2013)) -> tables.Table:
    """Belarus headline totals per year and indicator in a GLOTIP export (ranges for '<5')."""
    blr = table[(table["iso3"] == "BLR") & (table["dimension"] == "Total")
                & (table["sex"] == "Total") & (table["age"] == "Total")
                & table["year"].isin(list(years))]  # fmt: skip
    frame = pd.DataFrame({"year": list(years)})
    for indicator, part in blr.groupby("indicator"):
        part = part.set_index("year").reindex(list(years))
        frame[indicator] = bounds_text_column(part["lower"], part["upper"])
    return tables.Table(frame, caption="Belarus in GLOTIP, all sexes and ages",
                        note="A range such as 1–4 is a suppressed ('<5') cell.")  # fmt: skip


def us_tip_view(tip: pd.DataFrame) -> tables.Table:
    """The US TIP table as transcribed (no addresses or notes), secondary rows marked."""
    frame = tip.drop(columns=["source_address", "note"])
    taken_from = frame["is_secondary"].map({True: "secondary", False: "report"})
    frame = frame.assign(is_secondary=taken_from)
    labels = {
        "prosecutions_labor": "of which labour", "convictions_labor": "of which labour",
        "victims_identified": "victims identified", "victims_identified_labor": "of which labour",
        "new_or_amended_legislation": "new or amended laws", "tip_report_edition": "TIP edition",
        "is_secondary": "taken from",
    }  # fmt: skip
    return tables.Table(
        frame, caption="US TIP Report: global law-enforcement figures", labels=labels,
        note="'secondary': taken from a page that quotes the report; 'report': from the report.",
    )  # fmt: skip
