"""The protected release (`analysis.publish.release`): one grid of citizenship x place of
exploitation per CTDC release, protected once, which every country profile slices.

The attack: three fixture countries whose profiles share cells ("citizens of A exploited in
B" is in A's destinations and in B's origins). Protected page by page, the pages together give
a small cell away; sliced from the release, they do not. The attacker here is an independent
linear programme over every number the pages publish, not the project's own audit."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from analysis import profiles as pr
from analysis.data.errors import DataError
from analysis.publish import disclosure
from analysis.publish import profile_views as pv
from analysis.publish import release as rel
from analysis.run import audit

YEARS = (2002, 2022)
# citizenship -> place of exploitation: records (all in the synthetic release, year 2010).
# Protected alone, AAA's destinations hide BBB (3) and, as its partner, the domestic 20;
# AAA's origins print the domestic 20, so the destinations' total gives BBB away.
GRID = {
    ("AAA", "BBB"): 3, ("AAA", "CCC"): 40, ("AAA", "AAA"): 20,
    ("CCC", "AAA"): 15, ("BBB", "AAA"): 12,
    ("BBB", "BBB"): 30, ("CCC", "CCC"): 25, ("BBB", "CCC"): 11, ("CCC", "BBB"): 14,
}  # fmt: skip
COUNTRIES = ("AAA", "BBB", "CCC")


def records(grid: dict = GRID) -> pd.DataFrame:
    rows = [(c, p) for (c, p), n in grid.items() for _ in range(n)]
    frame = pd.DataFrame(rows, columns=["citizenship", "exploitation_country"], dtype="string")
    return frame.assign(release="synthetic_2021", year=2010)


def page_tables(frame: pd.DataFrame, released: rel.Released | None) -> list[dict]:
    """The release comparison tables of every fixture profile, both roles, as published."""
    found = []
    for iso3 in COUNTRIES:
        for role in pr.ROLES:
            counts = pr.place_counts(frame, iso3, role)
            tables = pv.comparison_tables(counts, iso3, role, 10, YEARS, released)
            found += [t.record() for t in tables.values()]
    return found


def released(frame: pd.DataFrame) -> tuple[rel.Released, list[dict]]:
    tables = rel.build(frame, YEARS, 10)
    data = json.loads(json.dumps(rel.record(tables, YEARS, 10)))  # as the catalog keeps it
    return rel.Released(tuple(data["years"]), data["threshold"], data["tables"]), [
        t.record() for t in tables.values()
    ]


def cell_key(record: dict, key: list) -> tuple:
    """The (citizenship, place of exploitation) a published cell counts."""
    if record.get("base"):  # the release's grid
        return tuple(key)
    if "of" in record:  # a slice of the release: what it fixes
        ((dim, iso3),) = record["of"]["fixed"].items()
        is_dest = dim == "citizenship"
    else:  # a page's own table: its population says whose records
        is_dest = "citizens of" in record["population"]
        iso3 = record["population"].split(" of " if is_dest else " in ")[-1].split()[0]
    return (iso3, key[0]) if is_dest else (key[0], iso3)


def attack(records_: list[dict], grid: dict = GRID) -> list[tuple]:
    """Every hidden cell whose range, given all published numbers, misses a value from 1 to 9
    (small) or holds one value (secondary): one unknown per true cell of the grid, each
    published cell or total an equation or bound on the cells it covers."""
    cells = sorted(grid)
    at = {c: i for i, c in enumerate(cells)}
    rows, lower, upper = [], [], []
    hidden = set()
    for record in records_:
        keys = [cell_key(record, cell["key"]) for cell in record["cells"]]
        for cell, k in zip(record["cells"], keys, strict=True):
            if k not in at:
                continue
            low, high = disclosure._bounds_of(cell["shown"], record["threshold"])
            row = np.zeros(len(cells))
            row[at[k]] = 1
            rows.append(row), lower.append(low), upper.append(high)
            if not isinstance(cell["shown"], int):
                hidden.add((k, cell["shown"]))
        for total in record["sums"]:
            row = np.zeros(len(cells))
            for cell, k in zip(record["cells"], keys, strict=True):
                named = dict(zip(record["dims"], cell["key"], strict=True))
                if k in at and all(named[d] in vs for d, vs in total["of"].items()):
                    row[at[k]] = 1
            low, high = disclosure._bounds_of(total["shown"])
            rows.append(row), lower.append(low), upper.append(high)
    a = np.array(rows)
    a_ub = np.vstack([a, -a])
    b_ub = np.concatenate([np.where(np.isinf(upper), 1e6, upper), -np.array(lower)])
    found = []
    for k, shown in sorted(hidden):
        c = np.zeros(len(cells))
        c[at[k]] = 1
        low = linprog(c, A_ub=a_ub, b_ub=b_ub, bounds=(0, None)).fun
        most = linprog(-c, A_ub=a_ub, b_ub=b_ub, bounds=(0, None))
        high = np.inf if most.status == 3 else -most.fun
        pinned = high - low < 0.5
        narrowed = low > 1 + 1e-6 or high < 9 - 1e-6
        if pinned if shown == disclosure.SECONDARY else narrowed:
            found.append((k, shown, round(low), round(high)))
    return found


def test_pages_protected_alone_give_a_small_cell_away():
    leaks = attack(page_tables(records(), None))
    assert (("AAA", "BBB"), "<10", 3, 3) in leaks


def test_pages_that_slice_the_release_give_nothing_away():
    frame = records()
    release, grid = released(frame)
    pages = page_tables(frame, release)
    assert attack(pages + grid) == []
    # and every page shows a cell as the release does: the domestic AAA cell is hidden on both
    shown = {
        (r["of"]["fixed"].get("citizenship", c["key"][0]),
         r["of"]["fixed"].get("exploitation", c["key"][0])): c["shown"]
        for r in pages for c in r["cells"]
    }  # fmt: skip
    assert shown[("AAA", "AAA")] == disclosure.SECONDARY
    assert shown[("AAA", "BBB")] == "<10"


def test_the_release_grid_is_protected_with_its_totals():
    release, grid = released(records())
    (record,) = grid
    assert record["base"] is True
    # every fixture record is registered in 2010: the grid holds all of them
    assert record["population"] == "CTDC synthetic_2021: all records"
    kinds = [c["shown"] for c in record["cells"]]
    assert kinds.count("<10") == 1 and kinds.count(disclosure.SECONDARY) >= 2
    assert disclosure.exposed_cells(grid) == []
    assert release.covers([2002, 2022], 10) and not release.covers([2010, 2022], 10)
    assert not release.covers([2002, 2022], 5)


def write_run(folder, reports: dict[str, list[dict]]):
    results = folder / "results"
    results.mkdir(parents=True)
    for name, tables in reports.items():
        (results / f"{name}.json").write_text(json.dumps({"notebook": name, "results": {}}))
        body = {"notebook": name, "version": 1, "tables": tables}
        (results / f"{name}.tables.json").write_text(json.dumps(body))
    return folder


def test_the_audit_links_profiles_to_the_release(tmp_path):
    frame = records()
    release, grid = released(frame)
    reports = {"05_release": grid}
    for iso3 in COUNTRIES:
        reports[f"40_country_profile-{iso3}"] = [
            r for r in page_tables(frame, release) if iso3 in json.dumps(r["of"]["fixed"])
        ]
    result = audit.audit(write_run(tmp_path / "run", reports))
    assert result.status == 0
    assert result.summary()["hidden_cells"] > 0


def test_the_audit_catches_a_profile_published_outside_the_release(tmp_path):
    frame = records()
    _, grid = released(frame)
    counts = pr.place_counts(frame, "AAA", "origins")
    (alone,) = pv.comparison_tables(counts, "AAA", "origins", 10, YEARS).values()
    outside = alone.record()
    assert outside["cells"][[c["key"] for c in outside["cells"]].index(["AAA"])]["shown"] == 20
    outside["of"] = {"population": grid[0]["population"], "fixed": {"exploitation": "AAA"},
                     "rename": {"place": "citizenship"}}  # fmt: skip
    run = write_run(tmp_path / "run", {"05_release": grid, "40_country_profile-AAA": [outside]})
    result = audit.audit(run)
    assert result.status == 1
    exposed = result.summary()["exposed"]
    assert any(c["key"] == {"citizenship": "AAA", "exploitation": "BBB"} for c in exposed)


def test_a_release_older_than_the_records_is_an_error():
    frame = records()
    release, _ = released(frame)
    more = records({**GRID, ("AAA", "CCC"): 41})
    counts = pr.place_counts(more, "AAA", "destinations")
    with pytest.raises(DataError, match=r"shows 40 records .* give 41: re-run the release step"):
        pv.comparison_tables(counts, "AAA", "destinations", 10, YEARS, release)


def test_a_report_takes_the_releases_margins_as_the_release_publishes_them():
    """The records by gender of a whole release: the release hides the 3 transgender records
    and a partner; a report that adds the same records up gets that table, hidden cells and
    all, or an error when the records changed after the release step."""
    genders = ["female"] * 40 + ["male"] * 25 + ["transgender_nonconforming"] * 3
    frame = records().assign(gender=(genders * 3)[: len(records())])
    margins = rel.build_margins(frame.assign(age_band="unknown", is_minor=pd.NA,
                                             **dict.fromkeys(rel.FLAGS, pd.NA)))  # fmt: skip
    data = json.loads(json.dumps(rel.record({}, YEARS, 10, margins)))
    released = rel.Released(tuple(data["years"]), data["threshold"], {}, data["margins"])
    (table,) = released.margin(frame, "gender", 10).values()
    made = margins["gender"]["synthetic_2021"]
    assert table.hidden.to_dict() == made.hidden.to_dict()
    assert table.kinds()[("transgender_nonconforming",)] == "small"
    assert table.record() == made.record()
    with pytest.raises(DataError, match=r"shows \d+ records for \('female',\)"):
        released.margin(frame.assign(gender="female"), "gender", 10)
    # the same totals, counts moved between the hidden cells: the release's `<10` would now
    # be 10 or more (and its partner fewer); the error shows the count only as a reader may
    moved = frame.copy()
    males = moved.index[moved["gender"] == "male"][:5]
    moved.loc[males, "gender"] = "transgender_nonconforming"
    with pytest.raises(DataError, match=r"shows <10 records for \('transgender_nonconforming',\)"
                                        r".*give 11: re-run"):  # fmt: skip
        released.margin(moved, "gender", 10)
    fewer = frame.copy()
    fewer.loc[fewer.index[fewer["gender"] == "transgender_nonconforming"][:6], "gender"] = "male"
    assert len(fewer) == len(frame)  # all 6 transgender records now male: the `<10` is a 0
    with pytest.raises(DataError, match=r"shows <10 records .*give 0"):
        released.margin(fewer, "gender", 10)
    # another threshold: protected here as the release step would, not taken from it
    (other,) = released.margin(frame, "gender", 20).values()
    assert other.threshold == 20


def test_a_table_of_the_grids_own_cells_shows_them_as_the_release_does():
    """The trends report's corridors (citizenship x destination) count the grid's records:
    each cell is hidden where the grid hides it, linked to it for the audit; a table of other
    records (another population or threshold) is not the grid's."""
    release, grid = released(records())
    index = pd.MultiIndex.from_tuples([("AAA", "BBB"), ("AAA", "CCC"), ("CCC", "BBB")],
                                      names=["citizenship", "destination"])  # fmt: skip
    counts = pd.Series([3, 40, 14], index=index)
    population = grid[0]["population"]
    table = release.cells("synthetic_2021", counts, "corridors", population, 10)
    shown = {tuple(c["key"]): c["shown"] for c in grid[0]["cells"]}
    assert table.record()["cells"] == [
        {"key": [a, b], "shown": shown[a, b]} for a, b in index
    ]  # fmt: skip
    assert table.hidden.iloc[0] and table.kinds().iloc[0] == "small"
    assert disclosure.canonical(table.record())["dims"] == ["citizenship", "exploitation"]
    assert disclosure.exposed_cells([*grid, table.record()]) == []
    assert release.cells("synthetic_2021", counts, "c", "other records", 10) is None
    assert release.cells("synthetic_2021", counts, "c", population, 11) is None
    with pytest.raises(DataError, match="citizenship AAA, exploitation CCC"):
        release.cells("synthetic_2021", counts.replace(40, 41), "c", population, 10)
    with pytest.raises(DataError, match="shows <10 records for citizenship AAA, exploitation BBB"):
        release.cells("synthetic_2021", counts.replace(3, 12), "c", population, 10)
