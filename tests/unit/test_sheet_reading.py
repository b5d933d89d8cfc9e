"""Reading a sheet without a database (ledger/registration/sheets): the header, lazy chunks from a file on disk,
the file's own problems, and the service's errors placed back on sheet rows."""

from __future__ import annotations

import codecs
import pathlib

import pytest

from ledger.errors import FieldError, InvalidInput
from ledger.registration.sheets import detect_format, open_sheet, rejection
from tests.factories import id_number

HEADER = "备注,课程编码,姓名,身份证号,结业日期,学时,是否合格,鉴定等级\n"


def rows(n: int, start: int = 0) -> str:
    return "".join(f"x,CG-1,张伟,{id_number(start + i)},2025-05-30,120,是,4\n" for i in range(n))


def test_a_large_csv_on_disk_is_read_lazily_in_chunks(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "big.csv"
    with path.open("w", encoding="gb18030", newline="") as handle:
        handle.write("培训结业名单\r\n\r\n" + HEADER.replace("\n", "\r\n"))
        for block in range(5):
            handle.write(rows(5_000, block * 5_000).replace("\n", "\r\n"))
            handle.write(",,,,,,,\r\n")  # a blank row: skipped, not counted
    sheet = open_sheet(path)
    assert sheet.format == "csv" and sheet.header.row == 3
    chunks = sheet.chunks(6_000)
    first = next(chunks)
    assert len(first.items) == 6_000 and first.sheet_rows[0] == 4 and first.ok
    assert first.items[0].trainee.id_number == id_number(0)
    rest = list(chunks)
    assert [len(c.items) for c in rest] == [6_000, 6_000, 6_000, 1_000]
    assert rest[-1].sheet_rows[-1] == 3 + 25_000 + 5 - 1  # five blank rows before the last one's end
    assert sheet.file_problems() == []
    assert sum(len(c.items) for c in sheet.chunks(10_000)) == 25_000  # a second pass reads the file again


def test_damage_is_one_problem_for_the_file_and_the_rows_are_flawed(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "damaged.csv"
    path.write_text(HEADER + rows(3) + "x,CG-1,李娜,6.53121E+17,2025-05-30,120,是,4\n" * 4, encoding="utf-8")
    sheet = open_sheet(path, lang="en")
    (chunk,) = sheet.chunks(100)
    assert chunk.problems == [] and chunk.flawed == {5, 6, 7, 8} and not chunk.ok
    (problem,) = sheet.file_problems()
    assert problem.code == "id_excel_scientific" and "4 rows, the first on row 5" in problem.message


def test_the_services_errors_land_on_sheet_rows_and_clerks_headers() -> None:
    data = ("课程编码,姓名,证件号码,结业日期,学时,是否合格,鉴定等级\n" + rows(3).replace("x,", "")).encode()
    sheet = open_sheet(data)
    whole = sheet.whole(10)
    service = [
        FieldError("trainee.id_number", "duplicate_in_batch", "the same trainee and course as row 0", 2),
        FieldError("course_code", "unknown_course", "no course 'CG-1' at this institution", 1),
        FieldError("assessment", "required", "needs its assessment", 0),
        FieldError("body", "something_new", "a message in English", None),
    ]
    rejected = rejection(whole, service, "zh")
    assert rejected is not None
    assert [(e.row, e.column, e.code) for e in rejected.errors] == [
        (None, None, "something_new"), (2, "鉴定等级", "required"), (3, "课程编码", "unknown_course"),
        (4, "证件号码", "duplicate_in_batch")]  # fmt: skip
    assert "与第 2 行重复" in rejected.errors[-1].message and "CG-1" in rejected.errors[2].message
    assert rejection(whole, [], "zh") is None


def test_what_cannot_be_opened(tmp_path: pathlib.Path) -> None:
    with pytest.raises(InvalidInput) as raised:
        open_sheet(tmp_path / "missing.xlsx")
    assert raised.value.errors[0].code == "malformed"
    with pytest.raises(InvalidInput) as raised:
        open_sheet(("课程编码,姓名\n" + "a,b\n").encode())
    assert {e.code for e in raised.value.errors} == {"missing_column"}
    with pytest.raises(InvalidInput) as raised:
        open_sheet((HEADER + rows(11)).encode()).whole(10)
    assert raised.value.errors[0].code == "too_many_rows"
    with pytest.raises(InvalidInput) as raised:
        open_sheet(b",,,\n\n")
    assert raised.value.errors[0].code == "empty"
    path = tmp_path / "broken.csv"
    path.write_bytes(HEADER.encode() + rows(1).encode() * 40_000 + b"\xff\xfe\xfa\n")
    with pytest.raises(InvalidInput) as raised:
        list(open_sheet(path).chunks(1_000))
    assert raised.value.errors[0].code == "encoding"


def test_the_format_is_told_by_the_content() -> None:
    assert detect_format(b"PK\x03\x04", "x.csv", "text/csv") == "xlsx"
    assert detect_format(b"PK\x03\x04", "x.ods") == "ods"
    assert detect_format(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", None, "text/csv") == "xls"
    assert detect_format(b"a,b", "x.xlsx", "application/vnd.ms-excel") == "csv"
    sheet = open_sheet(codecs.BOM_UTF16_LE + (HEADER + rows(2)).replace(",", "\t").encode("utf-16-le"))
    assert len(sheet.whole(10).items) == 2
