"""What the job pages show: a job's state in Chinese, its progress bar, and when it ends its result (the rows an
import registered with their certificates, or a course PDF to download) or why it failed and what was committed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from api.school import pages
from api.school.upload_pages import Issued, Notice
from ledger.jobs.service import JobStatus

JOB = "school/job.html"
STATES = {"queued": "排队中", "running": "进行中", "succeeded": "已完成", "failed": "失败"}
REFRESH_SECONDS = 2  # a page of an unfinished job reloads itself this often (a meta refresh: no script)
JOBS_SHOWN = 5  # on the overview


@dataclass(frozen=True, slots=True)
class Progress:
    """The progress bar: `value` of `max`, or an indeterminate bar while the total is not known (an import's
    check: the file's rows are counted as it is read)."""

    value: int
    max: int | None
    text: str


@dataclass(frozen=True, slots=True)
class JobRow:
    """A job in the overview's list."""

    href: str
    label: str
    state: str
    state_name: str
    progress: str
    created: str


def _local(moment: dt.datetime | None) -> str:
    return moment.astimezone(pages.UTC8).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def chinese(message: str | None) -> str:
    """A job's message is 'Chinese / English': the portal shows the Chinese."""
    return (message or "").split(" / ")[0]


def label(job: JobStatus, filename: str | None = None) -> str:
    if job.kind == "course_pdf":
        return f"课程证书 PDF：{job.params.get('course_code', '')}"
    what = "检查名单" if job.params.get("dry_run") else "导入名单"
    return f"{what}：{filename}" if filename else what


def progress(job: JobStatus) -> Progress:
    if job.kind == "course_pdf":
        total = job.total or 0
        return Progress(job.done, total or None, f"已生成 {job.done:,} / {total:,} 张证书（{job.percent or 0:g}%）")
    checked = int(job.result.get("checked", 0))
    if job.params.get("dry_run"):
        if job.finished:
            return Progress(checked, max(checked, 1), f"已检查 {checked:,} 行")
        return Progress(checked, None, f"正在检查文件：已检查 {checked:,} 行")
    if job.total is None:  # still checking the file, before anything is written
        return Progress(checked, None, f"正在检查文件：已检查 {checked:,} 行，检查通过后开始登记")
    return Progress(job.done, job.total or 1, f"已登记 {job.done:,} / {job.total:,} 行（{job.percent or 0:g}%）")


def job_row(job: JobStatus) -> JobRow:
    return JobRow(f"/school/jobs/{job.id}", label(job), job.state, STATES.get(job.state, job.state),
                  progress(job).text, _local(job.created_at))  # fmt: skip


def _notice(kept: dict[str, Any], whole_file: str) -> Notice:
    """An error or warning as a job keeps it (row, column, message), as the portal lists it."""
    row = kept.get("row")
    return Notice(row, kept.get("column") or (whole_file if row is None else ""), str(kept.get("message", "")))


def job_context(
    school: pages.School,
    job: JobStatus,
    filename: str | None,
    lines: Sequence[Issued],
    *,
    after: int,
    next_after: int | None,
    can_confirm: bool,
) -> dict[str, object]:
    """A job's page: what it is, how far it got, and (once it ended) its result or its errors."""
    result: dict[str, Any] = job.result
    dry_run = bool(job.params.get("dry_run"))
    base = f"/school/jobs/{job.id}"
    errors = [_notice(e, "整个文件") for e in job.errors]
    warnings = [_notice(w, "") for w in result.get("warnings", [])]
    return {
        "title": pages.TITLE,
        "school": school,
        "job": job,
        "label": label(job, filename),
        "state_name": STATES.get(job.state, job.state),
        "progress": progress(job),
        "refresh": None if job.finished else REFRESH_SECONDS,
        "created": _local(job.created_at),
        "finished_at": _local(job.finished_at),
        "dry_run": dry_run,
        "checked": int(result.get("checked", 0)),
        "created_rows": int(result.get("created", 0)),
        "unchanged_rows": int(result.get("unchanged", 0)),
        "certificates": int(result.get("certificates", 0)),
        "warnings": warnings,
        "message": chinese(job.message),
        "errors": errors,
        "error_count": job.error_count,
        "confirm": f"/school/uploads/{job.input_file_id}/confirm" if can_confirm else None,
        "output": f"{base}/output"
        if job.kind == "course_pdf" and job.output_file_id and job.state == "succeeded"
        else None,
        "course_href": f"/school/courses/{job.params['course_code']}" if job.kind == "course_pdf" else None,
        "lines": lines,
        "first_page": base if after else None,
        "next_page": f"{base}?after={next_after}" if next_after is not None else None,
    }
