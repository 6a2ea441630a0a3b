"""The Natural Earth polygons: codes remapped to ISO3, bad features named, the real file."""

import numpy as np
import pytest

from analysis.data import shapes
from analysis.data.errors import DataError

SQUARE = [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]]


def feature(adm0, coordinates, kind="Polygon"):
    return {"type": "Feature", "properties": {"ADM0_A3": adm0, "NAME": adm0},
            "geometry": {"type": kind, "coordinates": coordinates}}  # fmt: skip


def test_natural_earth_codes_are_remapped_to_iso3():
    france = feature("FRA", [[SQUARE], [SQUARE]], "MultiPolygon")
    found = shapes.parse({"features": [feature("KOS", [SQUARE]), feature("SDS", [SQUARE]), france]})
    assert sorted(found) == ["FRA", "SSD", "XKX"]
    assert len(found["FRA"].polygons) == 2


def test_bad_features_are_refused_with_their_number():
    with pytest.raises(DataError, match="feature 1 has no ADM0_A3"):
        shapes.parse({"features": [feature("AAA", [SQUARE]), feature(None, [SQUARE])]}, "x.geojson")
    with pytest.raises(DataError, match="two features for ADM0_A3 'AAA'"):
        shapes.parse({"features": [feature("AAA", [SQUARE]), feature("AAA", [SQUARE])]})
    with pytest.raises(DataError, match="not a GeoJSON FeatureCollection"):
        shapes.parse({"type": "Feature"}, "x.geojson")


def test_the_largest_part_sets_the_centroid():
    small = [[20, 20], [21, 20], [21, 21], [20, 21], [20, 20]]
    found = shapes.parse({"features": [feature("AAA", [[SQUARE], [small]], "MultiPolygon")]})
    assert shapes.signed_area(np.array(SQUARE, dtype=float)) == 100.0  # counter-clockwise
    assert shapes.signed_area(np.array(SQUARE[::-1], dtype=float)) == -100.0
    assert found["AAA"].centroid() == (4.0, 4.0)  # mean of the square's five points


def test_real_polygons_use_iso3_codes():
    found = shapes.load_shapes()
    assert len(found) == 177
    assert {"XKX", "PSE", "SSD", "ESH", "FRA", "NOR", "BLR"} <= set(found)
    assert not {"KOS", "PSX", "SDS", "SAH"} & set(found)
    assert "MLT" not in found  # small states have no polygon at 1:110m
