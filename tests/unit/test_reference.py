"""ledger.reference: the shipped regions and occupations hold together."""

from __future__ import annotations

import dataclasses

import pytest

from ledger.people.identity import PROVINCE_CODES
from ledger.reference import (
    CATALOGUE_VERSION,
    MAJOR_GROUPS,
    Occupation,
    Region,
    iter_occupations,
    iter_regions,
    validate_occupation_code,
)

XINJIANG_PREFECTURES = {
    "650100": "乌鲁木齐市",
    "650200": "克拉玛依市",
    "650400": "吐鲁番市",
    "650500": "哈密市",
    "652300": "昌吉回族自治州",
    "652700": "博尔塔拉蒙古自治州",
    "652800": "巴音郭楞蒙古自治州",
    "652900": "阿克苏地区",
    "653000": "克孜勒苏柯尔克孜自治州",
    "653100": "喀什地区",
    "653200": "和田地区",
    "654000": "伊犁哈萨克自治州",
    "654200": "塔城地区",
    "654300": "阿勒泰地区",
}
SOUTH4 = {"652900", "653000", "653100", "653200"}
XPCC_GROUP = "659000"


@pytest.fixture(scope="module")
def regions() -> dict[str, Region]:
    rows = list(iter_regions())
    by_code = {r.code: r for r in rows}
    assert len(by_code) == len(rows), "region codes are unique"
    return by_code


def test_region_rows_are_well_formed(regions: dict[str, Region]) -> None:
    for region in regions.values():
        assert len(region.code) == 6 and region.code.isdigit()
        assert region.name and region.name == region.name.strip()
        assert region.level in ("province", "prefecture", "county")
        assert region.jurisdiction in ("zizhiqu", "bingtuan", "")


def test_every_parent_exists_one_level_up(regions: dict[str, Region]) -> None:
    above = {"prefecture": "province", "county": "prefecture"}
    for region in regions.values():
        if region.level == "province":
            assert region.parent_code == ""
            assert region.code.endswith("0000")
        else:
            parent = regions[region.parent_code]
            assert parent.level == above[region.level]
            assert region.code[:2] == parent.code[:2]


def test_counties_sit_under_the_prefecture_their_code_names(regions: dict[str, Region]) -> None:
    for region in regions.values():
        if region.level == "county":
            assert region.code[:4] + "00" == region.parent_code


def test_regions_are_listed_parents_first(regions: dict[str, Region]) -> None:
    seen: set[str] = set()
    for region in iter_regions():
        assert region.parent_code == "" or region.parent_code in seen
        seen.add(region.code)


def test_every_province_level_unit_is_present_and_agrees_with_the_id_check(regions: dict[str, Region]) -> None:
    provinces = {r.code[:2] for r in regions.values() if r.level == "province"}
    assert provinces == PROVINCE_CODES
    assert len(provinces) == 34
    assert regions["650000"].name == "新疆维吾尔自治区"
    assert regions["110000"].name == "北京市"
    assert regions["820000"].name == "澳门特别行政区"


def test_xinjiang_prefectures(regions: dict[str, Region]) -> None:
    prefectures = {r.code: r.name for r in regions.values() if r.level == "prefecture" and r.code != XPCC_GROUP}
    assert prefectures == XINJIANG_PREFECTURES
    for code in XINJIANG_PREFECTURES:
        assert any(r.parent_code == code for r in regions.values()), f"{code} has counties"


def test_south4_is_the_four_prefectures_and_their_counties(regions: dict[str, Region]) -> None:
    south = {r.code for r in regions.values() if r.south4}
    expected = SOUTH4 | {r.code for r in regions.values() if r.parent_code in SOUTH4}
    assert south == expected
    assert {"653101", "653201", "652901", "653001"} <= south


def test_xpcc_cities_are_bingtuan_and_everything_else_in_xinjiang_is_zizhiqu(regions: dict[str, Region]) -> None:
    xpcc = {r.code: r.name for r in regions.values() if r.jurisdiction == "bingtuan"}
    assert xpcc[XPCC_GROUP] == "自治区直辖县级行政区划"
    assert xpcc["659001"] == "石河子市"
    assert xpcc["659002"] == "阿拉尔市"
    assert xpcc["659012"] == "白杨市"
    assert set(xpcc) == {XPCC_GROUP} | {f"6590{n:02d}" for n in range(1, 13)}
    for region in regions.values():
        if region.code.startswith("65") and region.code not in xpcc:
            assert region.jurisdiction == "zizhiqu"
        if not region.code.startswith("65"):
            assert region.jurisdiction == ""


def test_the_spec_example_id_numbers_have_known_regions(regions: dict[str, Region]) -> None:
    assert regions["650102"].name == "天山区"
    assert regions["653101"].name == "喀什市"
    assert regions["653101"].south4


def test_rows_are_frozen(regions: dict[str, Region]) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        regions["650000"].name = "x"  # type: ignore[misc]


# --- occupations ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def occupations() -> dict[str, Occupation]:
    rows = list(iter_occupations())
    by_code = {o.code: o for o in rows}
    assert len(by_code) == len(rows), "occupation codes are unique"
    return by_code


def test_occupation_rows_are_well_formed(occupations: dict[str, Occupation]) -> None:
    assert occupations
    for occupation in occupations.values():
        assert validate_occupation_code(occupation.code)
        assert occupation.major_group == int(occupation.code[0])
        assert occupation.major_group in MAJOR_GROUPS
        assert occupation.catalogue_version == CATALOGUE_VERSION == "2022"
        assert occupation.name and occupation.name == occupation.name.strip()
    assert len({o.name for o in occupations.values()}) == len(occupations)


def test_occupations_are_in_code_order() -> None:
    codes = [o.code for o in iter_occupations()]
    assert codes == sorted(codes)


def test_known_occupations(occupations: dict[str, Occupation]) -> None:
    assert occupations["6-18-01-01"].name == "车工"
    assert occupations["6-18-02-04"].name == "焊工"
    assert occupations["4-03-02-01"].name == "中式烹调师"
    assert occupations["4-10-01-05"].name == "养老护理员"


@pytest.mark.parametrize("code", ["6-18-01-01", "1-01-00-01", "8-00-00-00", "2-02-10-99"])
def test_well_formed_codes(code: str) -> None:
    assert validate_occupation_code(code)


@pytest.mark.parametrize(
    "code",
    [
        "",
        "0-18-01-01",
        "9-18-01-01",
        "6-18-01-1",
        "6-18-01-011",
        "61-8-01-01",
        "6180101",
        "6-18-01-01\n",
        " 6-18-01-01",
        "６-18-01-01",
        "6-1８-01-01",
        "6—18—01—01",
    ],
)
def test_malformed_codes(code: str) -> None:
    assert not validate_occupation_code(code)
