"""A school's 10,000-row .xlsx: the dry run through `POST /api/v1/completions/import` on a real server process,
beside reading the same file with the reader alone (python-calamine, which the ledger uses) and with the other
candidate (openpyxl in read-only mode), all in one run.

    python bench/sheets.py [--rows 10000] [--reps 3]

The file has what a real one has: a title row, a blank row, 序号 / 民族 / 备注 columns, date cells, 120.0 hours,
4级 / 高级 / 男性 / √. Figures are medians of `--reps`; the dry run is timed at the client (upload, reading,
every row's domain checks, the answer). Also timed: the sheet read into items in-process (no database), and
POST /import/errors (the error workbook) for the same file with one bad cell.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import io
import statistics
import tempfile
import time
from pathlib import Path

import httpx
import openpyxl
import python_calamine
from common import (
    COURSE_CODE,
    Secrets,
    admin_key,
    bearer,
    fresh_database,
    institution_with_course,
    print_machine,
    running_server,
    table,
    trainee_id_number,
)

from ledger.registration.sheets import open_sheet

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TARGET_SECONDS = 5.0


def quirky_workbook(rows: int, bad_row: int | None = None) -> bytes:
    workbook = openpyxl.Workbook()
    ws = workbook.active
    ws.append(["2025年第二期车工培训结业名单"])
    ws.append([])
    ws.append(["序号", "课程编码", "姓名", "身份证号码", "性别", "民族", "结业日期", "学时", "是否合格", "鉴定等级",
               "鉴定日期", "理论成绩", "实操成绩", "备注"])  # fmt: skip
    levels = ("4级", "中级工", "四级", 4.0)
    for i in range(rows):
        number = trainee_id_number(i)
        ws.append([i + 1, COURSE_CODE, "买买提·艾力", number, "男性" if int(number[16]) % 2 else "女性", "维吾尔",
                   dt.date(2025, 5, 30), 120.0, "√", levels[i % 4], dt.date(2025, 5, 28), 81.5, 90, None])  # fmt: skip
    if bad_row is not None:
        ws.cell(row=bad_row, column=7, value="2025-02-30")
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def timed(work, reps: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(reps):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def read_calamine(path: Path) -> int:
    sheet = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
    return len(sheet.to_python(skip_empty_area=False))


def read_openpyxl(path: Path) -> int:
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        return sum(1 for _ in workbook.worksheets[0].iter_rows(values_only=True))
    finally:
        workbook.close()


def read_items(path: Path) -> int:
    return len(open_sheet(path).whole(1_000_000).items)


async def main(rows: int, reps: int) -> None:
    await print_machine()
    data = quirky_workbook(rows)
    with_error = quirky_workbook(rows, bad_row=4 + rows // 2)
    tmp = Path(tempfile.mkdtemp(prefix="bench-sheets-"))
    path = tmp / "list.xlsx"
    path.write_bytes(data)
    print(f"file: {rows:,} rows, {len(data) / 1024:,.0f} KiB")
    assert read_calamine(path) == read_openpyxl(path) == rows + 3
    calamine = timed(lambda: read_calamine(path), reps)
    openpyxl_ro = timed(lambda: read_openpyxl(path), reps)
    items = timed(lambda: read_items(path), reps)
    secrets = Secrets()
    async with fresh_database("sheets") as url:
        admin = await admin_key(url)
        with running_server(secrets.env(url, tmp / "data"), tmp / "server.log") as server:
            key = institution_with_course(server.base, admin)
            with httpx.Client(base_url=server.base, timeout=300, headers=bearer(key)) as client:

                def dry_run() -> None:
                    files = {"file": ("list.xlsx", data, XLSX)}
                    response = client.post("/api/v1/completions/import?dry_run=true", files=files)
                    if response.status_code != 200 or response.json()["total"] != rows:
                        raise RuntimeError(f"dry run refused: {response.status_code} {response.text[:300]}")

                def error_workbook() -> None:
                    files = {"file": ("list.xlsx", with_error, XLSX)}
                    response = client.post("/api/v1/completions/import/errors", files=files)
                    if response.status_code != 200 or response.headers["x-total-errors"] != "1":
                        raise RuntimeError(f"error workbook: {response.status_code} {response.text[:300]}")

                dry_run()  # warm-up
                api = timed(dry_run, reps)
                errors = timed(error_workbook, reps)
                peak = server.peak_rss_mib()
    print(
        table(
            [
                ["figure", "seconds", "ratio to calamine read", "target"],
                ["python-calamine: read the sheet (the ledger's reader)", f"{calamine:.3f}", "1.00", ""],
                ["openpyxl read-only: iterate the sheet", f"{openpyxl_ro:.3f}", f"{openpyxl_ro / calamine:.2f}", ""],
                ["open_sheet + whole: items, in process", f"{items:.3f}", f"{items / calamine:.2f}", ""],
                [
                    "POST /import?dry_run=true, multipart, real server",
                    f"{api:.3f}",
                    f"{api / calamine:.2f}",
                    f"≤ {TARGET_SECONDS:.0f} s: {'met' if api <= TARGET_SECONDS else 'MISSED'}",
                ],
                ["POST /import/errors (1 bad cell), real server", f"{errors:.3f}", f"{errors / calamine:.2f}", ""],
            ]
        )
    )
    print(f"server peak RSS {peak:,.0f} MiB; {rows / api:,.0f} rows/s through the dry run")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main(args.rows, args.reps))
