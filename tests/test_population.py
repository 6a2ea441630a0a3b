"""UN WPP 2024 population (OWID export): tidy rules on a fixture, and the registered file."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.data import countries, population
from analysis.data.errors import DataError

HEADER = (
    "Entity,Code,Year,population__sex_all__age_all__variant_estimates,"
    "population__sex_all__age_all__variant_medium\n"
)


def write(tmp_path, body: str):
    path = tmp_path / "pop.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def test_tidy_keeps_countries_maps_kosovo_and_prefers_estimates(tmp_path):
    path = write(
        tmp_path,
        "Namibia,NAM,2023,2963048,\n"
        "Namibia,NAM,2024,,3030067\n"
        "Kosovo,OWID_KOS,2022,1717900,\n"
        "Taiwan,TWN,2022,23420051,\n"
        "World,OWID_WRL,2022,7975105024,\n"
        "Africa (UN),,2022,1426736614,\n",
    )
    table = population.tidy(population.read_raw(path), path)
    assert table["iso3"].tolist() == ["NAM", "NAM", "TWN", "XKX"]
    nam = table[table["iso3"] == "NAM"].set_index("year")
    assert nam.at[2023, "population"] == 2_963_048 and nam.at[2023, "variant"] == "estimate"
    assert nam.at[2024, "population"] == 3_030_067 and nam.at[2024, "variant"] == "medium"
    assert str(table["population"].dtype) == "Int64"


def test_wpp_codes_to_iso3():
    codes = pd.Series(["OWID_KOS", "OWID_WRL", "TWN", None, "NAM"])
    assert countries.wpp_to_iso3(codes).tolist() == ["XKX", pd.NA, "TWN", pd.NA, "NAM"]


def test_missing_column_names_the_file(tmp_path):
    path = tmp_path / "pop.csv"
    path.write_text("Entity,Code,Year,population\nNamibia,NAM,2023,1\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"pop\.csv.*population__sex_all__age_all__variant_medium"):
        population.read_raw(path)


def test_missing_population_is_an_error_with_the_line(tmp_path):
    path = write(tmp_path, "Namibia,NAM,2023,2963048,\nNamibia,NAM,2024,,\n")
    with pytest.raises(DataError, match=r"line\(s\) \[3\]"):
        population.tidy(population.read_raw(path), path)


def test_repeated_country_year_is_an_error(tmp_path):
    path = write(tmp_path, "Kosovo,OWID_KOS,2022,1717900,\nKosovo,XKX,2022,1717900,\n")
    with pytest.raises(DataError, match="more than one row"):
        population.tidy(population.read_raw(path), path)


def test_lookup_gives_na_where_wpp_has_none():
    table = pd.DataFrame(
        {"iso3": ["NAM"], "year": pd.array([2020], "Int64"),
         "population": pd.array([2_500_000], "Int64"), "variant": ["estimate"]}
    )  # fmt: skip
    got = population.lookup(table, pd.Series(["NAM", "XKX"]), pd.Series([2020, 2020]))
    assert got.tolist() == [2_500_000, pd.NA]


@pytest.mark.realdata
def test_registered_wpp_file():
    table = population.load()
    keyed = table.set_index(["iso3", "year"])
    # SOURCE.md spot check: AFG 2023 = 41,454,709 in this OWID export of WPP 2024.
    assert keyed.at[("AFG", 2023), "population"] == 41_454_709
    assert keyed.at[("AFG", 2023), "variant"] == "estimate"
    assert keyed.at[("AFG", 2024), "variant"] == "medium"
    assert {"XKX", "TWN", "NAM"} <= set(table["iso3"])
    assert not table["iso3"].str.startswith("OWID").any()
    assert table["iso3"].nunique() == 237  # 236 ISO3 codes plus Kosovo
    assert not table.duplicated(["iso3", "year"]).any()
    assert (table.groupby("iso3")["year"].agg(["min", "max"]) == [1950, 2100]).all().all()
