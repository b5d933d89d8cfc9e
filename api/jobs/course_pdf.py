"""A course's certificates as one PDF, made by a job: rendered in a worker thread with its progress committed about
once a second (rows done = certificates rendered), then kept as the job's output file.

A PDF job that is interrupted starts again from the first certificate (a half-rendered PDF is not kept); the
output and the job's success are committed together.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.certificates.pdfs import snapshot_of
from certificates.pdf import render_many
from certificates.signing import sign_pdf
from ledger.certificates import reads
from ledger.certificates.snapshot import CertificateSnapshot
from ledger.jobs.files import keep_file
from ledger.jobs.service import submit_job
from ledger.jobs.worker import JobFailed, JobRun

COURSE_PDF = "course_pdf"
PROGRESS_EVERY_SECONDS = 1.0


async def submit_course_pdf(
    session: AsyncSession, institution_id: int, course_code: str, total: int, api_key_id: int | None
) -> uuid.UUID:
    return await submit_job(
        session, institution_id, COURSE_PDF, api_key_id=api_key_id, params={"course_code": course_code}, total=total
    )


class _Stopped(Exception):
    pass


class _Counted:
    """The snapshots, counting how many the renderer has taken (read from the event loop's thread); setting
    `stop` makes the renderer give up at the next certificate."""

    def __init__(self, snapshots: list[CertificateSnapshot]) -> None:
        self.snapshots, self.taken, self.stop = snapshots, 0, threading.Event()

    def __iter__(self) -> Iterator[CertificateSnapshot]:
        for snapshot in self.snapshots:
            if self.stop.is_set():
                raise _Stopped
            self.taken += 1
            yield snapshot


@dataclass(frozen=True)
class CoursePdfMaker:
    """The handler of course_pdf jobs."""

    signer: Any | None

    async def __call__(self, run: JobRun) -> None:
        lease = run.lease
        code = str(lease.params.get("course_code", ""))
        async with run.sessions() as session:
            snapshots = [snapshot_of(c) for c in await reads.course_certificates(session, lease.institution_id, code)]
        if not snapshots:
            raise JobFailed(f"课程 {code} 没有有效证书 / course {code!r} has no valid certificates")
        async with run.sessions() as session:
            await run.commit(session, 0, total=len(snapshots))
        counted = _Counted(snapshots)
        rendering = asyncio.create_task(asyncio.to_thread(self._render, counted))
        try:
            while not rendering.done():
                await asyncio.wait({rendering}, timeout=PROGRESS_EVERY_SECONDS)
                if counted.taken != run.done and not rendering.done():
                    async with run.sessions() as session:
                        await run.commit(session, counted.taken)
        finally:  # stopped (a shutdown, a lost lease): the thread gives up too
            counted.stop.set()
        pdf = rendering.result()
        async with run.sessions() as session:
            file_id = await keep_file(
                session, lease.institution_id, f"{code}.pdf", "application/pdf", pdf,
                keep_for=dt.timedelta(hours=run.settings.stored_file_hours),
            )  # fmt: skip
            await run.finish(
                session, {"course_code": code, "certificates": len(snapshots), "bytes": len(pdf)},
                output_file_id=file_id, done=len(snapshots),
            )  # fmt: skip

    def _render(self, snapshots: _Counted) -> bytes:
        pdf = render_many(snapshots)
        return sign_pdf(pdf, self.signer) if self.signer is not None else pdf
