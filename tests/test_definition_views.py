"""What the definitions report may publish: hidden shares, their texts, tables and records."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest
from test_definitions import glotip_rows, victim_records

from analysis import catalog, proportions
from analysis.definitions import instruments as ins
from analysis.definitions import mapping as mp
from analysis.definitions import shares
from analysis.publish import definition_views as views
from analysis.publish import disclosure


@pytest.fixture(scope="module")
def mapping() -> pd.DataFrame:
    return mp.load_mapping()


def test_share_text_formats_and_suppresses():
    table = pd.DataFrame(
        {
            "share": [0.5, None, 0.1, None],
            "lower": [0.25, None, 0.05, None],
            "upper": [0.75, None, 0.2, None],
            "suppressed": [False, True, True, False],
        }  # fmt: skip
    )
    assert views.share_column(table, 10).tolist() == [
        "50.0% (25.0–75.0)",
        "suppressed (<10)",
        "suppressed (<10)",  # a hidden row never shows its share
        "",  # no share and nothing hidden: nothing to say
    ]


def _protected(records, mapping, by=None, threshold=10):
    named = shares.ctdc_named_counts(records, mapping)
    grids = views.protect_named(named, threshold)
    return views.protect_shares(shares.explicit_shares(named, by), grids, threshold)


def test_small_cells_suppress_the_share_and_interval(mapping):
    """Seven records: every cell and every total is small. Two small cells of a `<10` total
    cannot both reach 9, so each must reach what the small totals alone allow."""
    records = victim_records()
    named = shares.ctdc_named_counts(records, mapping)
    grids = views.protect_named(named, 10)
    assert all(t.hidden[t.counts > 0].all() for t in grids.values())
    assert disclosure.exposed_cells([t.record() for t in grids.values()]) == []
    protected = views.protect_shares(shares.explicit_shares(named), grids, 10)
    assert protected["suppressed"].all()
    assert protected["share"].isna().all() and protected["lower"].isna().all()


def test_eu_only_counts_hide_a_second_category_of_the_same_text():
    eu_only = pd.DataFrame({
        "release": ["r"] * 3 + ["q"], "category": ["begging", "illicit", "marriage", "begging"],
        "first_explicit_in": ["eu_2011", "eu_2011", "eu_2024", "eu_2011"],
        "recorded_in_release": [True, True, True, False],
        "flagged": [3, 50, 4, 0], "only_eu_explicit": [3, 40, 4, 0], "records": [900] * 4,
    })  # fmt: skip
    # the grid publishes each gain
    fixed = SimpleNamespace(determined=lambda pattern: True, population="CTDC r: all records")
    text, record, tables = views.eu_only_published(eu_only, 10, {"r": fixed})
    assert [t.population for t in tables] == [
        f"CTDC r: records first named explicitly by {ins.EU_2011.short}",
        f"CTDC r: records first named explicitly by {ins.EU_2024.short}",
    ]
    assert disclosure.exposed_cells([t.record() for t in tables]) == []
    hidden = views.eu_only_published(
        eu_only, 10, {"r": SimpleNamespace(determined=lambda p: False, population="CTDC r")}
    )
    assert hidden[0]["only_eu_explicit"].tolist() == ["<10", "(s)", "<10"]  # all of r hidden
    assert text["only_eu_explicit"].tolist() == ["<10", "(s)", "<10"]  # release q not recorded
    assert text["first_explicit_in"].tolist() == [ins.EU_2011.short] * 2 + [ins.EU_2024.short]
    assert record == {
        "r": {
            "begging": {"flagged": None, "only_eu_explicit": None},
            "illicit": {"flagged": 50, "only_eu_explicit": None},
            "marriage": {"flagged": None, "only_eu_explicit": None},
        }
    }
    absent = set(eu_only.loc[~eu_only["recorded_in_release"], "release"])
    assert absent == {"q"}  # the notebook names the releases that record none of the forms


def test_minors_and_means_as_published():
    limits = shares.minors_and_means(victim_records())
    shown, record = views.limits_published(limits, 1)
    shown = shown.set_index("release")
    assert shown.loc["kanon_2021", "records"] == "7"
    assert shown.loc["kanon_2021", "minors at registration"].startswith("33.3% (")
    assert shown.loc["kanon_2021", "no means of control recorded"].startswith("85.7% (")
    assert shown.loc["synthetic_2021", "no means of control recorded"] == "not in this release"
    assert shown.loc["synthetic_2021", "minors when exploitation began"] == "not in this release"
    hidden, hidden_record = views.limits_published(limits, 10)
    hidden = hidden.set_index("release")
    assert hidden.loc["kanon_2021", ["records", "minors at registration"]].tolist() == [
        "<10",
        "suppressed (<10)",
    ]
    assert record["minor_share"]["kanon_2021"] == pytest.approx(2 / 6)
    assert record["no_means_share"]["synthetic_2021"] is None
    assert hidden_record == {
        "minor_share": {"kanon_2021": None, "synthetic_2021": None},
        "no_means_share": {"kanon_2021": None, "synthetic_2021": None},
    }


def test_share_tables_have_one_column_per_instrument(mapping):
    ctdc = _protected(victim_records(), mapping, threshold=1)
    wide = views.share_table(ctdc, 1)
    assert list(wide.columns) == [i.short for i in ins.INSTRUMENTS]
    assert wide.loc["kanon_2021", ins.EU_2024.short].startswith("83.3% (")  # 5 of 6
    groups = _protected(victim_records(), mapping, shares.GROUPING, 1)
    by_group = views.share_table(groups, index=["release", *shares.GROUPING])
    row = by_group.loc[("kanon_2021", "female", "adult (18+)")]
    assert row[ins.PALERMO_2000.short].startswith("66.7% (")  # 2 of 3


def test_the_synthetic_release_gets_counts_and_shares_without_intervals(mapping):
    """Its rows are generated records, not persons: a share, no interval, and why."""
    ctdc = _protected(victim_records(), mapping, threshold=1)
    synthetic = ctdc[ctdc["release"] == "synthetic_2021"]
    real = ctdc[ctdc["release"] == "kanon_2021"]
    assert synthetic["share"].notna().all() and synthetic[["lower", "upper"]].isna().all().all()
    assert real[["lower", "upper"]].notna().all().all()
    wide = views.share_table(ctdc, 1)
    share = synthetic.set_index("instrument").loc[ins.PALERMO_2000.key, "share"]
    assert wide.loc["synthetic_2021", ins.PALERMO_2000.short] == f"{100 * share:.1f}%"
    record = views.results_shares(ctdc, ["release"], 1)["synthetic_2021"][ins.PALERMO_2000.key]
    assert record["share"] == pytest.approx(share)
    assert record["lower"] is None and record["upper"] is None and record["count"] is not None
    limits = views.limits_published(shares.minors_and_means(victim_records()), 1)[0]
    minors = limits.set_index("release")["minors at registration"]
    assert minors["synthetic_2021"].endswith("%") and "(" not in minors["synthetic_2021"]
    assert minors["kanon_2021"].startswith("33.3% (")


def test_glotip_tables_and_text(mapping):
    groups = shares.glotip_explicit_shares(glotip_rows(), mapping, "2025", shares.GROUPING)
    shown = views.glotip_group_table(views.protect_glotip_shares(groups, 1), 1)
    exact = proportions.proportion_ci([8], [10]).iloc[0]  # female children: 8 of 10
    least, most = proportions.proportion_ci([1, 4], [5, 5]).to_dict("records")  # 1..4 of 2..8
    assert shown.to_dict("records") == [
        {
            "gender": "female",
            "age_group": "child (0-17)",
            "victims": "10",
            "named explicitly (every instrument)": "80.0% "
            f"({100 * exact['lower']:.1f}–{100 * exact['upper']:.1f})",
            "suppressed_cells": 0,
        },
        {
            "gender": "male",
            "age_group": "child (0-17)",
            "victims": "2–8",
            "named explicitly (every instrument)": "20.0–80.0% "
            f"({100 * least['lower']:.1f}–{100 * most['upper']:.1f})",
            "suppressed_cells": 2,
        },
    ]
    forms = shares.glotip_form_totals(glotip_rows(), "2025")
    # the notebook's coverage sentence: 238–244 victims in 3 country-years; of their 9 cells,
    # 1 is `<5` and 1 a sum of sub-forms with a `<5` part
    assert (forms["victims_lower"].sum(), forms["victims_upper"].sum()) == (238, 244)
    assert (forms["country_years"].iloc[0], forms["country_years"].sum()) == (3, 9)
    assert (forms["suppressed_cells"].sum(), forms["suppressed_sums"].sum()) == (2, 1)


def test_glotip_share_text_states_a_range_only_where_the_bounds_differ():
    assert views.glotip_share_text(0.748412, 0.753659) == "74.8–75.4%"
    assert views.glotip_share_text(0.748412, 0.753659, 0.747054, 0.755003) == (
        "74.8–75.4% (74.7–75.5)"
    )
    assert views.glotip_share_text(0.5, 0.5, 0.4, 0.6) == "50.0% (40.0–60.0)"  # as before
    assert views.glotip_share_text(0.74801, 0.74849) == "74.8%"  # the same to one decimal
    assert views.glotip_share_text(float("nan"), float("nan")) == "suppressed"


def _glotip_table(rows: list[tuple], groups: bool = False) -> pd.DataFrame:
    """A glotip_explicit_shares-like table from (instrument, explicit_lower, explicit_upper,
    victims_lower, victims_upper) rows, one group each when `groups`."""
    table = pd.DataFrame(rows, columns=["instrument", *shares.BOUND_COLUMNS]).assign(
        vintage="2025", suppressed_cells=1
    )
    if groups:
        table = table.assign(gender=[f"g{k}" for k in range(len(table))], age_group="all")
    return table.join(shares.share_range(*(table[c] for c in shares.BOUND_COLUMNS)))


def test_glotip_shares_are_hidden_when_some_fill_makes_a_small_cell():
    pal, coe, eu11 = ins.PALERMO_2000.key, ins.COE_2005.key, ins.EU_2011.key
    cases = {
        "explicit may be 1 to 9": [(pal, 0, 12, 100, 112)],
        "the rest may be 5 to 8": [(pal, 95, 98, 100, 106)],
        "a gain of 5 across instruments": [(pal, 20, 23, 100, 103), (coe, 25, 28, 100, 103)],
    }
    for name, rows in cases.items():
        protected = views.protect_glotip_shares(_glotip_table(rows), 10)
        assert protected["suppressed"].iloc[-1], name
        assert (
            protected[["share", "share_min", "share_max", "lower", "upper"]].iloc[-1].isna().all()
        )
    safe = [(pal, 0, 0, 50, 50), (coe, 20, 23, 100, 103), (eu11, 20, 23, 100, 103)]
    protected = views.protect_glotip_shares(_glotip_table(safe), 10)
    assert not protected["suppressed"].any()  # zero concerns nobody; equal counts gain 0
    assert protected["share_min"].tolist() == pytest.approx([0, 20 / 100, 20 / 100])


def test_glotip_group_victims_are_hidden_when_they_may_be_small():
    rows = [(ins.PALERMO_2000.key, 0, 0, 3, 6), (ins.PALERMO_2000.key, 0, 0, 0, 14),
            (ins.PALERMO_2000.key, 0, 0, 90, 95)]  # fmt: skip
    protected = views.protect_glotip_shares(_glotip_table(rows, groups=True), 10)
    assert protected["victims_hidden"].tolist() == [True, True, False]
    assert protected["suppressed"].tolist() == [True, True, False]  # the rest is the victims
    shown = views.glotip_group_table(protected, 10)
    assert shown["victims"].tolist() == ["<10", "(s)", "90–95"]


def test_glotip_results_record_the_range_and_nothing_hidden(mapping):
    overall = views.protect_glotip_shares(
        shares.glotip_explicit_shares(glotip_rows(), mapping, "2025"), 10
    )
    record = views.nested_records(overall, ["vintage"])["2025"][ins.EU_2024.key]
    assert record["count"] is None and record["total"] is None  # not exact
    assert (record["count_lower"], record["count_upper"]) == (196, 199)
    assert (record["total_lower"], record["total_upper"]) == (238, 244)
    assert record["share_min"] == pytest.approx(196 / 241) and record["share"] is None
    assert record["suppressed_cells"] == 2 and not record["suppressed"]
    groups = shares.glotip_explicit_shares(glotip_rows(), mapping, "2025", shares.GROUPING)
    results = views.nested_records(views.protect_glotip_shares(groups, 10), ["gender"])
    female = results["female"][ins.PALERMO_2000.key]  # 8 of 10: a small count
    assert female["suppressed"] and female["count"] is None and female["share"] is None
    assert disclosure.check_results(results, 10) == []


def test_glotip_views_on_the_real_2025_vintage(mapping):
    glotip = catalog.read("glotip")
    overall = views.protect_glotip_shares(shares.glotip_explicit_shares(glotip, mapping, "2025"))
    share = views.glotip_share_text(*overall[shares.RANGE_COLUMNS].iloc[0])
    assert share == "74.8–75.4%"  # issue 14; checked against a pandas sum in test_definitions
    forms = shares.glotip_form_totals(glotip, "2025")
    total = (overall["victims_lower"].iloc[0], overall["victims_upper"].iloc[0])
    assert (forms["victims_lower"].sum(), forms["victims_upper"].sum()) == total


def test_the_mapping_names_its_categories_in_words(mapping):
    seen = views.table_view(mapping, "m", index=False).shown()
    assert "forced labour: begging" in set(seen["category"]) and "CTDC" in set(seen["dataset"])
    assert not any("_" in c for c in seen["category"])


def test_readable_tables_name_releases_and_groups_in_words():
    frame = pd.DataFrame(
        {"first_explicit_in": ["EU 2011"], "records": ["12"]},
        index=pd.MultiIndex.from_tuples([("kanon_2021", "transgender_nonconforming")],
                                        names=["release", "age_group"]),
    )  # fmt: skip
    shown = views.table_view(frame, "t").shown()
    assert list(shown.columns) == ["release", "age group", "first named explicitly in",
                                   "records of the release"]  # fmt: skip
    assert shown.iloc[0].tolist() == [
        "CTDC K-anonymised release (2021)", "transgender or gender non-conforming", "EU 2011", "12",
    ]  # fmt: skip
    assert views.category_words()["sex_remote_interactive_services"] == (
        "sexual exploitation: remote interactive services"
    )


def test_the_shares_the_findings_quote(mapping):
    ctdc = _protected(victim_records(), mapping, threshold=1)
    share = ctdc.set_index(["release", "instrument"])["share"].map(disclosure.share_text)
    kanon = [share[views.REAL_CASES, i.key] for i in ins.INSTRUMENTS]
    assert kanon == ["50.0%", "50.0%", "66.7%", "83.3%"]  # 3, 3, 4 and 5 of 6
    overall = views.protect_glotip_shares(
        shares.glotip_explicit_shares(glotip_rows(), mapping, "2025"), 1
    )
    shown = views.glotip_share_text(*overall[shares.RANGE_COLUMNS].iloc[0])
    assert shown == "81.3–82.6%"  # 196 / 241, 199 / 241


def test_the_five_instruments_as_a_matrix():
    matrix = ins.element_matrix(ins.COMPARED)
    assert list(matrix.columns) == [i.short for i in ins.COMPARED]
    assert matrix.loc[("purpose", ins.PURPOSES["removal_of_organs"])].tolist() == [0, 2, 2, 2, 2]
    assert matrix.loc[("rule", "purposes are a minimum (open list)")].tolist() == [1, 2, 2, 2, 2]
    assert matrix[list(matrix.columns)[1:]].equals(ins.element_matrix())  # the four unchanged


def test_purposes_against_other_instruments():
    extra = ins.amend(ins.FRAMEWORK_2002, key="extra", purposes=("servitude", "surrogacy"))
    against = ins.purposes_against(extra, (ins.PALERMO_2000, ins.COE_2005))
    assert against == {
        "only_here": ["surrogacy"],
        "missing": ["sexual_exploitation", "forced_labour_or_services",
                    "slavery_or_similar_practices", "removal_of_organs"],
    }  # fmt: skip
    assert ins.purposes_against(ins.FRAMEWORK_2002, ins.INSTRUMENTS) == {
        "only_here": [], "missing": ["removal_of_organs"]
    }  # fmt: skip


def test_the_matrix_says_partly_for_an_open_list_in_part_and_consider_for_an_offence():
    import matplotlib.pyplot as plt

    matrix = ins.element_matrix(ins.COMPARED)
    fig = views.plot_element_matrix(matrix, "Source: treaties.")
    texts = {(round(t.get_position()[1]), round(t.get_position()[0])): t.get_text()
             for t in fig.axes[0].texts}  # fmt: skip
    rows = list(matrix.index)
    open_list = rows.index(("rule", "purposes are a minimum (open list)"))
    knowing = rows.index(("offence", "knowing use of victim's services"))
    assert texts[(open_list, 0)] == "partly"  # the Framework Decision: labour purposes only
    assert "consider" in {texts[(knowing, j)] for j in range(matrix.shape[1])}
    plt.close(fig)
