"""The disclosure audit of a run (`python -m analysis audit`) on run folders written by hand:
table records as `Report.save` writes them, linked across reports of the same population."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.publish import bounds, disclosure
from analysis.run import audit, cli
from analysis.run.index_page import render

PEOPLE = "victims in the fixture"
AGES = ("child", "adult", "older")


def table(name, dims, cells, sums=(), population=PEOPLE, threshold=10, partial=()):
    """A table record: `cells` maps a key tuple to what the table shows."""
    return {
        "name": name,
        "population": population,
        "threshold": threshold,
        "dims": list(dims),
        "partial": list(partial),
        "cells": [{"key": list(key), "shown": shown} for key, shown in cells.items()],
        "sums": [{"of": of, "shown": shown} for of, shown in sums],
    }


def write_run(folder: Path, reports: dict[str, list[dict]], version: int = 1) -> Path:
    """A run folder: results/<report>.json and .tables.json per report, and a manifest."""
    results = folder / "results"
    results.mkdir(parents=True)
    for name, tables in reports.items():
        (results / f"{name}.json").write_text(json.dumps({"notebook": name, "results": {}}))
        records = {"notebook": name, "version": version, "tables": tables}
        (results / f"{name}.tables.json").write_text(json.dumps(records))
    notebooks = {name: {"status": "ok"} for name in reports}
    (folder / "manifest.json").write_text(json.dumps({"notebooks": notebooks}))
    return folder


BY_GENDER = table("Victims by gender", ["gender"], {("female",): 64, ("male",): 67})


def by_age(female: tuple) -> dict:
    """Victims by gender and age: the female cells given, the male ones all shown."""
    cells = {("female", age): shown for age, shown in zip(AGES, female, strict=True)}
    cells |= {("male", age): shown for age, shown in zip(AGES, (40, 12, 15), strict=True)}
    return table("Victims by gender and age", ["gender", "age"], cells)


ENFORCEMENT = table(
    "Convictions by year",
    ["year"],
    {("2019",): 120, ("2020",): "<10", ("2021",): "(s)"},
    sums=[({}, 150)],
    population="persons convicted",
)


def cli_run(argv, capsys) -> tuple[int, str, str]:
    status = cli.main(argv)
    out, err = capsys.readouterr()
    return status, out, err


def states_a_three(text: str) -> bool:
    """Whether a text states the number 3 (not as part of 33, 0.3 or 2023)."""
    return re.search(r"(?<![\d.,])3(?:\.0+)?(?![\d.,])", text) is not None


# Passing and failing runs.


def test_tables_that_hold_together_pass(tmp_path, capsys):
    # 10_a publishes the female total 64; 20_b shows 28, <10, (s) for the women: together a
    # reader learns only that <10 + (s) = 36, so <10 may be 1 to 9 and (s) 27 to 35.
    run = write_run(
        tmp_path / "run",
        {
            "00_sources": [],
            "10_a": [BY_GENDER],
            "20_b": [by_age((28, "<10", "(s)"))],
            "30_c": [ENFORCEMENT],
        },
    )
    status, out, err = cli_run(["audit", str(run)], capsys)
    assert (status, err) == (0, "")
    lines = out.splitlines()
    per_report = {line.split()[0]: line for line in lines if line and line.split()[0][:2].isdigit()}
    assert list(per_report) == ["00_sources", "10_a", "20_b", "30_c"]
    assert lines[0].split() == ["report", "tables", "hidden", "cells", "narrowest", "range"]
    assert re.fullmatch(r"20_b\s+1\s+2\s+\[(1, 9|27, 35)\]", per_report["20_b"])
    assert re.fullmatch(r"00_sources\s+0\s+0\s+-", per_report["00_sources"])
    # 30_c: 120 + <10 + (s) = 150, so (s) lies in 21 .. 29 and <10 in 1 .. 9.
    assert re.fullmatch(r"30_c\s+1\s+2\s+\[(1, 9|21, 29)\]", per_report["30_c"])
    assert lines[-1].startswith(
        "Disclosure audit: 3 tables in 4 reports, 4 hidden cells, none recoverable: no hidden "
        "count can be worked out from everything the run publishes"
    )


def test_two_reports_of_one_population_pin_a_small_cell_only_together(tmp_path, capsys):
    # 64 women in 10_a; 28 + 33 + <10 women in 20_b: the <10 cell is 64 - 61.
    run = write_run(tmp_path / "run-a", {"10_a": [BY_GENDER], "20_b": [by_age((28, 33, "<10"))]})
    for alone in ("10_a", "20_b"):
        assert audit.audit(run, [alone]).status == 0
    status, out, err = cli_run(["audit", str(run)], capsys)
    assert (status, err) == (1, "")
    assert (
        "20_b, table 'Victims by gender and age', cell {gender: female, age: older} (small): "
        "feasible range pinned to one value"
    ) in out
    assert out.splitlines()[-1].startswith("Disclosure audit FAILED: 1 hidden cell recoverable")
    assert not states_a_three(out)
    status, out, _ = cli_run(["audit", str(run), "--json"], capsys)
    summary = json.loads(out)
    assert status == 1 and summary["passed"] is False
    exposed = [(c["report"], c["table"], c["key"], c["kind"]) for c in summary["exposed"]]
    assert exposed == [
        ("20_b", "Victims by gender and age", {"gender": "female", "age": "older"}, "small")
    ]
    assert not states_a_three(out)
    # What the lead's reference, exposed_cells over all records, finds: the same cell.
    records = [BY_GENDER, by_age((28, 33, "<10"))]
    reference = disclosure.exposed_cells(records)
    assert [(c["table"], c["key"]) for c in reference] == [
        ("Victims by gender and age", ["female", "older"])
    ]


def test_json_summary_parses_and_holds_the_counts(tmp_path, capsys):
    run = write_run(tmp_path / "run", {"10_a": [BY_GENDER], "30_c": [ENFORCEMENT]})
    status, out, _ = cli_run(["audit", str(run), "--json"], capsys)
    summary = json.loads(out)
    assert status == 0
    assert (summary["tables"], summary["reports"], summary["hidden_cells"]) == (2, 2, 2)
    assert [r["report"] for r in summary["per_report"]] == ["10_a", "30_c"]
    assert summary["per_report"][0]["narrowest"] is None  # no hidden cell
    narrowest = summary["per_report"][1]["narrowest"]["range"]
    assert (narrowest["low"], narrowest["high"]) in {(1, 9), (21, 29)}
    assert summary["exposed"] == [] and summary["inconsistent"] == []


def test_a_withheld_margin_tells_a_reader_nothing(tmp_path):
    # 20_b withholds its female total, `(s)`: the <10 cell may still be anything from 1 to 9.
    withheld = dict(by_age((28, 33, "<10")), sums=[{"of": {"gender": ["female"]}, "shown": "(s)"}])
    summary = audit.audit(write_run(tmp_path / "run", {"20_b": [withheld]})).summary()
    assert summary["passed"] and summary["narrowest"]["range"] == {"low": 1, "high": 9, "width": 8}
    published = dict(withheld, sums=[{"of": {"gender": ["female"]}, "shown": 64}])
    summary = audit.audit(write_run(tmp_path / "run2", {"20_b": [published]})).summary()
    assert not summary["passed"]


# Inconsistent published numbers.


def test_a_margin_its_cells_do_not_add_up_to_is_named(tmp_path, capsys):
    cells = {("female", age): n for age, n in zip(AGES, (60, 40, 20), strict=True)}
    wrong = table("Forms by gender", ["gender", "age"], cells, sums=[({"gender": ["female"]}, 121)])
    hidden = {("female", "child"): 100, ("female", "adult"): "<10"}
    beyond = table("By age", ["gender", "age"], hidden, sums=[({}, 120)])
    run = write_run(tmp_path / "run", {"30_definitions": [wrong, beyond]})
    status, out, _ = cli_run(["audit", str(run)], capsys)
    assert status == 1
    assert (
        "results/30_definitions.tables.json, table 'Forms by gender', margin {gender: [female]}: "
        "cells add up to 120, the margin reads 121"
    ) in out
    assert (
        "results/30_definitions.tables.json, table 'By age', margin {}: cells add up to "
        "[101, 109], the margin reads 120"
    ) in out


def test_reports_whose_common_margins_disagree_are_named(tmp_path, capsys):
    # 64 women in 10_a, 28 + 33 + 2 shown in 20_b: each table holds, the two cannot both.
    run = write_run(tmp_path / "run", {"10_a": [BY_GENDER], "20_b": [by_age((28, 33, 2))]})
    status, out, _ = cli_run(["audit", str(run)], capsys)
    assert status == 1
    assert (
        f"population {PEOPLE!r}: the published numbers of 10_a, table 'Victims by gender'; "
        "20_b, table 'Victims by gender and age' cannot all hold"
    ) in out
    # The same through the linear program, when a hidden cell lies between them.
    run = write_run(tmp_path / "run2", {"10_a": [BY_GENDER], "20_b": [by_age((28, 33, "(s)"))]})
    by_gender = dict(BY_GENDER, cells=[{"key": ["female"], "shown": 20}, BY_GENDER["cells"][1]])
    (run / "results/10_a.tables.json").write_text(
        json.dumps({"notebook": "10_a", "version": 1, "tables": [by_gender]})
    )
    status, out, _ = cli_run(["audit", str(run)], capsys)
    assert status == 1 and "10_a, table 'Victims by gender'; 20_b" in out


# Runs that cannot be audited: one line, exit 2.


def test_a_run_without_records_is_one_line_and_status_2(tmp_path, capsys):
    run = tmp_path / "2026-01-01T000000Z"
    (run / "results").mkdir(parents=True)
    (run / "results/10_a.json").write_text("{}")
    status, out, err = cli_run(["audit", str(run)], capsys)
    assert (status, out) == (2, "")
    assert err.count("\n") == 1
    assert err.endswith(": no disclosure records (made by a version before the audit); re-run it\n")
    status, _, err = cli_run(["audit", str(tmp_path / "nowhere")], capsys)
    assert status == 2 and err.endswith("nowhere: no such run folder\n")


def test_a_report_of_the_manifest_without_records_is_named(tmp_path, capsys):
    run = write_run(tmp_path / "run", {"10_a": [BY_GENDER], "20_b": []})
    (run / "results/20_b.tables.json").unlink()
    status, out, err = cli_run(["audit", str(run)], capsys)
    assert (status, out, err.count("\n")) == (2, "", 1)
    assert "20_b without disclosure records" in err and "re-run them" in err


def test_a_record_of_another_version_is_refused(tmp_path, capsys):
    run = write_run(tmp_path / "run", {"10_a": [BY_GENDER]}, version=0)
    status, out, err = cli_run(["audit", str(run)], capsys)
    assert (status, out, err.count("\n")) == (2, "", 1)
    assert "results/10_a.tables.json: disclosure records of version 0" in err


def test_a_record_that_is_no_table_is_refused(tmp_path, capsys):
    broken = dict(BY_GENDER, cells=[{"key": ["female", "extra"], "shown": 64}])
    run = write_run(tmp_path / "run", {"10_a": [broken]})
    status, _, err = cli_run(["audit", str(run)], capsys)
    assert status == 2 and "table 'Victims by gender': not a table record" in err


def test_the_default_run_is_reports_latest(project, capsys):
    run = write_run(project / "reports/2026-01-01T000000Z", {"10_a": [BY_GENDER]})
    (project / "reports/latest").symlink_to(run.name)
    status, out, _ = cli_run(["audit", "--json"], capsys)
    assert status == 0 and json.loads(out)["run"] == run.name


# The index page of a run shows the verdict, and each exposed cell without its value.


def manifest_with(found: dict) -> dict:
    git = {"commit": None, "dirty": False}
    return {"run_id": "r", "created_utc": "t", "git": git, "python": "3.11", "seconds": 1.0,
            "notebooks": {}, "sources": {}, "audit": found}  # fmt: skip


def test_index_names_each_exposed_cell_or_the_passing_verdict(tmp_path):
    leaking = write_run(tmp_path / "a", {"10_a": [BY_GENDER], "20_b": [by_age((28, 33, "<10"))]})
    page = render(manifest_with(audit.audit(leaking).summary()), leaking)
    section = page[page.index('<div class="audit-failed">') :].split("</div>")[0]
    assert "Disclosure audit failed" in section and "not published" in section
    assert "20_b, table &#39;Victims by gender and age&#39;, cell {gender: female, " in section
    assert "age: older} (small): feasible range pinned to one value" in section
    assert not states_a_three(section)
    holding = write_run(tmp_path / "b", {"10_a": [BY_GENDER]})
    page = render(manifest_with(audit.audit(holding).summary()), holding)
    assert "Disclosure audit: 1 table in 1 report, 0 hidden cells, none recoverable: " in page


# The audit against the plain linear programs, on random linked tables.


def random_run(seed: int) -> list[dict]:
    """Three tables of one population (a grid of counts over three dimensions), each by two
    of its dimensions or all three, with the margins of its first dimension, small cells
    hidden and about half the others too: some cells are exposed, some not."""
    rng = np.random.default_rng(seed)
    levels = {"a": ["a0", "a1", "a2"], "b": ["b0", "b1", "b2"], "c": ["c0", "c1"]}
    index = pd.MultiIndex.from_product(levels.values(), names=list(levels))
    counts = pd.Series(rng.choice([0, 2, 5, 12, 30, 70], size=len(index)), index=index)
    records = []
    shapes = [["a", "b"], ["a", "c"], ["b", "c"], ["a", "b", "c"]]
    for k in rng.permutation(len(shapes))[:3]:
        dims = shapes[k]
        grid = counts.groupby(level=dims).sum()
        sums = disclosure.margins(grid, [(dims[0],)])
        hidden = disclosure.is_small(grid) | (rng.random(len(grid)) < 0.5)
        cells = {}
        for key, value, hide in zip(grid.index, grid, hidden, strict=True):
            small = disclosure.is_small(value)
            cells[key] = "<10" if small else ("(s)" if hide and value else int(value))
        totals = []
        for pattern in sums:
            value = int(grid.iloc[table_members(grid, pattern)].sum())
            totals.append((pattern, "<10" if disclosure.is_small(value) else value))
        records.append(table(f"t{k}", dims, cells, sums=totals))
    return records


def table_members(grid: pd.Series, pattern: dict) -> np.ndarray:
    keep = np.ones(len(grid), dtype=bool)
    for dim, values in pattern.items():
        keep &= np.isin(grid.index.get_level_values(dim), values)
    return np.flatnonzero(keep)


def plain_exposed(records: list[dict]) -> list[dict]:
    """The reference: two programs per hidden cell on the whole linked system
    (`System.ranges`, no parts, nothing settled), judged by `disclosure.is_exposed`."""
    system, unknowns = disclosure.feasible_system(records)
    found = []
    for t, (record, ids) in enumerate(zip(records, unknowns, strict=True)):
        for i, (cell, unknown) in enumerate(zip(record["cells"], ids, strict=True)):
            if isinstance(cell["shown"], int):
                continue
            low, high = system.ranges([unknown])[0]
            if disclosure.is_exposed(records, t, i, low, high):
                found.append({"table": record["name"], "key": cell["key"], "range": (low, high)})
    return found


@pytest.mark.parametrize("seed", range(12))
def test_the_audit_agrees_with_plain_linear_programs(tmp_path, seed):
    records = random_run(seed)
    run = write_run(tmp_path / "run", {f"{k}0_r": [r] for k, r in enumerate(records, 1)})
    summary = audit.audit(run).summary()
    reference = plain_exposed(records)
    assert 0 < len(reference) < summary["hidden_cells"]  # the fixture tells both apart
    found = {(c["table"], tuple(c["key"].values())): c["range"] for c in summary["exposed"]}
    assert sorted(found) == sorted((c["table"], tuple(c["key"])) for c in reference)
    for cell in reference:  # the same ranges, where they may be printed
        expected = audit.range_record(*cell["range"])
        got = found[cell["table"], tuple(cell["key"])]
        assert got.keys() == expected.keys()
        assert list(got.values()) == pytest.approx(list(expected.values()), abs=1e-6)
    # exposed_cells, on the same engine as the audit, finds the same cells and ranges.
    engine = disclosure.exposed_cells(records)
    assert [(c["table"], c["key"]) for c in engine] == [(c["table"], c["key"]) for c in reference]
    for ours, plain in zip(engine, reference, strict=True):
        assert (ours["low"], ours["high"]) == pytest.approx(plain["range"], abs=1e-6)
    # Every range of the plain programs, for the narrowest width and the engine's ranges.
    system, unknowns = disclosure.feasible_system(records)
    pairs = [zip(r["cells"], ids, strict=True) for r, ids in zip(records, unknowns, strict=True)]
    hidden = [u for cell, u in itertools.chain(*pairs) if not isinstance(cell["shown"], int)]
    plain_ranges = system.ranges(hidden)
    widths = [high - low for low, high in plain_ranges]
    assert summary["hidden_cells"] == len(hidden)
    if hidden:
        assert summary["narrowest"]["range"]["width"] == pytest.approx(min(widths), abs=1e-6)
    ranges = bounds.Ranges(system, hidden)  # no test: every range is solved
    np.testing.assert_allclose([ranges.range(u) for u in hidden], plain_ranges, atol=1e-6)
    for u, (low, high) in zip(hidden, plain_ranges, strict=True):
        seen_low, seen_high = ranges.seen(u)  # what settling saw lies within the range
        assert low - 1e-6 <= seen_low <= seen_high <= high + 1e-6


def test_a_range_is_printed_only_when_it_leaves_two_values():
    assert audit.range_text(1, 9) == "[1, 9]"
    assert audit.range_text(12, float("inf")) == "[12, ∞)"
    for low, high in ((3, 3), (2.5, 3.6), (3, 3.9)):
        assert audit.range_text(low, high) == audit.PINNED
        assert audit.range_record(low, high) == {"pinned": True, "width": round(high - low, 6)}
    assert audit.range_text(2.5, 4) == "[2.5, 4]"
    assert list(itertools.starmap(audit.one_value, [(0, 1), (0.5, 1.49)])) == [False, True]


# GLOTIP figures: UNODC's `<5` cells, the ranges of sums over them, and reports linked through
# the export's country totals (`bounded.glotip_record`, `bounded.country_totals_record`).


def glotip_totals(values: dict[tuple[str, int], tuple[int, int]]) -> pd.DataFrame:
    """Country totals of victims detected: (iso3, year) -> (lower, upper)."""
    rows = [{"indicator": "victims", "sex": "Total", "iso3": iso3, "year": year,
             "lower": lo, "upper": hi} for (iso3, year), (lo, hi) in values.items()]  # fmt: skip
    return pd.DataFrame(rows)


TOTALS = glotip_totals({("AAA", 2020): (1, 4), ("BBB", 2020): (12, 12), ("CCC", 2020): (7, 7)})


def test_a_glotip_record_shows_small_cells_and_sums_over_them_as_ranges():
    from analysis.publish import bounded

    record = bounded.country_totals_record("sums", "2025", TOTALS, [["indicator", "year"]])
    assert [c["shown"] for c in record["cells"]] == ["<5", 12, 7]
    assert record["sums"] == [{"of": {"indicator": ["victims"], "year": ["2020"]},
                               "shown": "20–23"}]  # fmt: skip
    assert record["threshold"] == 5 and record["population"] == (
        "GLOTIP 2025: published country totals"
    )
    assert disclosure.exposed_cells([record]) == []


def test_the_audit_reads_glotip_ranges_and_catches_an_exact_sum_over_a_small_cell(tmp_path):
    """20 publishes the world sum as the range it is; a profile that printed the sum of AAA and
    BBB as one number (15) would give AAA's `<5` away (3), linked through the totals."""
    from analysis.publish import bounded

    base = bounded.country_totals_record("totals", "2025", TOTALS, base=True)
    world = bounded.country_totals_record("world", "2025", TOTALS, [["indicator", "year"]])
    run = write_run(tmp_path / "ranges", {"20_e": [base, world]})
    result = audit.audit(run)
    assert result.status == 0 and result.summary()["hidden_cells"] == 2  # AAA in each table
    wrong = bounded.country_totals_record(
        "region", "2025", TOTALS.iloc[:2], [["indicator", "year"]]
    )
    wrong["sums"][0]["shown"] = 15  # what a bug would print instead of "13–16"
    run = write_run(tmp_path / "exact", {"20_e": [base, world], "40_p": [wrong]})
    found = audit.audit(run)
    assert found.status == 1
    aaa = {"indicator": "victims", "sex": "Total", "iso3": "AAA", "year": "2020"}
    exposed = [(c["report"], c["table"], c["key"]) for c in found.summary()["exposed"]]
    assert exposed == [("20_e", "totals", aaa), ("20_e", "world", aaa), ("40_p", "region", aaa)]


def test_a_range_text_is_read_as_its_bounds_and_is_not_a_hidden_cell():
    assert disclosure._bounds_of("1,234–1,246") == (1234.0, 1246.0)
    assert not disclosure.is_hidden("53–56") and not disclosure.is_hidden(7)
    assert disclosure.is_hidden("<5") and disclosure.is_hidden(disclosure.SECONDARY)
    with pytest.raises(ValueError, match="a published cell reads '12-14'"):
        disclosure._bounds_of("12-14")
