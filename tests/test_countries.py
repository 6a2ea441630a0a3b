"""Country codes through country_converter (with the pandas-3 workaround)."""

import pandas as pd
import pytest

from analysis.data import countries


def test_converter_constructs_under_pandas_3():
    assert len(countries.converter().data) > 240


@pytest.mark.parametrize(
    ("code", "iso3"), [("NA", "NAM"), ("XK", "XKX"), ("US", "USA"), ("TW", "TWN"), ("BY", "BLR")]
)
def test_iso2_to_iso3(code, iso3):
    assert countries.to_iso3(pd.Series([code])).tolist() == [iso3]


def test_codes_of_the_wrong_shape_never_match_a_fragment():
    result = countries.to_iso3(pd.Series(["GBR", "USA", "us", "GB"]))
    assert result.tolist()[3] == "GBR"
    assert result.isna().tolist() == [True, True, True, False]  # GBR, USA, us: unmatched


def test_unmatched_and_missing_codes_give_no_iso3():
    result = countries.to_iso3(pd.Series(["US", "0", "0", None, "ZZ"]))
    assert result.isna().tolist() == [False, True, True, True, True]


def test_iso3_passes_through_only_when_valid():
    result = countries.to_iso3(pd.Series(["BLR", "XKX", "TWN", "ZZZ"]), src="ISO3")
    assert result.tolist()[:3] == ["BLR", "XKX", "TWN"]
    assert pd.isna(result.iloc[3])  # ZZZ


def test_regions_and_eu_membership():
    iso3 = pd.Series(["BLR", "DEU", "GBR", None], dtype="string")
    assert countries.un_region(iso3).tolist()[:3] == [
        "Eastern Europe",
        "Western Europe",
        "Northern Europe",
    ]
    assert countries.is_eu27(iso3).tolist() == [False, True, False, pd.NA]
    assert countries.name(pd.Series(["BLR"])).tolist() == ["Belarus"]
    assert countries.names(["DEU", "AAA"]) == ["Germany", "AAA"]  # unknown codes kept


def test_eu27_has_27_members():
    members = pd.Series(sorted(countries.converter().data["ISO3"]))
    assert int(countries.is_eu27(members).sum()) == 27


def test_names_by_regex_and_ambiguous_names():
    names = pd.Series(["Belarus", "Republic of Moldova", "Niger Nigeria"])
    result = countries.to_iso3(names, src="regex")
    assert result.tolist()[:2] == ["BLR", "MDA"]
    assert pd.isna(result.iloc[2])  # "Niger Nigeria" matches two countries
