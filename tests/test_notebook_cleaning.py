"""00_data_sources, 01_clean_victims and 02_clean_enforcement executed with papermill on the
registered files: what a reader sees (findings, headlines, the tables written beside the
report)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from analysis.data import sources
from analysis.run import pipeline

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
RAW_FORMS = ("<NA>", "nan", "NaN", "True", "False")


def run(name: str, tmp_path: Path, **parameters) -> tuple[dict, Path]:
    report_dir = tmp_path / "report"
    outcome = pipeline.execute(NOTEBOOKS / f"{name}.ipynb", tmp_path / "out.ipynb",
                               {**parameters, "report_dir": str(report_dir)})  # fmt: skip
    assert outcome.ok, outcome.error
    results = json.loads((report_dir / "results" / f"{name}.json").read_text())["results"]
    return results, report_dir / "tables" / name


def cells(folder: Path) -> dict[str, list[list[str]]]:
    return {p.stem: list(csv.reader(p.open(encoding="utf-8"))) for p in folder.glob("*.csv")}


def findings_cells(executed: Path) -> list[dict]:
    notebook = json.loads(executed.read_text())
    return [c for c in notebook["cells"] if "findings" in c.get("metadata", {}).get("tags", [])]


@pytest.mark.realdata
@pytest.mark.slow
def test_data_sources_report_lists_every_file_once_in_words(tmp_path):
    results, folder = run("00_data_sources", tmp_path)
    inventory = sources.inventory()
    n_ok = int((inventory["state"] == "ok").sum())
    assert results["files_ok"] == n_ok and results["files_registered"] == len(inventory)
    assert results["headline"] == [
        f"{n_ok} of {len(inventory)} registered raw files, from {inventory['source'].nunique()} "
        "sources, are present here and match their registered checksum (sha256)."
    ]
    [header, *rows] = cells(folder)["files"]
    assert header == ["source", "file", "vintage", "size (kB)", "state here"]
    assert [r[1] for r in rows] == inventory["file"].tolist()
    titles = [r[0] for r in rows if r[0]]  # each source named once, by its title
    assert len(titles) == inventory["source"].nunique() == len(set(titles))
    assert {r[4] for r in rows} <= {"present, checksum matches", "missing", "checksum differs"}
    assert len(findings_cells(tmp_path / "out.ipynb")) == 1
    shown = ["".join(o.get("data", {}).get("text/markdown", ""))
             for c in json.loads((tmp_path / "out.ipynb").read_text())["cells"]
             for o in c.get("outputs", [])]  # fmt: skip
    [cited] = [text for text in shown if "*Cite:*" in text]
    assert "(`crim_thb`)" in cited and "``" not in cited  # identifiers as code, wrapped once


@pytest.mark.realdata
@pytest.mark.slow
def test_victims_cleaning_report_accounts_for_every_raw_row_in_words(tmp_path):
    results, folder = run("01_clean_victims", tmp_path, output_dir=str(tmp_path / "out"))
    total = results["total"]
    assert results["headline"][0] == (
        f"{total['rows_out']:,} CTDC victim records from 3 releases cleaned into one table; "
        f"{total['rows_quarantined']:,} raw rows quarantined."
    )
    shown = cells(folder)
    [header, *rows] = shown["row_accounting"]
    assert header == ["release", "raw rows", "rows in the table", "rows quarantined", "reasons"]
    assert sum(int(r[1].replace(",", "")) for r in rows) == total["rows_in"]
    recorded = sum(
        n
        for release in ("synthetic_2021", "kanon_2021", "global_2020")
        for kind in ("unknown_country_codes", "unmatched_country_codes")
        for codes in results[release][kind].values()
        for n in codes.values()
    )
    shown_codes = sum(int(r[-1].replace(",", "")) for r in shown["country_codes"][1:])
    assert shown_codes == recorded > 0  # every unknown and unmatched code, with its rows
    [header, *rows] = shown["missingness"]
    assert header[0] == "column" and len(header) == 4
    assert [r[0] for r in rows][:2] == ["record identifier", "year of registration"]
    assert all(v.endswith("%") for r in rows for v in r[1:])
    assert len(findings_cells(tmp_path / "out.ipynb")) == 1


@pytest.mark.realdata
@pytest.mark.slow
def test_enforcement_cleaning_report_tables_read_as_text(tmp_path):
    results, folder = run("02_clean_enforcement", tmp_path, output_dir=str(tmp_path / "out"))
    quality = json.loads((tmp_path / "out" / "quality" / "enforcement.json").read_text())
    written = {v: r["rows_written"] for v, r in quality["glotip"].items()}
    assert results["glotip_cells_written"] == written
    shown = cells(folder)
    assert {"row_accounting", "us_tip", "eurostat", "belarus_glotip"} <= set(shown)
    for name, rows in shown.items():
        for row in rows:
            assert not any(c in RAW_FORMS or c.endswith(".0") for c in row), (name, row)
            assert not any("_" in c for c in rows[0]), (name, rows[0])  # headers in words
    accounting = {r[0]: r[1:] for r in shown["row_accounting"][1:]}
    assert accounting["GLOTIP export 2025"][0] == f"{quality['glotip']['2025']['rows_in']:,}"
    years = [r[0] for r in shown["belarus_glotip"][1:]]
    assert years == [str(y) for y in range(2003, 2013)]  # years without separators
    assert len(findings_cells(tmp_path / "out.ipynb")) == 1
