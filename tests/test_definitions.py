"""The four trafficking definitions as data, the reviewed category mapping, and the shares."""

from __future__ import annotations

import json
import math
from itertools import pairwise
from pathlib import Path

import pandas as pd
import pytest

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
    assert all(i.child_below_age == 18 and i.purposes_minimum for i in ins.INSTRUMENTS)
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


def test_side_by_side_names_every_instrument_and_element():
    table = ins.side_by_side()
    assert list(table.columns) == [i.short for i in ins.INSTRUMENTS]
    assert "Art. 4(e)" in table.loc["victim", COE.short]
    assert table.loc["victim", PAL.short] == "not defined"
    assert "begging" in table.loc["purposes", EU11.short]
    assert "begging" not in table.loc["purposes", PAL.short]


def test_an_instrument_with_an_unknown_purpose_is_refused():
    with pytest.raises(ValueError, match="unknown purposes"):
        ins.amend(EU11, key="bad", purposes=("organ_trade",))


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
    assert mp.eu_purposes_without_data(mapping.reset_index()) == ["surrogacy", "illegal_adoption"]


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
        table.loc[1, "eu_2011"] = "maybe"

    with pytest.raises(DataError, match=r"empty reason in rows \[2\].*'eu_2011'.*rows \[3\]"):
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


def test_ctdc_explicit_shares_on_a_fixture_equal_hand_computed_values():
    table = shares.ctdc_explicit_shares(victim_records(), mp.load_mapping())
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
    table = shares.ctdc_explicit_shares(victim_records(), mp.load_mapping(), by=shares.GROUPING)
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


def glotip_rows() -> pd.DataFrame:
    def row(iso3, category, value, sex="Total", age="Total"):
        suppressed = value is None
        return {
            "iso3": iso3,
            "year": 2020,
            "indicator": mp.GLOTIP_INDICATOR,
            "dimension": mp.GLOTIP_DIMENSION,
            "category": category,
            "sex": sex,
            "age": age,
            "value": value,
            "is_suppressed": suppressed,
            "vintage": "2025",
        }

    sx, fl, ot = "Sexual exploitation", "Forced labour", "Other forms of exploitation"
    rows = [
        row("AAA", sx, 50), row("AAA", fl, 30), row("AAA", ot, 20),
        row("BBB", sx, 10),  # incomplete breakdown: left out
        row("CCC", sx, 40), row("CCC", fl, None), row("CCC", ot, 10),  # FL published as <5
        row("AAA", sx, 5, "Female", "0 to 17 years"), row("AAA", fl, 3, "Female", "0 to 17 years"),
        row("AAA", ot, 2, "Female", "0 to 17 years"),
    ]  # fmt: skip
    frame = pd.DataFrame(rows)
    return frame.astype({"value": "Int64", "is_suppressed": "boolean", "year": "Int64"})


def test_glotip_shares_on_a_fixture_equal_hand_computed_values():
    mapping = mp.load_mapping()
    overall = shares.glotip_explicit_shares(glotip_rows(), mapping, "2025")
    assert overall["explicit"].tolist() == [120] * 4  # 50 + 30 + 40
    assert overall["victims"].tolist() == [150] * 4  # 100 + 50; BBB left out
    assert overall["suppressed_cells"].tolist() == [1] * 4
    assert overall["share"].iloc[0] == pytest.approx(0.8)
    groups = shares.glotip_explicit_shares(glotip_rows(), mapping, "2025", shares.GROUPING)
    first = groups.iloc[0]
    assert (first["gender"], first["age_group"], first["explicit"], first["victims"]) == (
        "female",
        "child (0-17)",
        8,
        10,
    )


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
    assert f"(+fewer than {threshold})" in text
    assert kanon["palermo_2000"] == kanon["coe_2005"]
    glotip = results["glotip_explicit_share"]
    assert len({v["share"] for v in glotip.values()}) == 1  # GLOTIP forms cannot tell them apart
    assert results["eu_purposes_without_data"] == ["surrogacy", "illegal_adoption"]
    kanon_minor = victims.loc[victims["release"] == "kanon_2021", "is_minor"]
    assert results["minor_share"]["kanon_2021"] == pytest.approx(kanon_minor.mean())
    assert (tmp_path / "figures" / "30_definitions" / "element_matrix.png").is_file()
