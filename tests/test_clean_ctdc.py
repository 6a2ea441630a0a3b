"""Cleaning the CTDC victim releases: one quirk per fixture test, bad input, and the real data."""

from __future__ import annotations

import csv
import gzip
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from analysis import catalog
from analysis.clean import ctdc
from analysis.data import countries
from analysis.data.errors import DataError
from analysis.schemas import victims as schema

FIXTURES = Path(__file__).parent / "fixtures" / "ctdc"
DICTIONARY = Path(ctdc.__file__).parents[1] / "data_dictionary" / "victims.csv"


def fixture_table(release: str, name: str | None = None) -> tuple[pd.DataFrame, dict]:
    cleaned, report = ctdc.clean_release(release, FIXTURES / (name or f"{release}.csv"))
    return cleaned.table, report


def column(table: pd.DataFrame, name: str) -> list:
    return [None if pd.isna(v) else v for v in table[name]]


# --- one quirk per test, on hand-made fixtures ------------------------------------------


def test_namibia_na_stays_namibia():
    kanon, _ = fixture_table("kanon_2021")
    synthetic, _ = fixture_table("synthetic_2021")
    assert kanon["citizenship"].iloc[0] == "NAM"
    assert synthetic["citizenship"].iloc[2] == "NAM"


def test_iso2_becomes_iso3_with_region_and_eu_membership():
    table, report = fixture_table("kanon_2021")
    assert column(table, "citizenship") == ["NAM", None, "UKR", "XKX"]
    assert column(table, "exploitation_country") == ["USA", "RUS", "POL", "TUR"]
    assert column(table, "exploitation_eu27") == [False, False, True, False]
    assert table["citizenship_un_region"].iloc[2] == "Eastern Europe"
    assert report["unmatched_country_codes"] == {"citizenship": {}, "CountryOfExploitation": {}}


def test_citizenship_zero_is_unknown_and_counted():
    table, report = fixture_table("global_2020")
    assert column(table, "citizenship") == [None, "COL", "PHL"]
    assert column(table, "exploitation_country") == ["USA", None, None]
    assert report["unknown_country_codes"] == {
        "citizenship": {"0": 1},
        "CountryOfExploitation": {"0": 1},
    }
    assert report["unmatched_country_codes"]["citizenship"] == {}


def test_republisher_columns_are_ignored_and_listed():
    table, report = fixture_table("global_2020")
    assert "nacionalidade" in report["ignored_columns"]
    assert report["unexpected_columns"] == []
    assert list(table.columns) == list(schema.COLUMNS)


def test_gender_not_known_and_empty_become_unknown():
    kanon, _ = fixture_table("kanon_2021")
    synthetic, _ = fixture_table("synthetic_2021")
    assert column(kanon, "gender") == ["female", "unknown", "male", "transgender_nonconforming"]
    assert column(synthetic, "gender")[1] == "unknown"


def test_age_bands_are_harmonised_ordered_and_unknown_kept():
    synthetic, _ = fixture_table("synthetic_2021")
    kanon, _ = fixture_table("kanon_2021")
    assert column(synthetic, "age_band") == ["9-17", "unknown", "30-38", "48+"]
    assert column(kanon, "age_band") == ["9-17", "unknown", "unknown", "48+"]
    assert synthetic["age_band"].dtype == schema.AGE_BAND
    assert (synthetic["age_band"] < "18-20").tolist() == [True, False, False, False]


def test_is_minor_from_age_band_else_majority_status():
    kanon, _ = fixture_table("kanon_2021")
    # case 12: age not specified, majorityStatus Adult, a minor when exploitation began
    assert column(kanon, "is_minor") == [True, None, False, False]
    assert column(kanon, "is_minor_at_exploit") == [True, None, True, False]


def test_synthetic_empty_flag_is_false_within_a_recorded_group_else_unknown():
    table, _ = fixture_table("synthetic_2021")
    assert column(table, "is_sexual_exploit") == [True, None, False, False]
    assert column(table, "is_forced_labour") == [False, None, True, False]
    assert column(table, "control_threats") == [True, None, None, None]
    assert column(table, "control_debt_bondage") == [False, None, None, None]
    assert column(table, "recruiter_family") == [None, None, False, None]
    assert set(table["flag_false_means"]) == {"not_flagged_or_unknown"}


def test_kanon_not_specified_makes_the_group_unknown():
    table, _ = fixture_table("kanon_2021")
    # case 10: meansOfControlNotSpecified=1 and recruiterRelationUnknown=1, nothing else
    assert table.loc[0, schema.CONTROL].isna().all()
    assert table.loc[0, schema.RECRUITER].isna().all()
    assert table["sex_prostitution"].iloc[0]
    # case 11: every flag 0, so nothing is known about exploitation
    assert table.loc[1, schema.EXPLOITATION].isna().all()
    # case 13: forced marriage flagged, so the other forms are a recorded "not flagged"
    assert column(table, "is_forced_marriage") == [False, None, False, True]


def test_global_2020_tells_zero_from_unknown():
    table, _ = fixture_table("global_2020")
    assert column(table, "is_forced_labour") == [False, None, True]
    assert column(table, "is_sexual_exploit") == [True, None, False]
    assert set(table["flag_false_means"]) == {"not_flagged"}


def test_flags_a_release_lacks_are_missing_not_false():
    table, report = fixture_table("global_2020")
    absent = [f for f in schema.FLAGS if f not in report["flags_in_release"]]
    assert "control_threats" in absent and "is_other_exploit" in absent
    assert table[absent].isna().all().all()


def test_record_ids():
    kanon, _ = fixture_table("kanon_2021")
    synthetic, _ = fixture_table("synthetic_2021")
    assert column(kanon, "record_id") == ["10", "11", "12", "13"]
    assert column(synthetic, "record_id") == ["0", "1", "2", "3"]


# --- rows that belong in quarantine, and bad input ---------------------------------------

EXPECTED_REASONS = {
    "2": "gender: unknown value 'Femal'",
    "3": "citizenship: not an ISO2 country code 'ZZ'",
    "4": "CountryOfExploitation: not an ISO2 country code 'USA'",
    "5": "isForcedLabour: unknown value '2'",
    "6": "yearOfRegistration: not a year in 2002-2021 '1899'",
    "7": "caseNo: duplicate case number",
    "8": "majorityStatus: disagrees with ageBroad",
    "9": "Datasource: unknown value 'Fax'",
}


def test_bad_rows_are_quarantined_with_a_reason_each():
    cleaned, report = ctdc.clean_release("kanon_2021", FIXTURES / "kanon_2021_bad_rows.csv")
    assert column(cleaned.table, "record_id") == ["1"]
    assert cleaned.table["is_forced_labour"].isna().all()  # -99 is unknown, not an error
    quarantine = cleaned.quarantine
    assert dict(zip(quarantine["caseNo"], quarantine["reason"], strict=True)) == EXPECTED_REASONS
    assert report["rows_in"] == 10
    assert report["rows_out"] + report["rows_quarantined"] == report["rows_in"]
    assert report["quarantined_by_reason"]["caseNo: duplicate case number"] == 2
    assert report["unmatched_country_codes"] == {
        "citizenship": {"ZZ": 1},
        "CountryOfExploitation": {"USA": 1},
    }
    assert set(quarantine["source_row"]) == set(range(1, 10))


def test_three_letter_code_in_an_iso2_file_is_not_matched_by_fragment(tmp_path):
    raw = pd.read_csv(FIXTURES / "kanon_2021.csv", dtype=str, keep_default_na=False)
    raw.loc[2, "citizenship"] = "GBR"  # as ISO2 fragments country_converter would say BRA
    changed = tmp_path / "kanon.csv"
    raw.to_csv(changed, index=False)
    cleaned, _ = ctdc.clean_release("kanon_2021", changed)
    assert cleaned.quarantine["reason"].tolist() == ["citizenship: not an ISO2 country code 'GBR'"]
    assert "BRA" not in set(cleaned.table["citizenship"].dropna())


def test_schema_failure_is_an_error_naming_the_origin_and_column():
    table, _ = fixture_table("kanon_2021")
    broken = table.assign(citizenship=table["citizenship"].fillna("ZZZ"))
    with pytest.raises(DataError, match=r"fixture\.csv: \d+ schema failure(.|\n)*citizenship"):
        catalog.validate("victims", broken, "fixture.csv")


def test_writing_a_table_checks_it_against_the_schema_the_catalog_names(tmp_path):
    table, _ = fixture_table("kanon_2021")
    broken = table.assign(citizenship=table["citizenship"].fillna("ZZZ"))
    with pytest.raises(DataError, match=r"victims\.parquet: \d+ schema failure(.|\n)*citizenship"):
        catalog.write("victims", broken, tmp_path)
    assert not (tmp_path / "victims.parquet").exists()  # nothing written
    assert catalog.write("victims", table, tmp_path).is_file()


def test_missing_column_is_an_error_naming_file_and_column(tmp_path):
    raw = pd.read_csv(FIXTURES / "synthetic_2021.csv", dtype=str, keep_default_na=False)
    broken = tmp_path / "synthetic.csv"
    raw.drop(columns="gender").to_csv(broken, index=False)
    with pytest.raises(DataError, match=r"synthetic\.csv: missing column\(s\) 'gender'"):
        ctdc.clean_release("synthetic_2021", broken)


def truncated_gzip(source: Path, dest: Path) -> Path:
    data = gzip.compress(source.read_bytes() * 50)
    dest.write_bytes(data[: len(data) // 2])
    return dest


def test_truncated_gzip_is_an_error_naming_the_file(tmp_path):
    broken = truncated_gzip(FIXTURES / "kanon_2021.csv", tmp_path / "kanon.csv.gz")
    with pytest.raises(DataError, match=r"kanon\.csv\.gz: cannot be decompressed"):
        ctdc.clean_release("kanon_2021", broken)


def test_unknown_release_is_an_error():
    with pytest.raises(DataError, match="unknown CTDC release 'kanon_2024'"):
        ctdc.clean(["kanon_2024"])


def test_an_empty_release_list_is_an_error_not_all_releases():
    with pytest.raises(DataError, match="no CTDC release to clean: name one or more of synth"):
        ctdc.clean([])


STEP = "01_clean_victims"
FIXTURE_FILES = {name: FIXTURES / f"{name}.csv" for name in ctdc.CODINGS}


def outputs(folder) -> dict[str, Path]:
    """The files the cleaning step writes into `folder`, by table name."""
    return {t.name: t.location(folder) for t in catalog.written_by(STEP)}


def test_outputs_are_written_and_accounted(tmp_path):
    victims = ctdc.build(files=FIXTURE_FILES, output_dir=tmp_path)
    target = outputs(tmp_path)
    table = pd.read_parquet(target["victims"])
    assert len(table) == 11 and table["age_band"].dtype == schema.AGE_BAND
    assert pd.read_parquet(target["victims_quarantine"]).empty
    assert victims.quality["total"] == {"rows_in": 11, "rows_out": 11, "rows_quarantined": 0}


def test_earlier_outputs_stay_untouched_on_failure(tmp_path):
    ctdc.build(files=FIXTURE_FILES, output_dir=tmp_path)
    before = {k: p.read_bytes() for k, p in outputs(tmp_path).items()}
    broken = truncated_gzip(FIXTURES / "global_2020.csv", tmp_path / "global.csv.gz")
    with pytest.raises(DataError):
        ctdc.build(files={**FIXTURE_FILES, "global_2020": broken}, output_dir=tmp_path)
    after = {k: p.read_bytes() for k, p in outputs(tmp_path).items()}
    assert after == before
    assert sorted(p.name for p in tmp_path.rglob("*.part*")) == []


def test_outputs_are_deterministic(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    ctdc.build(files=FIXTURE_FILES, output_dir=first)
    ctdc.build(files=FIXTURE_FILES, output_dir=second)
    for key, path in outputs(first).items():
        assert path.read_bytes() == outputs(second)[key].read_bytes(), key


def test_data_dictionary_documents_every_column_for_every_release():
    rows = list(csv.DictReader(DICTIONARY.open(encoding="utf-8")))
    assert [r["column"] for r in rows] == list(schema.COLUMNS)
    for row in rows:
        assert all(row[name].strip() for name in ["type", "meaning", *schema.RELEASES]), row


# --- the real data, through the registry -------------------------------------------------


def raw_columns(path: Path, names: list[str]) -> dict[str, list[str]]:
    """Columns of the raw file read with the standard library only, for independent counts."""
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        rows = csv.reader(fh)
        header = next(rows)
        where = [header.index(name) for name in names]
        values = list(zip(*([row[i] for i in where] for row in rows), strict=True))
    return dict(zip(names, map(list, values), strict=True))


@pytest.fixture(scope="module")
def real() -> ctdc.Victims:
    """What the cleaning step wrote from the registered raw files (the session fixture in
    conftest.py builds it when missing), held below against the raw files themselves."""
    return ctdc.Victims(
        catalog.read("victims"),
        catalog.read("victims_quarantine"),
        catalog.read_json("victims_quality"),
    )


@pytest.fixture(scope="module")
def raw() -> dict[str, dict[str, list[str]]]:
    names = ["gender", "CountryOfExploitation"]
    return {name: raw_columns(rel.raw_file(), names) for name, rel in ctdc.CODINGS.items()}


@pytest.mark.parametrize("name", list(ctdc.CODINGS))
def test_real_every_raw_row_is_processed_or_quarantined(real, raw, name):
    processed = int((real.table["release"] == name).sum())
    quarantined = int((real.quarantine["release"] == name).sum())
    assert processed + quarantined == len(raw[name]["gender"])
    assert real.quality["releases"][name]["rows_in"] == len(raw[name]["gender"])


def test_real_synthetic_gender_counts_survive_cleaning(real):
    synthetic = real.table[real.table["release"] == "synthetic_2021"]
    counts = synthetic["gender"].value_counts()
    assert counts["female"] == 105_990
    assert counts["male"] == 39_530


@pytest.mark.parametrize("name", list(ctdc.CODINGS))
def test_real_gender_counts_equal_the_raw_labels(real, raw, name):
    expected = Counter(ctdc.GENDER.get(label, "unknown") for label in raw[name]["gender"])
    got = real.table.loc[real.table["release"] == name, "gender"].value_counts()
    assert {k: int(v) for k, v in got.items()} == dict(expected)


def test_real_every_country_code_is_iso3(real):
    iso3 = set(countries.converter().data["ISO3"].dropna())
    for col in ["citizenship", "exploitation_country"]:
        codes = set(real.table[col].dropna())
        assert codes and codes <= iso3
        assert all(len(code) == 3 for code in codes)


def test_real_unknown_and_unmatched_country_codes(real, raw):
    global_2020 = real.quality["releases"]["global_2020"]
    assert global_2020["unknown_country_codes"]["citizenship"] == {"0": 8_858}  # SOURCE.md
    zeros = raw["global_2020"]["CountryOfExploitation"].count("0")
    assert global_2020["unknown_country_codes"]["CountryOfExploitation"] == {"0": zeros}
    for report in real.quality["releases"].values():
        assert report["unmatched_country_codes"] == {
            "citizenship": {},
            "CountryOfExploitation": {},
        }


def test_real_years_and_missing_years(real):
    years = real.table.groupby("release")["year"].agg(["min", "max"])
    assert years.loc["global_2020", "max"] == 2018  # the re-publisher dropped 2019
    missing = real.table[real.table["year"].isna()]["release"].value_counts()
    assert missing["synthetic_2021"] == 39_285  # SOURCE.md
    assert missing["kanon_2021"] == 2_011  # SOURCE.md
    assert "global_2020" not in missing
