"""Reference data shipped with the ledger: GB/T 2260 regions and 国家职业分类大典 occupations (CSV, UTF-8).

`regions.csv` holds Xinjiang (650000) with its prefectures and counties, the XPCC (兵团) cities grouped under
659000 自治区直辖县级行政区划, and the other province-level units (level `province`, no parent, no jurisdiction) so
that a domicile from another province is recognised. `occupations.csv` is a starter set of 2022-edition codes;
a bureau loads its full catalogue through `ledger.reference.load`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

CATALOGUE_VERSION = "2022"

# The eight major groups (大类) of the 2015 and 2022 editions. Group 8 is the residual 不便分类的其他从业人员
# (other workers not classifiable); it is a valid code but no skill evaluation is filed for it.
MAJOR_GROUPS = {
    1: "党的机关、国家机关、群众团体和社会组织、企事业单位负责人",
    2: "专业技术人员",
    3: "办事人员和有关人员",
    4: "社会生产服务和生活服务人员",
    5: "农、林、牧、渔业生产及辅助人员",
    6: "生产制造及有关人员",
    7: "军队人员",
    8: "不便分类的其他从业人员",
}

_OCCUPATION_CODE = re.compile(r"^[1-8]-\d{2}-\d{2}-\d{2}$", re.ASCII)
_REGION_CODE = re.compile(r"^[1-9]\d{5}$", re.ASCII)

RegionLevel = Literal["province", "prefecture", "county"]
Jurisdiction = Literal["zizhiqu", "bingtuan", ""]


@dataclass(frozen=True, slots=True)
class Region:
    code: str  # GB/T 2260, 6 digits
    name: str
    parent_code: str  # "" for a province
    level: RegionLevel
    south4: bool  # 南疆四地州: 阿克苏, 克孜勒苏, 喀什, 和田 and their counties
    jurisdiction: Jurisdiction  # zizhiqu (自治区) or bingtuan (兵团) inside Xinjiang, "" elsewhere


@dataclass(frozen=True, slots=True)
class Occupation:
    code: str  # D-DD-DD-DD
    name: str
    major_group: int  # the first digit, 1-8
    catalogue_version: str


def validate_occupation_code(code: str) -> bool:
    """True for a well-formed 大典 code `D-DD-DD-DD` whose major group is 1-8 (8 = 不便分类, see MAJOR_GROUPS)."""
    return bool(_OCCUPATION_CODE.fullmatch(code))


def _rows(filename: str) -> list[dict[str, str]]:
    text = resources.files(__name__).joinpath(filename).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def _flag(value: str) -> bool:
    if value not in ("true", "false"):
        raise ValueError(f"regions.csv: south4 is true or false, not {value!r}")
    return value == "true"


_LEVELS: dict[str, RegionLevel] = {"province": "province", "prefecture": "prefecture", "county": "county"}
_JURISDICTIONS: dict[str, Jurisdiction] = {"zizhiqu": "zizhiqu", "bingtuan": "bingtuan", "": ""}


def _region(row: dict[str, str]) -> Region:
    level = _LEVELS.get(row["level"])
    jurisdiction = _JURISDICTIONS.get(row["jurisdiction"])
    if not _REGION_CODE.fullmatch(row["code"]) or level is None or jurisdiction is None:
        raise ValueError(f"regions.csv: bad row {row!r}")
    return Region(
        code=row["code"],
        name=row["name"],
        parent_code=row["parent_code"],
        level=level,
        south4=_flag(row["south4"]),
        jurisdiction=jurisdiction,
    )


def _occupation(row: dict[str, str]) -> Occupation:
    code = row["code"]
    if not validate_occupation_code(code) or int(row["major_group"]) != int(code[0]):
        raise ValueError(f"occupations.csv: bad row {row!r}")
    return Occupation(code=code, name=row["name"], major_group=int(code[0]), catalogue_version=row["catalogue_version"])


@cache
def _regions() -> tuple[Region, ...]:
    return tuple(_region(row) for row in _rows("regions.csv"))


@cache
def _occupations() -> tuple[Occupation, ...]:
    return tuple(_occupation(row) for row in _rows("occupations.csv"))


def iter_regions() -> Iterator[Region]:
    """The shipped regions, parents before children."""
    return iter(_regions())


def iter_occupations() -> Iterator[Occupation]:
    """The shipped occupations, in code order."""
    return iter(_occupations())
