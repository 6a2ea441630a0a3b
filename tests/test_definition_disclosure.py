"""The definitions report under the disclosure rule: one protected grid per release, shares only
where the grid fixes them, and no number that lets a reader recover a hidden cell, alone or
with the release's margins (issue 14)."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_definitions import victim_records

from analysis import catalog
from analysis import victims as vic
from analysis.data.errors import DataError
from analysis.definitions import instruments as ins
from analysis.definitions import mapping as mp
from analysis.definitions import shares
from analysis.publish import bounds, disclosure
from analysis.publish import definition_views as views
from analysis.publish import release as rel

T_NC = "transgender_nonconforming"


@pytest.fixture(scope="module")
def mapping() -> pd.DataFrame:
    return mp.load_mapping()


@pytest.fixture(scope="module")
def kanon(mapping) -> dict:
    """The real kanon_2021 records, their grid and the tables both reports publish of them."""
    victims = catalog.read("victims")
    records = victims[victims["release"] == "kanon_2021"]
    named = shares.ctdc_named_counts(records, mapping)
    return {
        "records": records,
        "named": named,
        "grids": views.protect_named(named, 10),
        "by_gender": rel.margin_tables(records, "gender"),
    }


def grid(cells: dict, release: str = "r") -> pd.Series:
    """A complete ctdc_named_counts-like grid: `cells` maps (gender, age_group, named) to a
    count; every other cell is zero."""
    index = pd.MultiIndex.from_product(
        [[release], vic.DOMAINS["gender"], vic.DOMAINS["age_group"], list(shares.NAMED)],
        names=["release", "gender", "age_group", "named"],
    )
    counts = pd.Series(0, index=index, dtype="int64")
    for (gender, age, named), value in cells.items():
        counts[(release, gender, age, named)] = value
    return counts


def test_the_named_categories_count_each_record_once_and_nest(mapping):
    records = victim_records()
    named = shares.first_named(records, mapping)
    assert named.notna().all()
    counts = shares.ctdc_named_counts(records, mapping)
    assert counts.sum() == len(records)
    table = shares.explicit_shares(counts).set_index(["release", "instrument"])
    # kanon: 3, 4 and 5 of the 6 records with a known form (test_definitions, by hand)
    assert table.loc[("kanon_2021", ins.PALERMO_2000.key), "explicit"] == 3
    assert table.loc[("kanon_2021", ins.EU_2011.key), "explicit"] == 4
    assert table.loc[("kanon_2021", ins.EU_2024.key), "explicit"] == 5
    assert (table["known_form"].xs("kanon_2021") == 6).all()


def test_a_mapping_that_breaks_the_nesting_is_refused(mapping):
    broken = mapping.copy()
    row = broken["category"].eq("is_sexual_exploit")
    broken.loc[row, ins.EU_2011.key] = "open_ended"  # named by Palermo, not by EU 2011
    with pytest.raises(ValueError, match="not nested"):
        shares.first_named(victim_records(), broken)


def test_the_issue_14_leak_is_caught_by_the_audit_and_closed(kanon):
    """Today's reports: 01 publishes 64 transgender/non-conforming records of kanon_2021; 30
    published the group by age with its adults (count and 100% share) and its unknown age
    shown, the children as `<10`. Together they pin the children."""
    records, by_gender = kanon["records"], kanon["by_gender"]
    known = mp.form_known(records)
    frame = records.assign(age_group=pd.Series(vic.age_group(records), index=records.index),
                           form=known.map({True: "known", False: "unknown"}))  # fmt: skip
    domains = {"gender": vic.DOMAINS["gender"], "age_group": vic.DOMAINS["age_group"],
               "form": ["known", "unknown"]}  # fmt: skip
    counts = vic.cell_counts(frame, domains)
    old = disclosure.CountTable("old 30", vic.population("kanon_2021"), counts,
                                counts.index.get_level_values("form") == "unknown")  # fmt: skip
    old.hidden = pd.Series(np.asarray(old.hidden), index=counts.index)
    old.hidden |= disclosure.is_small(counts, 10).to_numpy()
    found = disclosure.exposed_cells([by_gender["kanon_2021"].record(), old.record()])
    assert [(c["key"], c["kind"]) for c in found] == [([T_NC, "child (0-17)", "known"], "small")]
    assert found[0]["high"] - found[0]["low"] < 10 - 2  # narrower than 1..9
    assert disclosure.exposed_cells([old.record()]) == []  # the leak needs both reports
    # after the fix: the grid, the cleaning table and what the shares publish
    grids = kanon["grids"]
    assert disclosure.exposed_cells([by_gender["kanon_2021"].record(),
                                     grids["kanon_2021"].record()]) == []  # fmt: skip
    groups = views.protect_shares(shares.explicit_shares(kanon["named"], shares.GROUPING), grids)
    published = views.results_shares(groups, ["release", *shares.GROUPING])
    adults = published["kanon_2021"][T_NC]["adult (18+)"]
    assert all(r["count"] is None and r["total"] is None for r in adults.values())
    assert disclosure.check_results(published) == []


def test_every_published_share_is_fixed_by_the_grid(kanon):
    grids = kanon["grids"]
    for by in ([], shares.GROUPING):
        table = views.protect_shares(shares.explicit_shares(kanon["named"], by), grids)
        shown = table[~table["suppressed"]]
        for row in shown.to_dict("records"):
            count, rest = views._share_patterns(row, by)
            assert grids["kanon_2021"].determined(count) and grids["kanon_2021"].determined(rest)
            assert not disclosure.is_small(row["explicit"], 10)
        hidden = table[table["suppressed"]]
        assert hidden["share"].isna().all() and hidden["lower"].isna().all()


PAL, EU11, EU24 = ins.PALERMO_2000.key, ins.EU_2011.key, ins.EU_2024.key


def realistic_grid() -> pd.Series:
    """Two genders x two age groups, one small cell (female adults first named by EU 2024)."""
    rows = {("female", "adult (18+)"): (500, 40, 3, 100, 50),
            ("female", "child (0-17)"): (200, 30, 0, 60, 20),
            ("male", "adult (18+)"): (300, 25, 0, 80, 30),
            ("male", "child (0-17)"): (100, 20, 0, 40, 10)}  # fmt: skip
    named = (PAL, EU11, EU24, shares.NOT_NAMED, shares.FORM_UNKNOWN)
    return grid({(g, a, n): v for (g, a), values in rows.items()
                 for n, v in zip(named, values, strict=True)})  # fmt: skip


def test_a_small_gain_that_the_totals_would_give_away_is_withheld():
    """EU 2024 adds 3 records: the release total (published by the release step too) minus
    the other columns would give it, so a second column total is withheld with it."""
    tables = views.protect_named(realistic_grid(), 10)
    gains = [tables["r"].sum_text({"named": [n]}, words=True) for n in (PAL, ins.COE_2005.key)]
    gains += [tables["r"].sum_text({"named": [n]}, words=True) for n in (EU11, EU24)]
    assert gains == ["1,100", "0", "115", "an undisclosed number"]  # what the notebook says
    # nor are the records with a known form: those of unknown form are not fixed
    assert not bounds.pinned(*tables["r"].sum_range({"named": [shares.FORM_UNKNOWN]}))
    shown = views.named_table(tables)
    assert shown.loc[("r", "female", "adult (18+)"), views.NAMED_LABELS[EU24]] == "<10"
    totals = shown.loc[("r", "all", "all")]
    assert (totals == "(s)").sum() == 2 and totals[views.NAMED_LABELS[EU24]] == "(s)"
    assert disclosure.exposed_cells([t.record() for t in tables.values()]) == []


def test_a_share_the_grid_leaves_open_is_a_range_that_holds_the_truth():
    counts = realistic_grid()
    tables = views.protect_named(counts, 10)
    table = views.protect_shares(shares.explicit_shares(counts, shares.GROUPING), tables)
    hidden = table[table["suppressed"]]
    assert len(hidden) and hidden["share"].isna().all()
    truth = hidden["explicit"] / hidden["known_form"]
    assert ((hidden["share_min"] <= truth + 1e-12) & (truth <= hidden["share_max"] + 1e-12)).all()
    text = views.share_column(hidden)
    assert text.str.fullmatch(r"\d+\.\d%(–\d+\.\d%)?|\d+\.\d–\d+\.\d%").all(), text.tolist()


@settings(max_examples=8, deadline=None)
@given(st.lists(st.sampled_from([0, 0, 0, 1, 2, 4, 7, 9, 10, 12, 25, 60, 300]),
                min_size=24, max_size=24))  # fmt: skip
def test_after_protection_no_report_pair_pins_a_cell(values):
    """Random grids over two genders, two age groups and the six categories (a gender's total
    not small: `test_a_grid_whose_published_totals_are_themselves_small_is_refused`): the grid
    and the release's gender table together never pin a hidden cell, and every range
    holds the true share."""
    genders, ages = vic.DOMAINS["gender"][:2], vic.DOMAINS["age_group"][:2]
    keys = [(g, a, n) for g in genders for a in ages for n in shares.NAMED]
    cells = dict(zip(keys, values, strict=True))
    for gender, age in itertools.product(genders, ages):  # shared totals are not small
        cells[(gender, age, PAL)] += 25
    counts = grid(cells)
    tables = views.protect_named(counts, 10)
    by_gender = counts.groupby(level="gender").sum()
    by_gender.index = pd.MultiIndex.from_arrays([by_gender.index], names=["gender"])
    cleaning = disclosure.protect("g", vic.population("r"), by_gender,
                                  disclosure.margins(by_gender, [()]))  # fmt: skip
    records = [cleaning.record(), tables["r"].record()]
    assert disclosure.exposed_cells(records) == []
    table = views.protect_shares(shares.explicit_shares(counts, shares.GROUPING), tables)
    for row in table.to_dict("records"):
        assert row["share_min"] - 1e-9 <= row["explicit"] / row["known_form"]
        assert row["explicit"] / row["known_form"] <= row["share_max"] + 1e-9
    text = json.dumps(views.results_shares(table, shares.GROUPING))
    assert disclosure.check_results(json.loads(text)) == []


def test_a_range_of_the_grid_is_what_linear_programming_gives():
    table = views.protect_named(realistic_grid(), 10)["r"]
    low, high = table.sum_range({"gender": ["female"], "age_group": ["adult (18+)"],
                                 "named": [EU24]})  # fmt: skip
    assert low <= 1 and high >= 9  # the small cell's whole range
    assert not bounds.pinned(low, high)


def test_the_report_takes_its_grids_from_the_release_at_its_threshold(kanon):
    """At the release's threshold the definitions report restores the grids the release step
    protected (the same shown cells and sums); at another it protects its own."""
    records, named = kanon["records"], kanon["named"]
    margins = {"gender": rel.margin_tables(records, "gender")}
    before = rel.Released.of(json.loads(json.dumps(rel.record({}, (2002, 2022), 10, margins))))
    made, held = views.named_grids(named, records, 10, before)
    assert not held
    reports = {"definitions": [({"threshold": 10}, made)]}
    data = json.loads(json.dumps(rel.record({}, (2002, 2022), 10, margins, reports)))
    taken, held = views.named_grids(named, records, 10, rel.Released.of(data))
    assert held and {r: t.record() for r, t in taken.items()} == {
        r: t.record() for r, t in made.items()
    }  # fmt: skip
    other, held = views.named_grids(named, records, 12, rel.Released.of(data))
    assert not held and other["kanon_2021"].threshold == 12


def test_the_eu_only_counts_are_read_as_the_grids_column_of_their_text(kanon, mapping):
    """Records that only one EU text names, by category, are the records of the grid's column
    of that text: the audit links the two, so a count that no longer adds up to the grid's
    column is caught as numbers that cannot all hold."""
    grids = kanon["grids"]
    eu_only = shares.eu_only_counts(kanon["records"], mapping)
    _, _, tables = views.eu_only_published(eu_only, 10, grids)
    records = [g.record() for g in grids.values()] + [t.record() for t in tables]
    assert disclosure.exposed_cells(records) == []
    table = next(t for t in tables if (t.counts > 0).all() and not t.hidden.any())
    assert disclosure.canonical(table.record())["dims"] == ["category", "named"]
    wrong = table.record()
    wrong["cells"][0] = {**wrong["cells"][0], "shown": wrong["cells"][0]["shown"] + 1}
    wrong["sums"] = []  # the total alone would give the change away too
    others = [g.record() for g in grids.values()]
    with pytest.raises(bounds.Inconsistent):
        disclosure.exposed_cells([*others, wrong])


def test_the_eu_only_tables_come_from_the_release_at_its_threshold(kanon, mapping):
    """The release step protects the EU-only tables with the grids; the report restores them
    (the same shown cells and sums) and never protects one of its own at the defaults."""
    grids = kanon["grids"]
    eu_only = shares.eu_only_counts(kanon["records"], mapping)
    _, record, made = views.eu_only_published(eu_only, 10, grids)
    recorded = eu_only[eu_only["recorded_in_release"]]
    keys = list(recorded.groupby(["release", "first_explicit_in"], sort=False).groups)
    held = {
        views.eu_only_part(r, t): table.record() for (r, t), table in zip(keys, made, strict=True)
    }
    _, again, taken = views.eu_only_published(eu_only, 10, grids, held)
    assert again == record
    assert [t.record() for t in taken] == [t.record() for t in made]
    assert all(t.of["fixed"] == m.of["fixed"] for t, m in zip(taken, made, strict=True))
    with pytest.raises(DataError, match="re-run the release step"):
        views.eu_only_published(eu_only, 10, grids, {})
