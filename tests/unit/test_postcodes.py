"""Postcodes of Region Hannover: kinds, municipalities, centroids and distances."""

import pytest

from geo import PostcodeInfo, PostcodeKind, distance_km, lookup_postcode, postcode_distance_km
from geo.postcodes import COMPANY_FILE, RESIDENTIAL_FILE, _company, _residential


def test_a_hannover_postcode_is_in_the_region_with_its_centroid():
    info = lookup_postcode("30159")
    assert info == PostcodeInfo("30159", PostcodeKind.REGION, ("Hannover",), 52.37325, 9.73856)
    assert info.municipality == "Hannover"


def test_surrounding_municipalities_are_in_the_region():
    assert lookup_postcode("31535").municipality == "Neustadt am Rübenberge"
    assert lookup_postcode("30974").municipality == "Wennigsen (Deister)"
    assert lookup_postcode(" 31832 ").municipality == "Springe"


def test_all_53_residential_postcodes_load():
    assert len(_residential()) == 53
    assert all(lookup_postcode(code).kind is PostcodeKind.REGION for code in _residential())


def test_the_airport_postcode_belongs_to_hannover_and_langenhagen():
    info = lookup_postcode("30669")
    assert info.kind is PostcodeKind.REGION
    assert info.municipalities == ("Hannover", "Langenhagen")
    assert info.municipality == "Hannover"


@pytest.mark.parametrize("code", ["30125", "30140", "30156", "30417", "30620", "30690", "30700", "31830"])
def test_company_postcodes_are_not_outside_the_region(code):
    info = lookup_postcode(code)
    assert info.kind is PostcodeKind.COMPANY
    assert info.municipality is None
    assert info.lat is None


def test_the_company_list_matches_the_data_readme():
    listed = {
        "30417",
        "30517",
        "30645",
        "30647",
        "30684",
        "30700",
        "30820",
        "30821",
        "30875",
        "30876",
        "30988",
        "31272",
        "31273",
        "31300",
        "31513",
        "31533",
        "31830",
    }
    ranges = [("30125", "30156"), ("30619", "30623"), ("30689", "30692")]
    for first, last in ranges:
        listed |= {f"{n:05d}" for n in range(int(first), int(last) + 1)}
    assert _company() == listed
    assert not _company() & set(_residential()), "a residential postcode is listed as a company one"
    assert COMPANY_FILE.read_text(encoding="utf-8").startswith("#")


@pytest.mark.parametrize("code", ["10115", "01067", "80331", "30160", "99998", "31000"])
def test_other_german_postcodes_are_outside(code):
    info = lookup_postcode(code)
    assert info.kind is PostcodeKind.OUTSIDE
    assert info.municipalities == ()
    assert info.municipality is None


@pytest.mark.parametrize(
    "code", ["", "3015", "301599", "00000", "00123", "3O159", "30 159", "３０１５９", "abcde"]
)
def test_anything_else_is_invalid(code):
    assert lookup_postcode(code).kind is PostcodeKind.INVALID


def test_distance_km_is_the_great_circle_distance():
    assert distance_km(52.0, 9.0, 52.0, 9.0) == 0
    # Hannover Hbf to Berlin Hbf is about 250 km as the crow flies.
    assert distance_km(52.3767, 9.7409, 52.5251, 13.3694) == pytest.approx(248, abs=3)
    assert distance_km(0, 0, 0, 1) == pytest.approx(111.2, abs=0.1)


def test_postcode_distance_between_region_centroids():
    assert postcode_distance_km("30159", "30159") == 0
    mitte_to_springe = postcode_distance_km("30159", "31832")
    assert mitte_to_springe == pytest.approx(22.4, abs=0.5)
    assert postcode_distance_km("31832", "30159") == mitte_to_springe


@pytest.mark.parametrize("other", ["10115", "30125", "abc"])
def test_postcode_distance_is_none_without_a_centroid(other):
    assert postcode_distance_km("30159", other) is None
    assert postcode_distance_km(other, "30159") is None


def test_data_files_sit_in_the_repository_data_folder():
    assert RESIDENTIAL_FILE.parent.name == "data" and RESIDENTIAL_FILE.is_file()
    assert COMPANY_FILE.is_file()
