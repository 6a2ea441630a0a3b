"""The Natural Earth 1:110m country polygons, read from the registered raw file.

Countries are keyed by `ADM0_A3`, which is always filled (ISO_A3 is -99 for France, Norway,
Kosovo...), with the remaps of the reference SOURCE.md: KOS->XKX, PSX->PSE, SDS->SSD, SAH->ESH.
N. Cyprus (CYN) and Somaliland (SOL) keep their Natural Earth codes (they have no ISO3 code).
Many small states (Malta, Singapore, most small island states) have no polygon at this scale.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from analysis.data import sources
from analysis.data.errors import DataError

SOURCE = "natural_earth_110m"
NE_TO_ISO3 = {"KOS": "XKX", "PSX": "PSE", "SDS": "SSD", "SAH": "ESH"}

Ring = np.ndarray  # (n, 2) lon/lat


@dataclass(frozen=True)
class Shape:
    """One country of the base map: its code (ISO3 where one exists) and its polygons."""

    code: str
    name: str
    polygons: tuple[tuple[Ring, ...], ...]  # each: exterior ring, then holes

    def largest(self) -> tuple[Ring, ...]:
        return max(self.polygons, key=lambda rings: abs(signed_area(rings[0])))

    def centroid(self) -> tuple[float, float]:
        """Mean point of the largest part's exterior: good enough to place a map extent."""
        ring = self.largest()[0]
        return float(ring[:, 0].mean()), float(ring[:, 1].mean())


def signed_area(ring: Ring) -> float:
    """Shoelace area, positive for counter-clockwise rings."""
    x, y = ring[:, 0], ring[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


def _rings(coordinates) -> tuple[Ring, ...]:
    return tuple(np.asarray(ring, dtype=float)[:, :2] for ring in coordinates)


def parse(geojson: dict, path: Path | str = "") -> dict[str, Shape]:
    """Shapes keyed by ISO3 (ADM0_A3 with the Natural Earth remaps), from a FeatureCollection."""
    features = geojson.get("features")
    if not isinstance(features, list):
        raise DataError(f"{path}: not a GeoJSON FeatureCollection (no 'features' list)")
    shapes: dict[str, Shape] = {}
    for number, feature in enumerate(features):
        props = feature.get("properties") or {}
        adm0 = props.get("ADM0_A3")
        geometry = feature.get("geometry") or {}
        if not adm0 or geometry.get("type") not in ("Polygon", "MultiPolygon"):
            raise DataError(
                f"{path}: feature {number} has no ADM0_A3 or a geometry of type "
                f"{geometry.get('type')!r} (expected Polygon or MultiPolygon)"
            )
        parts = geometry["coordinates"]
        polygons = [parts] if geometry["type"] == "Polygon" else parts
        code = NE_TO_ISO3.get(adm0, adm0)
        if code in shapes:
            raise DataError(f"{path}: two features for ADM0_A3 {adm0!r}")
        shapes[code] = Shape(code, str(props.get("NAME", code)), tuple(_rings(p) for p in polygons))
    return shapes


@cache
def load_shapes(path: Path | None = None) -> dict[str, Shape]:
    """The registered, checksum-verified Natural Earth 1:110m countries."""
    path = path or sources.raw_path(SOURCE)
    return parse(json.loads(Path(path).read_text(encoding="utf-8")), path)
