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
    assert countries.to_iso3(pd.Series([code])).iso3.tolist() == [iso3]


def test_codes_of_the_wrong_shape_never_match_a_fragment():
    result = countries.to_iso3(pd.Series(["GBR", "USA", "us", "GB"]))
    assert result.iso3.tolist()[3] == "GBR"
    assert result.unmatched.to_dict() == {"GBR": 1, "USA": 1, "us": 1}


def test_unmatched_codes_are_counted_not_hidden():
    result = countries.to_iso3(pd.Series(["US", "0", "0", None, "ZZ"]))
    assert result.iso3.isna().tolist() == [False, True, True, True, True]
    assert result.unmatched.to_dict() == {"0": 2, "ZZ": 1}  # missing input is not "unmatched"


def test_iso3_passes_through_only_when_valid():
    result = countries.to_iso3(pd.Series(["BLR", "XKX", "TWN", "ZZZ"]), src="ISO3")
    assert result.iso3.tolist()[:3] == ["BLR", "XKX", "TWN"]
    assert result.unmatched.to_dict() == {"ZZZ": 1}


def test_regions_and_eu_membership():
    iso3 = pd.Series(["BLR", "DEU", "GBR", None], dtype="string")
    assert countries.un_region(iso3).tolist()[:3] == [
        "Eastern Europe",
        "Western Europe",
        "Northern Europe",
    ]
    assert countries.is_eu27(iso3).tolist() == [False, True, False, pd.NA]
    assert countries.name(pd.Series(["BLR"])).tolist() == ["Belarus"]


def test_eu27_has_27_members():
    members = pd.Series(sorted(countries.converter().data["ISO3"]))
    assert int(countries.is_eu27(members).sum()) == 27


def test_names_by_regex_and_ambiguous_names():
    names = pd.Series(["Belarus", "Republic of Moldova", "Niger Nigeria"])
    result = countries.to_iso3(names, src="regex")
    assert result.iso3.tolist()[:2] == ["BLR", "MDA"]
    assert result.unmatched.to_dict() == {"Niger Nigeria": 1}  # matches two countries
