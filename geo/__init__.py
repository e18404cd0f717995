"""Postcode -> municipality and coordinates (Region Hannover data); distance."""

from geo.postcodes import (
    PostcodeInfo,
    PostcodeKind,
    distance_km,
    lookup_postcode,
    postcode_distance_km,
)

__all__ = ["PostcodeInfo", "PostcodeKind", "distance_km", "lookup_postcode", "postcode_distance_km"]
