"""Postcodes of Region Hannover: what kind a code is, its municipality and its centroid."""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
RESIDENTIAL_FILE = DATA_DIR / "region_hannover_plz.csv"
COMPANY_FILE = DATA_DIR / "region_hannover_company_plz.txt"

EARTH_RADIUS_KM = 6371.0088
_FIVE_DIGITS = re.compile(r"[0-9]{5}")


class PostcodeKind(StrEnum):
    """What a postcode means to the hotline."""

    REGION = "region"  # a residential postcode of Region Hannover
    COMPANY = "company"  # a Großkunden/Postfach postcode of the region: nobody lives there
    OUTSIDE = "outside"  # a well-formed German postcode outside the region
    INVALID = "invalid"  # not a German postcode at all


@dataclass(frozen=True)
class PostcodeInfo:
    """One postcode as the hotline sees it."""

    code: str
    kind: PostcodeKind
    municipalities: tuple[str, ...] = ()
    lat: float | None = None
    lon: float | None = None

    @property
    def municipality(self) -> str | None:
        """Return the first municipality, or None outside the region."""
        return self.municipalities[0] if self.municipalities else None


@dataclass(frozen=True)
class _Residential:
    municipalities: tuple[str, ...]
    lat: float
    lon: float


@cache
def _residential() -> dict[str, _Residential]:
    """Load the residential postcodes once; a code may belong to several municipalities (30669)."""
    rows: dict[str, _Residential] = {}
    with RESIDENTIAL_FILE.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            code = row["plz"].strip()
            known = rows.get(code)
            names = (known.municipalities if known else ()) + (row["municipality"].strip(),)
            rows[code] = _Residential(names, float(row["lat"]), float(row["lon"]))
    return rows


@cache
def _company() -> frozenset[str]:
    """Load the Großkunden/Postfach postcodes once, expanding ranges."""
    codes: set[str] = set()
    for number, raw in enumerate(COMPANY_FILE.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        first, _, last = (part.strip() for part in line.partition("-"))
        last = last or first
        if not (_FIVE_DIGITS.fullmatch(first) and _FIVE_DIGITS.fullmatch(last)) or last < first:
            raise ValueError(f"{COMPANY_FILE.name} line {number}: not a postcode or range: {raw!r}")
        codes.update(f"{n:05d}" for n in range(int(first), int(last) + 1))
    return frozenset(codes)


def lookup_postcode(code: str) -> PostcodeInfo:
    """Classify a postcode and return its municipalities and centroid when it is in the region."""
    code = code.strip()
    # German postcodes are five digits; the leading zone "00" has never been assigned.
    if not _FIVE_DIGITS.fullmatch(code) or code.startswith("00"):
        return PostcodeInfo(code, PostcodeKind.INVALID)
    residential = _residential().get(code)
    if residential is not None:
        return PostcodeInfo(
            code, PostcodeKind.REGION, residential.municipalities, residential.lat, residential.lon
        )
    if code in _company():
        return PostcodeInfo(code, PostcodeKind.COMPANY)
    return PostcodeInfo(code, PostcodeKind.OUTSIDE)


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Return the great-circle (haversine) distance between two WGS84 points in kilometres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def postcode_distance_km(a: str, b: str) -> float | None:
    """Return the distance between two region postcodes' centroids, or None if either has none."""
    first, second = lookup_postcode(a), lookup_postcode(b)
    if first.lat is None or first.lon is None or second.lat is None or second.lon is None:
        return None
    return distance_km(first.lat, first.lon, second.lat, second.lon)
