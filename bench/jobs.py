"""Long work as jobs (issue 10, point 8): the 1,000,000-row CSV import and a 10,000-certificate course PDF, each on a
real server process, beside the synchronous path measured in the same run.

    python bench/jobs.py [--rows 1000000] [--pdf-certificates 10000] [--parts import,pdf]

import: a CSV of `--rows` rows (Chinese headers, every column a school fills in) is generated to a temporary file,
streamed to `POST /api/v1/completions/import` with `Prefer: respond-async`, and the job polled until it ends.
Figures: upload time, check pass, write pass, rows/s overall, and the server process's peak resident set
(VmHWM of /proc/<pid>/status) on a server that did nothing else. Baseline (same run, first, on the empty database,
a server process of its own): a 10,000-row CSV through the synchronous import, rows/s and that server's VmHWM.

pdf: `--pdf-certificates` certificates (half as many completions of a dual course) registered through an import
job, then `GET /api/v1/courses/{code}/certificates.pdf`: time to the first byte of the answer (202 + Location), then
to the job's end and to the last byte of its output. Baseline: a course PDF of 300 certificates (synchronous, the
limit below which the PDF is answered directly): its time to first byte and certificates/s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from common import (
    COURSE,
    COURSE_CODE,
    Secrets,
    ServerProcess,
    admin_key,
    bearer,
    fresh_database,
    institution_with_course,
    print_machine,
    running_server,
    table,
    trainee_id_number,
)

HEADER = "课程编码,姓名,身份证号,性别,户籍地区代码,手机号,结业日期,学时,是否合格,鉴定等级,鉴定日期,理论成绩,实操成绩\n"
# three levels: MOHRSS numbers give each (site, year, level) 999,999 serials, fewer than a million rows need
LEVELS = ("五级", "四级", "三级")
NAMES = ("买买提·艾力", "阿依古丽·吐尔逊", "王伟", "李娜", "艾尔肯·买买提", "张秀英")


def csv_line(seq: int, course: str) -> str:
    number = trainee_id_number(seq)
    gender = "男" if int(number[16]) % 2 else "女"
    return (
        f"{course},{NAMES[seq % len(NAMES)]},{number},{gender},653101,139{seq:08d},2025/5/30,160,是,{LEVELS[seq % 3]},"
        f"2025-05-28,{60 + seq % 40}.5,{70 + seq % 30}\n"
    )


def write_csv(path: Path, first: int, rows: int, course: str = COURSE_CODE) -> int:
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        for start in range(first, first + rows, 10_000):
            out.write("".join(csv_line(s, course) for s in range(start, min(start + 10_000, first + rows))))
    return path.stat().st_size


def file_pieces(path: Path, size: int = 256 * 1024) -> Iterator[bytes]:
    with path.open("rb") as stream:
        while piece := stream.read(size):
            yield piece


def run_job(server: ServerProcess, key: str, path: Path, rss: list[float]) -> dict:
    """Upload `path` as an async import and follow the job; timings in seconds."""
    started = time.perf_counter()
    with httpx.Client(base_url=server.base, timeout=600) as client:
        response = client.post(
            "/api/v1/completions/import",
            content=file_pieces(path),
            headers={**bearer(key), "Content-Type": "text/csv", "Prefer": "respond-async"},
        )
        if response.status_code != 202:
            raise RuntimeError(f"import refused: {response.status_code} {response.text[:500]}")
        uploaded = time.perf_counter()
        location = response.headers["location"]
        checked = None
        while True:
            job = client.get(location, headers=bearer(key)).json()
            rss.append(server.rss_mib())
            if checked is None and job["result"].get("phase") in ("writing", "done"):
                checked = time.perf_counter()
            if job["state"] in ("succeeded", "failed"):
                break
            time.sleep(1.0)
    ended = time.perf_counter()
    if job["state"] != "succeeded":
        raise RuntimeError(f"the job failed after {job['done']:,} rows, {ended - started:.0f} s, server peak "
                           f"{server.peak_rss_mib():.0f} MiB: {job['message']} {job['errors'][:3]}")  # fmt: skip
    return {"upload": uploaded - started, "check": (checked or ended) - uploaded, "write": ended - (checked or ended),
            "total": ended - started, "created": job["result"]["created"], "job": job}  # fmt: skip


def sync_import(server: ServerProcess, key: str, path: Path) -> float:
    started = time.perf_counter()
    response = httpx.post(
        f"{server.base}/api/v1/completions/import",
        content=path.read_bytes(),
        headers={**bearer(key), "Content-Type": "text/csv"},
        timeout=600,
    )
    if response.status_code != 201:
        raise RuntimeError(f"sync import refused: {response.status_code} {response.text[:300]}")
    return time.perf_counter() - started


def env_for(url: str, folder: Path, secrets: Secrets, **extra: str) -> dict[str, str]:
    env = secrets.env(url, folder / "data")
    env.update({"LEDGER_JOB_POLL_SECONDS": "0.2", **extra})
    return env


async def bench_import(rows: int, folder: Path) -> list[list[str]]:
    figures: list[list[str]] = []
    big = folder / "big.csv"
    small = folder / "small.csv"
    started = time.perf_counter()
    size = write_csv(big, 0, rows)
    write_csv(small, 5_000_000, 10_000)
    print(f"generated {rows:,} rows ({size / 2**20:.1f} MiB) in {time.perf_counter() - started:.1f} s")
    async with fresh_database("jobs_import") as url:
        admin, secrets = await admin_key(url), Secrets()
        # the baseline first, on the empty database, in a server process of its own
        with running_server(env_for(url, folder / "b", secrets), folder / "b.log") as server:
            key = institution_with_course(server.base, admin)
            took = sync_import(server, key, small)
            baseline = [
                "baseline: sync import, 10,000 rows (first, empty database)", f"{took:.1f} s",
                f"{10_000 / took:,.0f} rows/s, VmHWM {server.peak_rss_mib():.0f} MiB",
            ]  # fmt: skip
        with running_server(env_for(url, folder / "a", secrets), folder / "a.log") as server:
            idle = server.rss_mib()
            samples: list[float] = []
            got = run_job(server, key, big, samples)
            peak = server.peak_rss_mib()
            assert got["created"] == rows, got
            mib = size / 2**20
            figures += [
                [f"import job, {rows:,} rows: total", f"{got['total']:.1f} s", f"{rows / got['total']:,.0f} rows/s"],
                ["  upload (streamed to stored files)", f"{got['upload']:.1f} s", f"{mib / got['upload']:.0f} MiB/s"],
                ["  check pass (parse + dry-run validation)", f"{got['check']:.1f} s",
                 f"{rows / got['check']:,.0f} rows/s"],
                ["  write pass (chunks of 5,000, committed)", f"{got['write']:.1f} s",
                 f"{rows / got['write']:,.0f} rows/s"],
                ["  server RSS: idle / max sampled / peak (VmHWM)", f"{idle:.0f} / {max(samples):.0f} / {peak:.0f} MiB",
                 "≤ 512 MiB" + (" met" if peak <= 512 else " MISSED")],
                baseline,
                ["ratio job rows/s ÷ sync rows/s", f"{(rows / got['total']) / (10_000 / took):.2f}", ""],
            ]  # fmt: skip
    return figures


def course_pdf(server: ServerProcess, key: str, course: str) -> dict:
    with httpx.Client(base_url=server.base, timeout=900) as client:
        started = time.perf_counter()
        with client.stream("GET", f"/api/v1/courses/{course}/certificates.pdf", headers=bearer(key)) as response:
            first_byte = None
            size = 0
            for piece in response.iter_raw():
                if first_byte is None:
                    first_byte = time.perf_counter() - started
                size += len(piece)
            status, location = response.status_code, response.headers.get("location")
        if status == 200:
            return {"first_byte": first_byte, "total": time.perf_counter() - started, "bytes": size}
        assert status == 202 and location, status
        while (job := client.get(location, headers=bearer(key)).json())["state"] not in ("succeeded", "failed"):
            time.sleep(0.5)
        made = time.perf_counter() - started
        assert job["state"] == "succeeded", job
        output = client.get(job["links"]["output"], headers=bearer(key))
        assert output.status_code == 200
    return {"first_byte": first_byte, "made": made, "total": time.perf_counter() - started,
            "bytes": len(output.content), "done": job["done"]}  # fmt: skip


def add_course(server: ServerProcess, key: str, code: str) -> None:
    response = httpx.post(f"{server.base}/api/v1/courses", json={**COURSE, "code": code}, headers=bearer(key))
    response.raise_for_status()


async def bench_pdf(certificates: int, folder: Path) -> list[list[str]]:
    completions = certificates // 2  # a dual course: training + skill certificate per passing completion
    figures: list[list[str]] = []
    async with fresh_database("jobs_pdf") as url:
        admin = await admin_key(url)
        with running_server(env_for(url, folder / "p", Secrets()), folder / "p.log") as server:
            key = institution_with_course(server.base, admin)
            add_course(server, key, "CG-SMALL")
            write_csv(folder / "pdf.csv", 7_000_000, completions)
            write_csv(folder / "small.csv", 8_000_000, 150, course="CG-SMALL")
            for path in (folder / "pdf.csv", folder / "small.csv"):
                run_job(server, key, path, [])
            small = course_pdf(server, key, "CG-SMALL")
            big = course_pdf(server, key, COURSE_CODE)
            figures += [
                [f"course PDF, {certificates:,} certificates: first byte (202 + Location)",
                 f"{big['first_byte']:.2f} s", "≤ 2 s" + (" met" if big["first_byte"] <= 2 else " MISSED")],
                ["  job made the PDF", f"{big['made']:.1f} s", f"{certificates / big['made']:.0f} certificates/s"],
                ["  output downloaded (last byte)", f"{big['total']:.1f} s", f"{big['bytes'] / 2**20:.1f} MiB"],
                ["baseline: sync course PDF, 300 certificates: first byte", f"{small['first_byte']:.2f} s",
                 f"{300 / small['total']:.0f} certificates/s"],
                ["ratio job certificates/s ÷ sync", f"{(certificates / big['made']) / (300 / small['total']):.2f}", ""],
                ["server peak RSS (VmHWM) after both", f"{server.peak_rss_mib():.0f} MiB", ""],
            ]  # fmt: skip
    return figures


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--pdf-certificates", type=int, default=10_000)
    parser.add_argument("--parts", default="import,pdf")
    args = parser.parse_args()
    await print_machine()
    figures = [["figure", "measured", "rate / target"]]
    with tempfile.TemporaryDirectory(prefix="bench-jobs-") as folder:
        if "import" in args.parts:
            figures += await bench_import(args.rows, Path(folder))
        if "pdf" in args.parts:
            figures += await bench_pdf(args.pdf_certificates, Path(folder))
    print(table(figures))


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
