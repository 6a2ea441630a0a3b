"""The four trafficking definitions as data, the reviewed category mapping, and the shares."""

from __future__ import annotations

import json
import math
from itertools import pairwise, product
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from analysis import proportions
from analysis.data import paths
from analysis.data.errors import DataError
from analysis.definitions import instruments as ins
from analysis.definitions import mapping as mp
from analysis.definitions import shares
from analysis.run import pipeline
from analysis.schemas import victims as schema

PAL, COE, EU11, EU24 = ins.PALERMO_2000, ins.COE_2005, ins.EU_2011, ins.EU_2024


# --- the instruments, against their articles -----------------------------------------------


def test_eu_2011_adds_exchange_or_transfer_of_control_to_the_acts():
    assert ins.differences(PAL, EU11)["acts"] == {
        "added": ["exchange_or_transfer_of_control"],
        "removed": [],
    }
    assert "exchange_or_transfer_of_control" not in COE.acts
    assert EU11.articles["acts"] == "Art. 2(1)"


def test_only_the_eu_texts_define_the_position_of_vulnerability():
    assert "no real or acceptable alternative" in EU11.vulnerability_definition
    assert EU11.articles["vulnerability"] == "Art. 2(2)"
    assert EU24.vulnerability_definition == EU11.vulnerability_definition
    assert PAL.vulnerability_definition is None and COE.vulnerability_definition is None
    # the phrase is a means in every text, defined or not
    assert all("abuse_of_vulnerability" in i.means for i in ins.INSTRUMENTS)


def test_eu_2011_adds_begging_and_criminal_activities_to_palermo():
    assert ins.differences(PAL, EU11)["purposes"]["added"] == ["begging", "criminal_activities"]
    assert EU11.articles["purposes"] == "Art. 2(3)"


def test_directive_2024_1712_adds_three_purposes_and_changes_nothing_else_in_the_definition():
    diff = ins.differences(EU11, EU24)
    assert diff["purposes"] == {
        "added": ["surrogacy", "forced_marriage", "illegal_adoption"],
        "removed": [],
    }
    assert diff["acts"] == diff["means"] == {"added": [], "removed": []}
    for element in ("child_needs_no_means", "child_below_age", "consent_covers", "means"):
        assert getattr(EU24, element) == getattr(EU11, element)
    assert EU24.amends == EU11.key
    assert (EU11.knowing_use_offence, EU24.knowing_use_offence) == ("consider", "mandatory")
    assert EU24.articles["knowing_use"].startswith("Art. 18a")


def test_only_the_council_of_europe_convention_defines_the_victim():
    assert (
        COE.victim_definition == "any natural person who is subject to trafficking in human beings"
    )
    assert COE.articles["victim"] == "Art. 4(e)"
    assert [i.key for i in ins.INSTRUMENTS if i.victim_definition] == ["coe_2005"]


def test_palermo_applies_only_to_transnational_offences_with_an_organised_criminal_group():
    assert PAL.requires_transnational and PAL.requires_organised_group
    assert PAL.articles["scope"] == "Art. 4"
    assert "34(2)" in PAL.scope_note  # domestic offences need neither
    for other in (COE, EU11, EU24):
        assert not other.requires_transnational and not other.requires_organised_group
    assert COE.articles["scope"] == "Art. 2"


def test_consent_and_child_rules_with_their_articles():
    assert all(i.consent_irrelevant_if_means and i.child_needs_no_means for i in ins.INSTRUMENTS)
    assert all(i.child_below_age == 18 and i.purposes_minimum == "yes" for i in ins.INSTRUMENTS)
    assert [PAL.articles[k] for k in ("consent", "child_rule", "child_age")] == [
        "Art. 3(b)",
        "Art. 3(c)",
        "Art. 3(d)",
    ]
    assert [COE.articles[k] for k in ("consent", "child_rule", "child_age")] == [
        "Art. 4(b)",
        "Art. 4(c)",
        "Art. 4(d)",
    ]
    assert [EU11.articles[k] for k in ("consent", "child_rule", "child_age")] == [
        "Art. 2(4)",
        "Art. 2(5)",
        "Art. 2(6)",
    ]
    assert EU11.consent_covers == "intended or actual exploitation"
    assert PAL.consent_covers == COE.consent_covers == "intended exploitation"


def test_palermo_and_coe_share_acts_means_and_purposes():
    diff = ins.differences(PAL, COE)
    assert all(part == {"added": [], "removed": []} for part in diff.values())
    assert PAL.term == "trafficking in persons" and COE.term == "trafficking in human beings"


def test_element_matrix_is_computed_from_the_instruments():
    matrix = ins.element_matrix()
    assert list(matrix.columns) == [i.short for i in ins.INSTRUMENTS]
    assert matrix.loc[("defined", "victim defined")].tolist() == [0, 2, 0, 0]
    assert matrix.loc[("defined", "position of vulnerability defined")].tolist() == [0, 0, 2, 2]
    assert matrix.loc[("purpose", ins.PURPOSES["surrogacy"])].tolist() == [0, 0, 0, 2]
    assert matrix.loc[("act", ins.ACTS["exchange_or_transfer_of_control"])].tolist() == [
        0,
        0,
        2,
        2,
    ]
    assert matrix.loc[("offence", "knowing use of victim's services")].tolist() == [0, 1, 1, 2]
    purposes = matrix.xs("purpose", level="group")
    assert (purposes == 2).sum().tolist() == [len(i.purposes) for i in ins.INSTRUMENTS]


def test_the_widening_of_2011_against_the_framework_decision():
    fd = ins.FRAMEWORK_2002
    added = ins.widening(fd, EU11, (PAL, COE)).set_index("element")
    purposes = ["begging", "criminal_activities", "removal_of_organs"]
    assert list(added.index) == [*purposes, "purposes_minimum"]
    assert added.loc["removal_of_organs", ["palermo_2000", "coe_2005"]].all()
    assert not added.loc[["begging", "criminal_activities"], ["palermo_2000", "coe_2005"]].any(
        axis=None
    )
    assert added.loc["purposes_minimum", "label"].endswith("already read 'including at least'")
    assert ins.differences(fd, EU11)["purposes"]["added"] == purposes
    assert ins.widening(EU11, EU11, (PAL,)).empty


def test_an_instrument_with_an_unknown_purpose_is_refused():
    with pytest.raises(ValueError, match="unknown purposes"):
        ins.amend(EU11, key="bad", purposes=("organ_trade",))


def test_every_unchecked_point_is_stated_apart_from_its_basis():
    """The report shows `point`; where it comes from (`basis`) stays in the data file."""
    points = [u for i in ins.COMPARED for u in i.unverified]
    assert len(points) == 13 and all(set(u) <= {"point", "basis"} for u in points)
    assert all(u["point"].endswith(".") for u in points)
    for word in ("knowledge", "retrieved", "NOTES.md", "secondary source"):
        assert not any(word in u["point"] for u in points), word


def test_a_data_file_with_an_unknown_element_or_base_is_refused(tmp_path):
    text = ins.DATA_FILE.read_text(encoding="utf-8")
    bad = tmp_path / "instruments.toml"
    bad.write_text(text.replace('"surrogacy", "forced_marriage"', '"surrogacy", "organ_trade"'))
    with pytest.raises(DataError, match=r"instruments.toml: instrument 'eu_2024'.*organ_trade"):
        ins.load(bad)
    bad.write_text(text.replace('amends = "eu_2011"', 'amends = "eu_2099"'))
    with pytest.raises(DataError, match=r"instruments.toml: instrument 'eu_2024'.*eu_2099"):
        ins.load(bad)
    loaded = ins.load()  # the amendment: the 2011 text with its three added purposes
    eu11, eu24 = loaded["eu_2011"], loaded["eu_2024"]
    added = ("surrogacy", "forced_marriage", "illegal_adoption")
    assert eu24.purposes == eu11.purposes + added and eu24.acts == eu11.acts


# --- the reviewed mapping --------------------------------------------------------------------


def test_mapping_loads_with_a_reason_and_a_level_on_every_row():
    mapping = mp.load_mapping()
    assert mapping["reason"].str.len().min() > 20
    for inst in ins.INSTRUMENTS:
        assert mapping[inst.key].isin(mp.LEVELS).all()


def test_mapping_encodes_the_eu_widening():
    mapping = mp.load_mapping().set_index(["dataset", "category"])
    levels = [i.key for i in ins.INSTRUMENTS]
    assert mapping.loc[("ctdc", "labour_begging"), levels].tolist() == [
        "open_ended",
        "open_ended",
        "explicit",
        "explicit",
    ]
    assert mapping.loc[("ctdc", "is_forced_marriage"), levels].tolist() == [
        "open_ended",
        "open_ended",
        "open_ended",
        "explicit",
    ]
    extra = mp.eu_only_categories(mapping.reset_index())
    assert sorted(extra["category"]) == [
        "is_forced_marriage",
        "labour_begging",
        "labour_illicit_activities",
    ]


def test_every_ctdc_form_column_of_the_schema_is_mapped():
    mapping = mp.load_mapping()
    ctdc = set(mapping.loc[mapping["dataset"] == "ctdc", "category"])
    expected = {*schema.EXPLOITATION, *schema.LABOUR, *schema.SEX}
    assert expected <= ctdc


def test_mapping_covers_every_category_in_the_cleaned_data():
    victims = pd.read_parquet(paths.processed_dir() / "victims.parquet")
    glotip = pd.read_parquet(paths.processed_dir() / "glotip.parquet")
    assert mp.unmapped(mp.load_mapping(), victims, glotip) == {"ctdc": [], "glotip": []}
    assert len(mp.glotip_forms(glotip)["category"].unique()) == 3


def _write_mapping(tmp_path: Path, edit) -> Path:
    table = pd.read_csv(mp.MAPPING_FILE, dtype="string", keep_default_na=False, na_values=[""])
    edit(table)
    path = tmp_path / "mapping.csv"
    table.to_csv(path, index=False)
    return path


def test_mapping_that_calls_begging_explicit_under_palermo_is_refused(tmp_path):
    def edit(table):
        table.loc[table["category"] == "labour_begging", "palermo_2000"] = "explicit"

    path = _write_mapping(tmp_path, edit)
    row = mp.load_mapping().index[mp.load_mapping()["category"] == "labour_begging"][0] + 2
    with pytest.raises(DataError, match=rf"mapping.csv.*'palermo_2000'.*rows \[{row}\]"):
        mp.load_mapping(path)


def test_mapping_without_a_reason_or_with_an_unknown_level_is_refused(tmp_path):
    def edit(table):
        table.loc[0, "reason"] = pd.NA
        table.loc[2, "label"] = pd.NA
        table.loc[1, "eu_2011"] = "maybe"

    expected = r"empty reason in rows \[2\]; empty label in rows \[4\].*'eu_2011'.*rows \[3\]"
    with pytest.raises(DataError, match=expected):
        mp.load_mapping(_write_mapping(tmp_path, edit))


def test_a_new_glotip_form_without_a_mapping_row_is_an_error():
    rows = glotip_rows()
    rows.loc[len(rows)] = {**rows.iloc[0].to_dict(), "category": "Organ removal"}
    mapping = mp.load_mapping()
    assert mp.unmapped(mapping, glotip=rows) == {"glotip": ["Organ removal"]}
    with pytest.raises(DataError, match="Organ removal"):
        shares.glotip_explicit_shares(rows, mapping, "2025")


# --- shares on fixtures, against hand-computed values ------------------------------------------

FLAG_COLUMNS = [*mp.CTDC_FORM_COLUMNS, *schema.CONTROL, *schema.STANDALONE]


def _record(release, gender, is_minor, **flags):
    row = {"release": release, "gender": gender, "is_minor": is_minor, "is_minor_at_exploit": None}
    row.update({c: None for c in FLAG_COLUMNS})
    row.update(flags)
    return row


def victim_records() -> pd.DataFrame:
    no_other = {c: False for c in schema.EXPLOITATION}
    records = [
        # kanon: 6 records with a known form, 1 without
        _record("kanon_2021", "female", False, **{**no_other, "is_sexual_exploit": True}),
        _record(
            "kanon_2021",
            "male",
            False,
            **{**no_other, "is_forced_labour": True},
            labour_begging=True,
            control_threats=True,
        ),  # fmt: skip
        _record(
            "kanon_2021",
            "male",
            True,
            **{**no_other, "is_forced_labour": True, "is_sexual_exploit": True},
            labour_illicit_activities=True,
        ),  # fmt: skip
        _record("kanon_2021", "female", True, **{**no_other, "is_forced_marriage": True}),
        _record("kanon_2021", "female", False, **{**no_other, "is_other_exploit": True}),
        _record("kanon_2021", "unknown", None),
        _record(
            "kanon_2021",
            "female",
            False,
            **{**no_other, "is_forced_labour": True},
            labour_agriculture=True,
            labour_begging=True,
        ),  # fmt: skip
        # synthetic: 1 record
        _record("synthetic_2021", "female", False, **{**no_other, "is_sexual_exploit": True}),
    ]
    frame = pd.DataFrame(records)
    frame[FLAG_COLUMNS + ["is_minor", "is_minor_at_exploit"]] = frame[
        FLAG_COLUMNS + ["is_minor", "is_minor_at_exploit"]
    ].astype("boolean")
    return frame.astype({"release": "string", "gender": "string"})


def _wilson(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def _named() -> pd.Series:
    return shares.ctdc_named_counts(victim_records(), mp.load_mapping())


def test_ctdc_explicit_shares_on_a_fixture_equal_hand_computed_values():
    table = shares.explicit_shares(_named())
    kanon = table[table["release"] == "kanon_2021"].set_index("instrument")
    # explicit: Palermo/CoE = sexual, sexual+illicit, agriculture+begging; EU 2011 + begging
    # alone; EU 2024 + forced marriage. Other exploitation stays open-ended everywhere.
    assert kanon["known_form"].tolist() == [6, 6, 6, 6]
    assert kanon["explicit"].to_dict() == {
        "palermo_2000": 3,
        "coe_2005": 3,
        "eu_2011": 4,
        "eu_2024": 5,
    }
    assert kanon.loc["eu_2011", "share"] == pytest.approx(4 / 6)
    assert (kanon.loc["palermo_2000", "lower"], kanon.loc["palermo_2000", "upper"]) == (
        pytest.approx(_wilson(3, 6)[0]),
        pytest.approx(_wilson(3, 6)[1]),
    )
    synthetic = table[table["release"] == "synthetic_2021"]
    assert synthetic["explicit"].tolist() == [1, 1, 1, 1]  # releases never added together


def test_ctdc_shares_by_gender_and_age_group():
    table = shares.explicit_shares(_named(), shares.GROUPING)
    kanon = table[table["release"] == "kanon_2021"].set_index(["instrument", "gender", "age_group"])
    counts = ["explicit", "known_form"]
    assert kanon.loc[("palermo_2000", "female", "adult (18+)"), counts].tolist() == [2, 3]
    assert kanon.loc[("eu_2024", "female", "child (0-17)"), counts].tolist() == [1, 1]
    assert kanon.loc[("palermo_2000", "male", "adult (18+)"), "explicit"] == 0  # begging alone
    assert kanon.loc[("eu_2011", "male", "adult (18+)"), "explicit"] == 1


def test_eu_only_counts_on_the_fixture():
    counts = shares.eu_only_counts(victim_records(), mp.load_mapping())
    kanon = counts[counts["release"] == "kanon_2021"].set_index("category")
    # begging twice, but one begging record is also agriculture (explicit everywhere)
    assert kanon.loc["labour_begging", ["flagged", "only_eu_explicit"]].tolist() == [2, 1]
    assert kanon.loc["labour_illicit_activities", ["flagged", "only_eu_explicit"]].tolist() == [
        1,
        0,
    ]
    assert kanon.loc["is_forced_marriage", "first_explicit_in"] == "eu_2024"
    assert kanon.loc["is_forced_marriage", "only_eu_explicit"] == 1


def test_minors_and_means_on_the_fixture():
    limits = shares.minors_and_means(victim_records()).set_index("release")
    assert limits.loc["kanon_2021", ["minor_count", "minor_total"]].tolist() == [2, 6]
    assert limits.loc["kanon_2021", "minor_share"] == pytest.approx(2 / 6)
    assert limits.loc["kanon_2021", "no_means_count"] == 6  # one record with threats, of 7
    assert limits.loc["kanon_2021", "no_means_share"] == pytest.approx(6 / 7)
    assert limits.loc["kanon_2021", "means_in_release"]
    # the synthetic record has no means field filled: no count and no share, not a zero
    assert not limits.loc["synthetic_2021", "means_in_release"]
    assert pd.isna(limits.loc["synthetic_2021", ["no_means_count", "no_means_share"]]).all()
    assert limits.loc["synthetic_2021", "minor_at_exploit_total"] == 0


SX, FL, OT = "Sexual exploitation", "Forced labour", "Other forms of exploitation"
EXPLICIT_FORMS = (SX, FL)  # what every instrument names, per the reviewed mapping


def glotip_row(iso3, category, value, sex="Total", age="Total", bounds=(1, 4), parts=1):
    """One GLOTIP form cell: `value` published, or None for a cell within `bounds` (a `<5`
    cell by default; a sum of `parts` sub-forms with a `<5` part when given)."""
    lower, upper = (value, value) if value is not None else bounds
    return {"iso3": iso3, "year": 2020, "indicator": mp.GLOTIP_INDICATOR,
            "dimension": mp.GLOTIP_DIMENSION, "category": category, "sex": sex, "age": age,
            "value": value, "is_suppressed": value is None, "lower": lower, "upper": upper,
            "vintage": "2025", "n_parts": parts}  # fmt: skip


GLOTIP_TYPES = {"value": "Int64", "is_suppressed": "boolean", "year": "Int64",
                "lower": "Int64", "upper": "Int64", "n_parts": "Int64"}  # fmt: skip


def glotip_frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows).astype(GLOTIP_TYPES)


def glotip_rows() -> pd.DataFrame:
    fc, mc = ("Female", "0 to 17 years"), ("Male", "0 to 17 years")
    rows = [
        glotip_row("AAA", SX, 50), glotip_row("AAA", FL, 30), glotip_row("AAA", OT, 20),
        glotip_row("BBB", SX, 10),  # incomplete breakdown: left out
        glotip_row("CCC", SX, 40), glotip_row("CCC", FL, None), glotip_row("CCC", OT, 10),
        # other forms: a sum of two sub-forms, 11 published and one <5
        glotip_row("DDD", SX, 60), glotip_row("DDD", FL, 15),
        glotip_row("DDD", OT, None, bounds=(12, 15), parts=2),
        glotip_row("AAA", SX, 5, *fc), glotip_row("AAA", FL, 3, *fc),
        glotip_row("AAA", OT, 2, *fc),
        glotip_row("AAA", SX, None, *mc), glotip_row("AAA", FL, 0, *mc),
        glotip_row("AAA", OT, None, *mc),
    ]  # fmt: skip
    return glotip_frame(rows)


def test_glotip_shares_on_a_fixture_equal_hand_computed_ranges():
    mapping = mp.load_mapping()
    overall = shares.glotip_explicit_shares(glotip_rows(), mapping, "2025")
    # explicit: 50 + 30 + 40 + <5 + 60 + 15 = 196..199; other: 20 + 10 + (12..15) = 42..45
    assert overall[shares.BOUND_COLUMNS].drop_duplicates().values.tolist() == [[196, 199, 238, 244]]
    assert overall["explicit"].isna().all() and overall["victims"].isna().all()
    assert overall["suppressed_cells"].tolist() == [2] * 4
    first = overall.iloc[0]
    assert first["share_min"] == pytest.approx(196 / (196 + 45))  # fewest explicit, most other
    assert first["share_max"] == pytest.approx(199 / (199 + 42))  # the reverse
    assert pd.isna(first["share"])  # no point share: the bounds differ
    groups = shares.glotip_explicit_shares(glotip_rows(), mapping, "2025", shares.GROUPING)
    groups = groups[groups["instrument"] == PAL.key].set_index(shares.GROUPING)
    female = groups.loc[("female", "child (0-17)")]
    assert (female["explicit"], female["victims"], female["suppressed_cells"]) == (8, 10, 0)
    assert female["share"] == female["share_min"] == female["share_max"] == pytest.approx(0.8)
    male = groups.loc[("male", "child (0-17)")]  # explicit <5 + 0, other <5
    assert male[shares.BOUND_COLUMNS].tolist() == [1, 4, 2, 8]
    assert (male["share_min"], male["share_max"]) == (pytest.approx(1 / 5), pytest.approx(4 / 5))
    forms = shares.glotip_form_totals(glotip_rows(), "2025")
    assert forms.loc[OT, ["victims_lower", "victims_upper", "suppressed_sums"]].tolist() == [
        42, 45, 1
    ]  # fmt: skip
    assert forms.loc[SX, "victims"] == 150 and forms["country_years"].tolist() == [3, 3, 3]


@st.composite
def glotip_fixtures(draw):
    """A few complete country-years (sex Total, age Total): each cell published (0 to 30),
    `<5`, or a sum with a `<5` part (a small range); at most three cells within bounds."""
    rows = []
    for k in range(draw(st.integers(1, 3))):
        for category in (SX, FL, OT):
            kind = draw(st.sampled_from(["published", "published", "lt5", "sum"]))
            if kind == "published":
                rows.append(glotip_row(f"C{k}", category, draw(st.integers(0, 30))))
            elif kind == "lt5":
                rows.append(glotip_row(f"C{k}", category, None))
            else:
                low = draw(st.integers(2, 20))
                bounds = (low, low + draw(st.integers(0, 6)))
                rows.append(glotip_row(f"C{k}", category, None, bounds=bounds, parts=2))
    assume(sum(r["value"] is None for r in rows) <= 3)
    return glotip_frame(rows)


@settings(max_examples=30, deadline=None)  # each enumerates every fill: 30 keep it to ~4 s
@given(glotip_fixtures())
def test_the_glotip_share_range_is_the_least_and_largest_share_over_every_fill(rows):
    """Every fill of the cells within their bounds, enumerated: its share lies in the range,
    both ends are some fill's share, and its Wilson interval lies in the widened one."""
    result = shares.glotip_explicit_shares(rows, mp.load_mapping(), "2025").iloc[0]
    explicit = rows["category"].isin(EXPLICIT_FORMS).tolist()
    bounds = zip(rows["lower"], rows["upper"], strict=True)
    fills = product(*(range(int(low), int(high) + 1) for low, high in bounds))
    pairs = {
        (sum(x for x, named in zip(fill, explicit, strict=True) if named), sum(fill))
        for fill in fills
    }
    assert {e for e, _ in pairs} == set(
        range(result["explicit_lower"], result["explicit_upper"] + 1)
    )
    assert {v for _, v in pairs} == set(range(result["victims_lower"], result["victims_upper"] + 1))
    defined = {(e, v) for e, v in pairs if v > 0}
    if not defined:  # every cell published as 0
        assert pd.isna(result["share_min"]) and pd.isna(result["share_max"])
        return
    values = [e / v for e, v in defined]
    assert result["share_min"] == pytest.approx(min(values))
    assert result["share_max"] == pytest.approx(max(values))
    exact = len(set(values)) == 1
    assert pd.isna(result["share"]) != exact
    ci = proportions.proportion_ci([e for e, _ in defined], [v for _, v in defined])
    assert (ci["lower"] >= result["lower"] - 1e-12).all()
    assert (ci["upper"] <= result["upper"] + 1e-12).all()


def _independent_bounds(cells: pd.DataFrame) -> tuple[int, int, int]:
    """Published sum, and the least and largest sums once the `<5` cells (and sums with a
    `<5` part) take any value within their bounds."""
    published = cells["value"].notna()
    visible = int(cells.loc[published, "value"].sum())
    return (visible, visible + int(cells.loc[~published, "lower"].sum()),
            visible + int(cells.loc[~published, "upper"].sum()))  # fmt: skip


def _real_glotip_cells(vintage: str) -> pd.DataFrame:
    """The GLOTIP form cells of one vintage in complete country-year-sex-age groups, selected
    here without the analysis code."""
    glotip = pd.read_parquet(paths.processed_dir() / "glotip.parquet")
    forms = glotip[
        (glotip["vintage"] == vintage)
        & (glotip["dimension"] == "by form of exploitation")
        & (glotip["indicator"] == "Detected trafficking victims")
    ]
    per_group = forms.groupby(["iso3", "year", "sex", "age"])["category"].transform("size")
    return forms[per_group == 3]


@pytest.mark.parametrize("vintage", ["2025", "2023"])
def test_glotip_share_range_on_the_real_data_matches_an_independent_sum(vintage):
    glotip = pd.read_parquet(paths.processed_dir() / "glotip.parquet")
    result = shares.glotip_explicit_shares(glotip, mp.load_mapping(), vintage).iloc[0]
    cells = _real_glotip_cells(vintage)
    top = cells[(cells["sex"] == "Total") & (cells["age"] == "Total")]
    is_explicit = top["category"].isin(EXPLICIT_FORMS)
    e_visible, e_low, e_high = _independent_bounds(top[is_explicit])
    o_visible, o_low, o_high = _independent_bounds(top[~is_explicit])
    assert result[shares.BOUND_COLUMNS].tolist() == [e_low, e_high, e_low + o_low, e_high + o_high]
    assert result["share_min"] == pytest.approx(e_low / (e_low + o_high))
    assert result["share_max"] == pytest.approx(e_high / (e_high + o_low))
    assert result["suppressed_cells"] == int(top["value"].isna().sum())
    old = e_visible / (e_visible + o_visible)  # the `<5` cells read as 0
    assert not result["share_min"] <= old <= result["share_max"]
    shown = (round(100 * result["share_min"], 1), round(100 * result["share_max"], 1))
    assert vintage != "2025" or shown == (74.8, 75.4)  # the range issue 14 measured


def test_glotip_group_ranges_on_the_real_data_hold_every_fill():
    glotip = pd.read_parquet(paths.processed_dir() / "glotip.parquet")
    groups = shares.glotip_explicit_shares(glotip, mp.load_mapping(), "2025", shares.GROUPING)
    groups = groups[groups["instrument"] == PAL.key]
    cells = _real_glotip_cells("2025")
    cells = cells[(cells["sex"] != "Total") & (cells["age"] != "Total")]
    assert len(groups) == cells.groupby(["sex", "age"]).ngroups
    sexes = {v: k for k, v in shares.GLOTIP_SEX.items()}
    ages = {v: k for k, v in shares.GLOTIP_AGE.items()}
    old = {}
    for row in groups.itertuples():
        group = cells[(cells["sex"] == sexes[row.gender]) & (cells["age"] == ages[row.age_group])]
        is_explicit = group["category"].isin(EXPLICIT_FORMS)
        e_visible, e_low, e_high = _independent_bounds(group[is_explicit])
        visible, low, high = _independent_bounds(group)
        assert (row.explicit_lower, row.explicit_upper) == (e_low, e_high)
        assert (row.victims_lower, row.victims_upper) == (low, high)
        assert row.share_min == pytest.approx(e_low / (e_low + high - e_high))
        assert row.share_max == pytest.approx(e_high / (e_high + low - e_low))
        # each `<5` cell holds at least one victim: the published cells alone (the old
        # table's total) fall below every possible total
        assert visible + row.suppressed_cells <= low
        old[row.gender, row.age_group] = (visible, e_visible / visible, row)
    visible, _, row = old["other", "child (0-17)"]
    assert visible < row.victims_lower  # the old 189 against at least 422
    _, share, row = old["female", "adult (18+)"]
    assert not row.share_min <= share <= row.share_max  # the old 89.3% against 88.0-89.1%


def test_glotip_unknown_vintage_is_an_error():
    with pytest.raises(DataError, match="vintage '1999'"):
        shares.glotip_explicit_shares(glotip_rows(), mp.load_mapping(), "1999")


@pytest.mark.slow
def test_notebook_publishes_no_small_count_and_no_small_gain(tmp_path):
    """Run with a threshold above today's EU 2024 gain (235 forced-marriage records in the
    K-anon release) so that the suppression paths run on the real data."""
    from test_victims import small_counts

    threshold = 300
    notebook = paths.notebooks_dir() / "30_definitions.ipynb"
    outcome = pipeline.execute(
        notebook, tmp_path / "out.ipynb", {"min_cell": threshold, "report_dir": str(tmp_path)}
    )
    assert outcome.ok, outcome.error
    results = json.loads((tmp_path / "results" / "30_definitions.json").read_text())["results"]
    assert small_counts(results, threshold) == []
    kanon = results["ctdc_explicit_share"]["kanon_2021"]
    victims = pd.read_parquet(paths.processed_dir() / "victims.parquet")
    forced_marriage = victims.loc[victims["release"] == "kanon_2021", "is_forced_marriage"]
    assert 0 < forced_marriage.fillna(False).sum() < 2 * threshold  # the gain is near the limit
    shown = sorted(r["count"] for r in kanon.values() if r["count"] is not None)
    numbers = [0, *shown, kanon["palermo_2000"]["total"]]
    assert not any(0 < b - a < threshold for a, b in pairwise(numbers))
    for record in results["eu_only_records"]["kanon_2021"].values():
        assert all(v is None or v >= threshold for v in record.values())
    text = "\n".join(
        "".join(o.get("data", {}).get("text/markdown", ""))
        for cell in json.loads((tmp_path / "out.ipynb").read_text())["cells"]
        for o in cell.get("outputs", [])
    )
    gains = [line for line in text.splitlines()
             if line.startswith("- **CTDC K-anonymised release (2021)**")]  # fmt: skip
    assert len(gains) == 1 and "235" not in gains[0]  # the EU 2024 gain is below the threshold
    assert f"EU 2024 fewer than {threshold}." in gains[0] or "EU 2024 an undisclosed" in gains[0]
    assert kanon["palermo_2000"] == kanon["coe_2005"]
    glotip = results["glotip_explicit_share"]
    # GLOTIP forms cannot tell the instruments apart
    assert len({(v["share_min"], v["share_max"]) for v in glotip.values()}) == 1
    assert results["eu_purposes_without_data"] == ["surrogacy", "illegal_adoption"]
    kanon_minor = victims.loc[victims["release"] == "kanon_2021", "is_minor"]
    assert results["minor_share"]["kanon_2021"] == pytest.approx(kanon_minor.mean())
    assert (tmp_path / "figures" / "30_definitions" / "element_matrix.png").is_file()
    # the five instruments side by side, and the widening measured against the Framework Decision
    shown = pd.read_csv(tmp_path / "tables" / "30_definitions" / "instruments.csv", index_col=0)
    assert list(shown.columns) == [i.short for i in ins.COMPARED]
    assert "Art. 4(e)" in shown.loc["victim", COE.short]
    assert shown.loc["victim", PAL.short] == "not defined"
    assert "begging" in shown.loc["purposes", EU11.short]
    assert "begging" not in shown.loc["purposes", PAL.short]
    fd = shown[ins.FRAMEWORK_2002.short]  # "labour or services, including at least ..."
    assert fd["purposes"].endswith("(labour purposes a minimum: 'including at least')")
    assert "removal of organs" not in fd["purposes"] and "begging" not in fd["purposes"]
    assert "Art. 1(1)(c)" in fd["position of vulnerability"]
    assert "surrogacy, not encoded" in shown.loc["child", EU24.short]
    widening = {r["element"]: r for r in results["widening_2011_vs_framework_2002"]}
    assert set(widening) == {"begging", "criminal_activities", "removal_of_organs",
                             "purposes_minimum"}  # fmt: skip
    assert (
        widening["removal_of_organs"]["palermo_2000"] and widening["removal_of_organs"]["coe_2005"]
    )
    assert not any(widening[k][i] for k in ("begging", "criminal_activities")
                   for i in ("palermo_2000", "coe_2005"))  # fmt: skip
    assert "Neither contains begging" in text  # in the findings
    assert "lacks removal of organs, which all four name" in text
    assert "The CTDC synthetic release (2021) is described, not inferred from" in text
    assert results["purposes_added"]["eu_2024_vs_eu_2011"] == [
        "surrogacy",
        "forced_marriage",
        "illegal_adoption",
    ]
    assert "Releases that record none of these forms: CTDC Global Dataset (2020), CTDC " in text
    assert (
        "Purposes the EU texts add that **no dataset category records**: exploitation of "
        "surrogacy, exploitation of illegal adoption." in text
    )
    assert "GLOTIP 2025: 391,413–395,439 detected victims in 950 country-years" in text
    [headline] = results["headline"]  # the index's one line, in the notebook
    assert headline.startswith("In the real CTDC cases, ") and "amended EU Directive" in headline
