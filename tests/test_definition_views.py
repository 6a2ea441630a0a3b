"""What the definitions report may publish: hidden shares, their texts, tables and records."""

from __future__ import annotations

from itertools import pairwise

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_definitions import glotip_rows, victim_records

from analysis import proportions
from analysis.definitions import instruments as ins
from analysis.definitions import mapping as mp
from analysis.definitions import shares
from analysis.publish import definition_views as views


@pytest.fixture(scope="module")
def mapping() -> pd.DataFrame:
    return mp.load_mapping()


def _shares(counts: dict, known: int, threshold: int, groups: dict | None = None):
    """A protected ctdc_explicit_shares-like table from explicit counts per instrument (and
    gender group)."""
    rows = []
    for group, (group_counts, group_known) in (groups or {"all": (counts, known)}).items():
        for key, explicit in group_counts.items():
            rows.append({"release": "r", "gender": group, "instrument": key,
                         "explicit": explicit, "known_form": group_known})  # fmt: skip
    table = pd.DataFrame(rows)
    ci = proportions.proportion_ci(table["explicit"], table["known_form"])
    table = table.assign(share=ci["share"], lower=ci["lower"], upper=ci["upper"])
    if not groups:
        table = table.drop(columns="gender")
    return views.protect_shares(table, threshold)


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


def test_small_cells_suppress_the_share_and_interval(mapping):
    table = shares.ctdc_explicit_shares(victim_records(), mapping)
    assert table["share"].notna().all()
    protected = views.protect_shares(table, 10)
    assert protected["suppressed"].all()
    assert protected["share"].isna().all() and protected["lower"].isna().all()
    assert table["share"].notna().all()  # the analysis table is left as it was


def test_a_small_gain_between_instruments_reads_fewer_than_n():
    counts = {"palermo_2000": 500, "coe_2005": 500, "eu_2011": 503, "eu_2024": 700}
    table = _shares(counts, 1000, 10)
    line = views.gains_text(table, 10)
    assert line.startswith("- **r**: 1,000 records with a known form") and "\n" not in line
    assert "by EU 2011 a suppressed number (+fewer than 10)" in line
    assert "by EU 2024 700 (gain suppressed)" in line  # 700 - 503 would give the 503 back
    assert "503" not in line and "+3" not in line
    record = views.results_shares(table, ["release"], 10)["r"]
    assert record["eu_2011"]["count"] is None and record["eu_2011"]["share"] is None
    assert record["palermo_2000"]["count"] == 500 and record["eu_2024"]["count"] == 700


def test_the_last_instrument_hides_when_the_rest_of_the_total_is_small():
    counts = {"palermo_2000": 500, "coe_2005": 500, "eu_2011": 600, "eu_2024": 996}
    table = _shares(counts, 1000, 10).set_index("instrument")
    assert table.loc["eu_2024", "suppressed"] and not table.loc["eu_2011", "suppressed"]


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 40), st.integers(0, 15), st.integers(0, 15), st.integers(0, 40)),
        min_size=1,
        max_size=4,
    ),  # fmt: skip
    st.integers(2, 12),
)
def test_no_published_explicit_count_reveals_a_small_cell_by_subtraction(parts, threshold):
    """Explicit counts are nested (Palermo <= EU 2011 <= EU 2024 <= known); every published
    number is a sum of parts, and no difference of published numbers may be a small cell."""
    groups = {}
    for i, (un, gain11, gain24, rest) in enumerate(parts):
        counts = {"palermo_2000": un, "coe_2005": un, "eu_2011": un + gain11,
                  "eu_2024": un + gain11 + gain24}  # fmt: skip
        groups[f"g{i}"] = (counts, un + gain11 + gain24 + rest)
    table = _shares({}, 0, threshold, groups)
    published = views.results_shares(table, ["gender"], threshold)
    for group in groups:
        records = published[group].values()
        shown = sorted({r["count"] for r in records if r["count"] is not None})
        totals = {r["total"] for r in records if r["total"] is not None}  # None when small
        numbers = [0, *shown, *totals]
        gaps = [b - a for a, b in pairwise(numbers)]
        assert not any(0 < g < threshold for g in gaps), (group, numbers)
    for key in (i.key for i in ins.INSTRUMENTS):  # groups add up to a published release count
        hidden = [published[g][key]["count"] is None for g in groups]
        nonzero = [groups[g][0][key] > 0 for g in groups]
        if sum(hidden) == 1:
            assert sum(n for n, h in zip(nonzero, hidden, strict=True) if not h) == 0


def test_eu_only_counts_hide_a_second_category_of_the_same_text():
    eu_only = pd.DataFrame({
        "release": ["r"] * 3 + ["q"], "category": ["begging", "illicit", "marriage", "begging"],
        "first_explicit_in": ["eu_2011", "eu_2011", "eu_2024", "eu_2011"],
        "recorded_in_release": [True, True, True, False],
        "flagged": [3, 50, 4, 0], "only_eu_explicit": [3, 40, 4, 0], "records": [900] * 4,
    })  # fmt: skip
    text, record = views.eu_only_published(eu_only, 10)
    assert text["only_eu_explicit"].tolist() == ["<10", "(s)", "<10"]  # release q not recorded
    assert text["first_explicit_in"].tolist() == [ins.EU_2011.short] * 2 + [ins.EU_2024.short]
    assert record == {
        "r": {
            "begging": {"flagged": None, "only_eu_explicit": None},
            "illicit": {"flagged": 50, "only_eu_explicit": None},
            "marriage": {"flagged": None, "only_eu_explicit": None},
        }
    }
    note = views.eu_only_note(eu_only, ["surrogacy"])
    assert note.startswith("Releases that record none of these forms: q.")
    assert note.endswith(": exploitation of surrogacy.")


def test_minors_and_means_as_published():
    limits = shares.minors_and_means(victim_records())
    shown = views.limits_table(limits, 1).set_index("release")
    assert shown.loc["kanon_2021", "records"] == "7"
    assert shown.loc["kanon_2021", "minors at registration"].startswith("33.3% (")
    assert shown.loc["kanon_2021", "no means of control recorded"].startswith("85.7% (")
    assert shown.loc["synthetic_2021", "no means of control recorded"] == "not in this release"
    assert shown.loc["synthetic_2021", "minors when exploitation began"] == "not in this release"
    hidden = views.limits_table(limits, 10).set_index("release")
    assert hidden.loc["kanon_2021", ["records", "minors at registration"]].tolist() == [
        "<10",
        "suppressed (<10)",
    ]
    assert views.limits_record(limits, 1)["minor_share"]["kanon_2021"] == pytest.approx(2 / 6)
    assert views.limits_record(limits, 1)["no_means_share"]["synthetic_2021"] is None
    assert views.limits_record(limits, 10) == {
        "minor_share": {"kanon_2021": None, "synthetic_2021": None},
        "no_means_share": {"kanon_2021": None, "synthetic_2021": None},
    }


def test_share_tables_have_one_column_per_instrument(mapping):
    ctdc = views.protect_shares(shares.ctdc_explicit_shares(victim_records(), mapping), 1)
    wide = views.share_table(ctdc, 1)
    assert list(wide.columns) == [i.short for i in ins.INSTRUMENTS]
    assert wide.loc["kanon_2021", ins.EU_2024.short].startswith("83.3% (")  # 5 of 6
    groups = shares.ctdc_explicit_shares(victim_records(), mapping, by=shares.GROUPING)
    by_group = views.group_share_table(views.protect_shares(groups, 1), 1)
    row = by_group.loc[("kanon_2021", "female", "adult (18+)", "3")]
    assert row[ins.PALERMO_2000.short].startswith("66.7% (")  # 2 of 3


def test_glotip_tables_and_text(mapping):
    overall = views.protect_shares(shares.glotip_explicit_shares(glotip_rows(), mapping, "2025"))
    groups = shares.glotip_explicit_shares(glotip_rows(), mapping, "2025", shares.GROUPING)
    shown = views.glotip_group_table(views.protect_shares(groups, 1), 1)
    assert shown.to_dict("records") == [
        {
            "gender": "female",
            "age_group": "child (0-17)",
            "victims": "10",
            "named explicitly (every instrument)": views.share_column(
                views.protect_shares(groups, 1), 1
            ).iloc[0],
            "suppressed_cells": 0,
        }
    ]
    forms = shares.glotip_form_totals(glotip_rows(), "2025")
    assert views.glotip_coverage_text(forms, overall, "2025") == (
        "GLOTIP 2025: 150 detected victims in 2 country-years with a complete breakdown by "
        "form; 1 cells `<5` left out."
    )


def test_the_texts_about_the_instruments():
    text = views.differences_text().splitlines()
    assert text[0] == (
        f"- **{ins.COE_2005.short}** compared with **{ins.PALERMO_2000.short}** adds to the "
        "lists: nothing."
    )
    assert text[2].endswith(
        "purposes: exploitation of surrogacy; exploitation of forced marriage; exploitation of "
        "illegal adoption."
    )
    assert "(Art. 4(e))" in text[3] and "(Art. 4);" in text[4]
    unverified = views.unverified_text().splitlines()
    assert len(unverified) == sum(len(i.unverified) for i in ins.INSTRUMENTS)
    assert views.purposes_added() == {
        "eu_2011_vs_palermo": ["begging", "criminal_activities"],
        "eu_2024_vs_eu_2011": ["surrogacy", "forced_marriage", "illegal_adoption"],
    }


def test_mapping_table_names_each_level(mapping):
    shown = views.mapping_table(mapping).set_index("category")
    assert list(shown.columns) == ["dataset", *views.NAMES.values(), "reason"]
    assert shown.loc["labour_begging", ins.PALERMO_2000.short] == mp.LEVEL_LABELS["open_ended"]
    assert shown.loc["labour_begging", ins.EU_2011.short] == "named explicitly"


def test_closing_text_quotes_the_real_cases_and_glotip(mapping):
    ctdc = views.protect_shares(shares.ctdc_explicit_shares(victim_records(), mapping), 1)
    overall = views.protect_shares(shares.glotip_explicit_shares(glotip_rows(), mapping, "2025"))
    text = views.closing_text(ctdc, overall, "2025")
    assert "(kanon_2021)" in text
    assert "rises from **50.0%** (Palermo, CoE) to **66.7%**" in text  # 3, 4 and 5 of 6
    assert "and **83.3%** (EU 2024" in text
    assert "GLOTIP 2025: **80.0%** of detected victims" in text
