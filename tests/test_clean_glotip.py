"""GLOTIP cleaning: one fixture row per quirk, bad input, and the real exports."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from analysis import catalog
from analysis.clean import glotip
from analysis.data import countries, sources
from analysis.data.errors import DataError

FIXTURES = Path(__file__).parent / "fixtures" / "glotip"
SHEET = "data_glotip_1"


def fixture_rows() -> list[list[str]]:
    with open(FIXTURES / "quirks.csv", encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def write_xlsx(path: Path, rows: list[list[str]], banner: bool = True) -> Path:
    """An export laid out like the UNODC download: banner, date, header, text values."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = SHEET
    if banner:
        sheet.append(["UNODC"])
        sheet.append(["14/04/2025"])
    for row in rows:
        sheet.append([cell or None for cell in row])
    book.save(path)
    return path


@pytest.fixture
def quirks(tmp_path: Path) -> Path:
    return write_xlsx(tmp_path / "quirks.xlsx", fixture_rows())


@pytest.fixture
def cleaned(quirks: Path) -> glotip.Vintage:
    return glotip.clean(glotip.read_export(quirks), "2025", quirks)


def one(table: pd.DataFrame, **where) -> pd.Series:
    mask = pd.Series(True, index=table.index)
    for col, value in where.items():
        mask &= table[col] == value
    rows = table[mask.fillna(False)]
    assert len(rows) == 1, f"{len(rows)} rows match {where}"
    return rows.iloc[0]


def test_suppressed_cell_keeps_flag_and_bounds(cleaned):
    row = one(cleaned.table, iso3="BLR", indicator="Detected trafficking victims", sex="Female")
    assert row["is_suppressed"] and pd.isna(row["value"])
    assert (row["lower"], row["upper"]) == glotip.SUPPRESSED_BOUNDS == (1, 4)


def test_thousands_separator_is_parsed(cleaned):
    row = one(cleaned.table, iso3="IND")
    assert row["value"] == row["lower"] == row["upper"] == 1192
    assert not row["is_suppressed"]


def test_junk_rows_are_quarantined_with_reasons(cleaned):
    q = cleaned.cleaned.quarantine.set_index("Iso3_code", drop=False)
    assert q.loc["PAK", "reason"].startswith("questionnaire code")
    assert q.loc["SLE", "reason"].startswith("date-like value")
    assert q.loc["SAM", "reason"].startswith("not a country code")
    assert q["Iso3_code"].isna().sum() == 1  # Sark
    report = cleaned.quality
    assert report["rows_in"] == len(fixture_rows()) - 1
    assert report["rows_out"] + report["rows_quarantined"] == report["rows_in"]
    assert set(cleaned.table["iso3"]).isdisjoint({"PAK", "SLE", "SAM"})


def test_repeated_age_parts_are_summed(cleaned):
    row = one(cleaned.table, iso3="BGR")
    assert row["value"] == 31 + 322 and row["n_parts"] == 2


def test_repeated_sub_forms_with_a_suppressed_part_stay_suppressed(cleaned):
    row = one(cleaned.table, iso3="ALB")
    assert row["is_suppressed"] and pd.isna(row["value"])
    assert (row["lower"], row["upper"]) == (1 + 22 + 7, 4 + 22 + 7)
    assert row["n_parts"] == 3
    assert cleaned.quality["repeated_keys"]["rows_removed_by_summing"] == 1 + 2


def test_unrecognised_repeat_is_quarantined_not_summed(tmp_path):
    rows = fixture_rows()
    path = write_xlsx(tmp_path / "repeat.xlsx", [*rows, rows[1]])  # BLR prosecuted, twice
    result = glotip.clean(glotip.read_export(path), "2025", path)
    reasons = result.cleaned.quarantine["reason"]
    assert (reasons == "repeated key of an unrecognised kind").sum() == 2
    assert not (
        (result.table["iso3"] == "BLR") & (result.table["indicator"] == "Persons prosecuted")
    ).any()


def test_mojibake_and_national_labels_are_mapped(cleaned):
    nationals = one(cleaned.table, iso3="CRI")
    assert nationals["category_kind"] == "nationals" and pd.isna(nationals["category_iso3"])
    peru = one(cleaned.table, iso3="COL", category="PER\ufffd")
    assert (peru["category_kind"], peru["category_iso3"]) == ("country", "PER")
    assert one(cleaned.table, iso3="COL", category="Atlantis")["category_kind"] == "unmapped"
    assert one(cleaned.table, iso3="ARE")["category_kind"] == "unknown"
    assert cleaned.quality["categories"]["unmapped_labels"] == ["Atlantis"]
    assert cleaned.quality["categories"]["mojibake_rows"] == 2


def test_mapping_table_is_valid():
    mapping = glotip.load_mapping()
    codes = mapping["target"][~mapping["target"].isin(glotip.MAPPING_KINDS)]
    assert codes.isin(set(countries.converter().data["ISO3"])).all()
    mojibake = mapping[mapping["label"].str.contains("\ufffd", regex=False)]
    assert len(mojibake) > 0 and mojibake["note"].notna().all()


def test_sheet_without_banner_is_refused(tmp_path):
    path = write_xlsx(tmp_path / "nobanner.xlsx", fixture_rows(), banner=False)
    with pytest.raises(DataError, match=rf"sheet '{SHEET}'.*row 1 should be the 'UNODC' banner"):
        glotip.read_export(path)


def test_renamed_column_is_refused(tmp_path):
    rows = fixture_rows()
    rows[0] = ["Value" if c == "txtVALUE" else c for c in rows[0]]
    path = write_xlsx(tmp_path / "renamed.xlsx", rows)
    with pytest.raises(DataError, match=rf"sheet '{SHEET}', header row 3.*missing \['txtVALUE'\]"):
        glotip.read_export(path)


def test_non_numeric_value_names_sheet_column_and_rows(tmp_path):
    rows = fixture_rows()
    rows[3][rows[0].index("txtVALUE")] = "n/a"  # data row 3 = spreadsheet row 6
    path = write_xlsx(tmp_path / "text.xlsx", rows)
    with pytest.raises(DataError, match=rf"sheet '{SHEET}', column 'txtVALUE'.*'n/a'.*rows 6$"):
        glotip.clean(glotip.read_export(path), "2025", path)


def test_failure_leaves_earlier_outputs_intact(tmp_path, quirks, monkeypatch):
    good = glotip.read_export(quirks)
    rows = fixture_rows()
    rows[1][rows[0].index("txtVALUE")] = "five"
    bad = glotip.read_export(write_xlsx(tmp_path / "bad.xlsx", rows))
    out = tmp_path / "processed"
    monkeypatch.setattr(glotip, "read_vintage", lambda v, raw_root=None: (good, quirks))
    glotip.write(glotip.clean_vintages(["2025", "2023"]), out)
    before = {p: p.read_bytes() for p in out.rglob("*.parquet")}
    assert len(before) == 3
    monkeypatch.setattr(
        glotip, "read_vintage", lambda v, raw_root=None: (good if v == "2025" else bad, quirks)
    )
    with pytest.raises(DataError, match="'five'"):
        glotip.write(glotip.clean_vintages(["2025", "2023"]), out)
    assert {p: p.read_bytes() for p in out.rglob("*.parquet")} == before


def test_a_single_vintage_removes_the_stale_vintage_diff(tmp_path, quirks, monkeypatch):
    good = glotip.read_export(quirks)
    out = tmp_path / "processed"
    monkeypatch.setattr(glotip, "read_vintage", lambda v, raw_root=None: (good, quirks))
    glotip.write(glotip.clean_vintages(["2025", "2023"]), out)
    diff = catalog.table("glotip_vintage_diff").location(out)
    assert diff.is_file()
    glotip.write(glotip.clean_vintages(["2025"]), out)
    assert not diff.exists()
    assert catalog.table("glotip").location(out).is_file()


@pytest.mark.parametrize(
    ("vintages", "message"),
    [([], "none given; name one or more of 2025, 2023"), (["2025", "2019"], "'2019'; name")],
)
def test_no_or_an_unknown_vintage_is_refused_before_reading(vintages, message, monkeypatch):
    monkeypatch.setattr(glotip, "read_vintage", lambda v, raw_root=None: pytest.fail("read"))
    with pytest.raises(DataError, match=message):
        glotip.clean_vintages(vintages)


# Real data: the registered exports (fetched before the tests in CI).


@pytest.fixture(scope="module")
def real() -> dict[str, glotip.Vintage]:
    return glotip.clean_vintages()


@pytest.fixture(scope="module")
def real_raw() -> dict[str, pd.DataFrame]:
    return {v: glotip.read_vintage(v)[0] for v in glotip.VINTAGES}


@pytest.mark.realdata
@pytest.mark.parametrize(
    ("vintage", "rows", "date"), [("2025", 58_769, "14/04/2025"), ("2023", 46_556, "30/05/2023")]
)
def test_real_row_accounting(real, vintage, rows, date):
    report = real[vintage].quality
    assert report["rows_in"] == rows  # as documented in enforcement/SOURCE.md
    assert report["export_date"] == date
    assert report["rows_out"] + report["rows_quarantined"] == rows
    assert (
        report["rows_written"]
        == report["rows_out"] - report["repeated_keys"]["rows_removed_by_summing"]
    )
    assert len(real[vintage].table) == report["rows_written"]
    assert report["repeated_keys"]["unrecognised_rows"] == 0


@pytest.mark.realdata
def test_real_junk_is_the_documented_placeholder_rows(real):
    q = real["2025"].cleaned.quarantine
    junk = q[q["reason"].str.startswith(("questionnaire", "date-like"))]
    found = set(zip(junk["Iso3_code"], junk["Year"], strict=True))
    documented = {(c, str(y)) for c in ["PAK", "SLE"] for y in (2019, 2020, 2021)}
    assert found == documented | {("AND", "2022"), ("SLV", "2021")}
    assert (junk["Indicator"] == "Persons convicted").all()


@pytest.mark.realdata
def test_real_belarus_2009(real):
    table = real["2025"].table
    blr = table[(table["iso3"] == "BLR") & (table["year"] == 2009)]
    totals = blr[(blr["dimension"] == "Total") & (blr["sex"] == "Total") & (blr["age"] == "Total")]
    values = totals.set_index("indicator")["value"]
    assert values["Persons prosecuted"] == 154
    assert values["Persons convicted"] == 63


@pytest.mark.realdata
@pytest.mark.parametrize("vintage", ["2025", "2023"])
def test_real_suppressed_cells_preserved(real, real_raw, vintage):
    raw_suppressed = int((real_raw[vintage]["txtVALUE"] == "<5").sum())
    if vintage == "2025":
        assert raw_suppressed == 29_558  # the count given in enforcement/SOURCE.md
    result = real[vintage]
    kept = int(result.cleaned.table["is_suppressed"].sum())
    quarantined = int((result.cleaned.quarantine["txtVALUE"] == "<5").sum())
    assert kept + quarantined == raw_suppressed
    table = result.table
    assert not (table["value"].isna() & ~table["is_suppressed"]).any()
    assert (table.loc[table["is_suppressed"], "lower"] >= 1).all()
    assert (table["value"] != 0).sum() > 0 and not (
        table["is_suppressed"] & (table["upper"] == 0)
    ).any()


@pytest.mark.realdata
@pytest.mark.parametrize("vintage", ["2025", "2023"])
def test_real_codes_valid_and_labels_mapped(real, vintage):
    valid = set(countries.converter().data["ISO3"])
    table = real[vintage].table
    assert table["iso3"].isin(valid).all()
    assert table["category_iso3"].dropna().isin(valid).all()
    assert real[vintage].quality["categories"]["unmapped_labels"] == []
    assert not table.duplicated(glotip.KEY).any()


@pytest.mark.realdata
def test_real_age_parts_sum_to_the_published_age_bands(real):
    """The decision to sum repeated Total rows, checked against rows the export also gives."""
    rows = real["2025"].table
    summed = rows[(rows["n_parts"] > 1) & (rows["dimension"] == "Total")]
    bands = rows[(rows["dimension"] == "Total") & (rows["sex"] != "Total")
                 & rows["age"].isin(["0 to 17 years", "18 years or over"])]  # fmt: skip
    by = ["iso3", "indicator", "sex", "year"]
    band_sum = bands.groupby(by)[["lower", "upper"]].sum().add_suffix("_bands")
    both = summed.join(band_sum, on=by, how="inner")
    assert len(both) == len(summed) > 100
    overlap = (both["lower"] <= both["upper_bands"]) & (both["upper"] >= both["lower_bands"])
    assert overlap.all()


@pytest.mark.realdata
def test_real_vintage_diff_accounts_for_every_cell(real):
    diff = glotip.vintage_diff(real["2025"].published, real["2023"].published)
    by_status = diff.groupby("status")["cells"].sum()
    assert by_status["added"] + by_status["revised"] + by_status["unchanged"] == len(
        real["2025"].table
    )
    assert by_status["dropped"] + by_status["revised"] + by_status["unchanged"] == len(
        real["2023"].table
    )


@pytest.mark.realdata
def test_revisions_agree_with_the_written_diff(real):
    cells = glotip.vintage_cells(real["2025"].published, real["2023"].published)
    changed = glotip.revisions(cells)
    by_status = glotip.vintage_diff(real["2025"].published, real["2023"].published)
    by_status = by_status.groupby("status")["cells"].sum()
    assert [changed[s] for s in ("added", "dropped", "revised")] == [
        by_status["added"], by_status["dropped"], by_status["revised"]
    ]  # fmt: skip
    totals = changed["revised_totals"]
    assert len(totals) == 224  # headline totals revised by the 2025 export (notebook 02)
    assert (totals[["dimension", "sex", "age"]] == "Total").all().all()
    assert (totals["status"] == "revised").all()
    assert 0 < changed["added_recent_share"] <= 1


def test_vintage_cells_compare_bounds_not_values():
    key = dict.fromkeys(glotip.KEY[1:], "x") | {"year": 2020}
    new = pd.DataFrame([key | {"iso3": "A", "lower": 1, "upper": 4},
                        key | {"iso3": "B", "lower": 3, "upper": 3},
                        key | {"iso3": "C", "lower": 7, "upper": 7}])  # fmt: skip
    old = pd.DataFrame([key | {"iso3": "A", "lower": 1, "upper": 4},
                        key | {"iso3": "B", "lower": 1, "upper": 4},
                        key | {"iso3": "D", "lower": 2, "upper": 2}])  # fmt: skip
    cells = glotip.vintage_cells(new, old).set_index("iso3")["status"]
    assert cells.to_dict() == {"A": "unchanged", "B": "revised", "C": "added", "D": "dropped"}


@pytest.mark.realdata
def test_raw_path_is_registered():
    assert sources.raw_path("glotip_2025").suffix == ".xlsx"


# --- The export against itself (`check_totals`) -----------------------------------------------


def cells(rows: list[tuple]) -> pd.DataFrame:
    """GLOTIP rows of one country and year: (indicator, dimension, category, sex, age, value or
    '<5'), as the cleaning leaves them before the check."""
    frame = pd.DataFrame(rows, columns=["indicator", "dimension", "category", "sex", "age", "v"])
    small = frame["v"] == "<5"
    value = pd.array([pd.NA if s else v for s, v in zip(small, frame["v"], strict=True)], "Int64")
    return frame.drop(columns="v").assign(
        iso3="AAA", year=2022, value=value, is_suppressed=small.to_numpy(),
        lower=pd.array([1 if s else v for s, v in zip(small, frame["v"], strict=True)], "Int64"),
        upper=pd.array([4 if s else v for s, v in zip(small, frame["v"], strict=True)], "Int64"),
    )  # fmt: skip


VICTIMS = "Detected trafficking victims"


def test_a_total_below_its_exact_parts_is_their_sum_and_marked():
    table, report = glotip.check_totals(cells([
        (VICTIMS, "Total", "Total", "Total", "Total", "<5"),
        (VICTIMS, "Total", "Total", "Female", "Total", 746),
        (VICTIMS, "Total", "Total", "Male", "Total", 541),
        (VICTIMS, "Total", "Total", "Unknown", "Unknown", 7),
        (VICTIMS, "Total", "Total", "Total", "0 to 17 years", 193),
    ]))  # fmt: skip
    total = one(table, sex="Total", age="Total")
    assert (total["value"], total["lower"], total["upper"]) == (1294, 1294, 1294)
    assert not total["is_suppressed"] and total["check"] == glotip.TOTAL_REBUILT
    assert table["check"].notna().sum() == 1
    assert report["totals_rebuilt_from_parts"] == 1
    assert report["largest_rebuilt"][0] | {"iso3": "AAA"} == {
        "iso3": "AAA", "year": 2022, "indicator": VICTIMS, "published": "<5", "rebuilt": 1294
    }  # fmt: skip


@pytest.mark.parametrize(
    ("total", "parts", "check"),
    [
        (20, [12, 8], None),  # adds up
        (25, [12, 8], None),  # parts may leave some out (other sexes)
        (20, [12, "<5", 8], None),  # the suppressed part may be 0: not a contradiction
        (19, [12, "<5", 8], glotip.TOTAL_BELOW_PARTS),  # the exact parts alone exceed it
    ],
)
def test_a_total_is_checked_against_its_parts(total, parts, check):
    sexes = ["Female", "Male", "Other"]
    rows = [(VICTIMS, "Total", "Total", "Total", "Total", total)]
    rows += [(VICTIMS, "Total", "Total", s, "Total", v) for s, v in zip(sexes, parts, strict=False)]
    table, report = glotip.check_totals(cells(rows))
    found = one(table, sex="Total", age="Total")
    assert (None if pd.isna(found["check"]) else found["check"]) == check
    assert found["upper"] == total  # kept as published
    assert report["totals_rebuilt_from_parts"] == 0


def test_rows_by_citizenship_without_a_total_are_marked():
    rows = [(VICTIMS, "by citizenship", "Belarus", "Total", "Total", 213),
            ("Persons convicted", "Total", "Total", "Total", "Total", 5),
            ("Persons convicted", "by citizenship", "Belarus", "Total", "Total", 5)]  # fmt: skip
    table, report = glotip.check_totals(cells(rows))
    assert one(table, indicator=VICTIMS)["check"] == glotip.NO_TOTAL
    assert table.loc[table["indicator"] != VICTIMS, "check"].isna().all()
    assert report["rows_without_a_total"] == 1


@pytest.mark.realdata
def test_real_germany_2022_is_rebuilt_from_its_parts_and_georgia_2021_stands_alone(real):
    table = real["2025"].table
    total = one(table, iso3="DEU", year=2022, indicator=VICTIMS, dimension="Total",
                sex="Total", age="Total")  # fmt: skip
    parts = table[(table["iso3"] == "DEU") & (table["year"] == 2022)
                  & (table["indicator"] == VICTIMS) & (table["dimension"] == "Total")
                  & (table["sex"] != "Total")]  # fmt: skip
    by_sex = parts[(parts["age"] == "Total") | (parts["sex"] == "Unknown")]  # 746, 541, 7
    assert total["value"] == by_sex["value"].sum() == 1294
    assert total["check"] == glotip.TOTAL_REBUILT
    belarusians = one(table, iso3="GEO", year=2021, indicator=VICTIMS,
                      dimension="by citizenship", category_iso3="BLR")  # fmt: skip
    assert belarusians["value"] == 213 and belarusians["check"] == glotip.NO_TOTAL
    consistency = real["2025"].quality["consistency"]
    assert consistency["largest_rebuilt"][0]["iso3"] == "DEU"
    # every total is now at least the exact sum of its parts by sex
    parts = glotip.total_parts(table)
    totals = table[glotip._is_total(table)].merge(parts, on=glotip.GROUP)
    below = totals[(totals["upper"] < totals["parts_lower"]) & totals["exact"]]
    assert below.empty
