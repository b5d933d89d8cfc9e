"""Upload a completion list in the portal: the file is kept server-side (ledger/jobs/files.py, never in the cookie and
never uploaded twice), its dry run previewed (counts, warnings, every error with its sheet row and the clerk's header,
the error workbook), and confirmed; the result lists every certificate issued. Templates to fill in are here too.

    POST /school/upload -> 303 /school/uploads/{file} (the preview) -> POST …/confirm -> 303 /school/imports/{result}

A file too big to check while the clerk waits (above LEDGER_ASYNC_IMPORT_BYTES, or more than LEDGER_MAX_BATCH_ROWS
rows) is checked and then registered by jobs of the same kept file, with a progress bar (api/school/jobs.py).

The result of a confirm is kept as a stored file of its own (JSON: each sheet row, its status and certificate
numbers) for as long as uploads are kept (LEDGER_STORED_FILE_HOURS); the certificates stay on their course's page.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Literal
from urllib.parse import quote

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.certificates.qr_signing import qr_signer
from api.deps import Caller, DbSession, OwnInstitution, Shared
from api.metrics import count_import
from api.registration.sheets import XLSX, check_sheet, located
from api.school import pages
from api.school.courses import Page
from api.school.jobs import import_job, too_big_to_wait
from api.school.portal import signed_in_school
from api.school.upload_pages import PREVIEW, RESULT, UPLOAD, preview_context, result_context, upload_context
from api.sessions import html, see
from ledger import cpu
from ledger.certificates import reads
from ledger.commands import CompletionIn
from ledger.database.constraints import named_violations
from ledger.errors import Conflict, FieldError, InvalidInput
from ledger.jobs.files import FileInfo, drop_file, file_info, keep_file, local_copy, read_file
from ledger.people.pii import PiiVault
from ledger.registration.courses import course_by_code, list_courses
from ledger.registration.service import register_completions
from ledger.registration.sheets import Chunk, Sheet, error_workbook, open_sheet, read_whole, template_workbook

READ_BYTES = 256 * 1024
Outcome = Literal["skill_level", "special_ability", "training"]
DualRule = Annotated[Literal["none", "training_skill", "graduation_skill"], Parameter()]


class RowResult(msgspec.Struct):
    row: int  # as the spreadsheet shows it
    status: str  # created | unchanged
    certificates: list[tuple[str, str]]  # (number, kind) of each certificate the row earned


class ImportResult(msgspec.Struct):
    filename: str
    registered_at: dt.datetime
    rows: list[RowResult]


@dataclass(slots=True)
class Checked:
    """A stored upload read and dry-run: the sheet, all its rows, and every error (none when it may be confirmed)."""

    info: FileInfo
    sheet: Sheet | None
    whole: Chunk | None
    errors: list[FieldError]

    @property
    def too_many_rows(self) -> bool:
        """More rows than a synchronous import takes (LEDGER_MAX_BATCH_ROWS): a job's work."""
        return self.whole is None and any(e.code == "too_many_rows" for e in self.errors)


async def _pieces(file: UploadFile) -> AsyncIterator[bytes]:
    while piece := await file.read(READ_BYTES):
        yield piece


async def _check(
    db_session: DbSession, runtime: Shared, institution_id: int, file_id: uuid.UUID, info: FileInfo | None = None
) -> Checked:
    """Read the stored file and dry-run its rows through the registration service (nothing is written)."""
    info = info or await file_info(db_session, institution_id, file_id)
    async with local_copy(db_session, institution_id, file_id) as path:
        try:
            sheet = open_sheet(path, info.filename, info.media_type, lang="zh")  # its header only
            max_rows = runtime.settings.domain.max_batch_rows
            whole = await cpu.run(read_whole, path, info.filename, info.media_type, "zh", max_rows)  # off this loop
        except InvalidInput as exc:  # unreadable, no header, no rows, too many rows: the file as a whole
            return Checked(info, None, None, exc.errors or [FieldError("file", "unreadable", exc.detail)])
    try:
        rejected = await check_sheet(db_session, runtime, institution_id, whole, "zh")
    finally:
        await db_session.rollback()
    return Checked(info, sheet, whole, rejected.errors if rejected else [])


async def _check_or_job(
    db_session: DbSession, runtime: Shared, principal: Caller, institution_id: int, file_id: uuid.UUID, *, dry_run: bool
) -> Checked | Response:
    """The checked upload, or, for one too big to check while the clerk waits, the page of its (dry-run) job."""
    info = await file_info(db_session, institution_id, file_id)
    if too_big_to_wait(info, runtime):
        return await import_job(db_session, principal, institution_id, file_id, dry_run=dry_run)
    checked = await _check(db_session, runtime, institution_id, file_id, info)
    if checked.too_many_rows:
        return await import_job(db_session, principal, institution_id, file_id, dry_run=dry_run)
    return checked


async def confirmed(
    session: AsyncSession,
    vault: PiiVault,
    public_base: str,
    institution_id: int,
    file_id: uuid.UUID,
    filename: str,
    items: list[CompletionIn],
    sheet_rows: list[int],
    keep: dt.timedelta,
) -> tuple[uuid.UUID, list[str]]:
    """Register a clean upload's rows, keep what they earned as the import's result, drop the upload, and commit
    it all together: the result's id and each row's status."""
    with named_violations():
        sign = await qr_signer(session, vault, public_base)
        outcomes = await register_completions(session, vault, institution_id, items, sign, public_base)
        result = ImportResult(
            filename,
            dt.datetime.now(dt.UTC),
            [RowResult(sheet_rows[o.row], o.status, [(c.number, c.kind) for c in o.certificates]) for o in outcomes],
        )
        result_id = await keep_file(
            session, institution_id, "result.json", "application/json", msgspec.json.encode(result), keep_for=keep
        )
        await drop_file(session, institution_id, file_id)
        await session.commit()
    return result_id, [o.status for o in outcomes]


class SchoolUploadController(Controller):
    path = "/"
    guards = [signed_in_school]

    @get("/upload")
    async def form(
        self,
        db_session: DbSession,
        institution_id: OwnInstitution,
        course: Annotated[str | None, Parameter(max_length=64)] = None,
    ) -> Response:
        """The upload form, with the template of each of the institution's courses and of each course kind."""
        school = await pages.institution_of(db_session, institution_id)
        courses = await list_courses(db_session, institution_id, 200, 0)
        return html(UPLOAD, upload_context(school, courses, course))

    @post("/upload", status_code=303)
    async def upload(self, request: Request, db_session: DbSession, institution_id: OwnInstitution) -> Response:
        """Keep the uploaded file server-side and show its preview."""
        form = await request.form()
        file = form.get("file")
        if not isinstance(file, UploadFile) or not file.filename:
            school = await pages.institution_of(db_session, institution_id)
            courses = await list_courses(db_session, institution_id, 200, 0)
            context = upload_context(school, courses, None, "请选择要上传的文件（.xlsx、.xls 或 .csv）。")
            return html(UPLOAD, context, 422)
        file_id = await keep_file(db_session, institution_id, file.filename, file.content_type, _pieces(file))
        await db_session.commit()
        return see(f"/school/uploads/{file_id}")

    @get("/uploads/{file_id:uuid}")
    async def preview(
        self,
        file_id: uuid.UUID,
        db_session: DbSession,
        institution_id: OwnInstitution,
        runtime: Shared,
        principal: Caller,
    ) -> Response:
        """The dry run of a kept upload: what would be registered, the warnings, every error. A file too big to
        check while the clerk waits is checked by a dry-run job, whose page this leads to."""
        checked = await _check_or_job(db_session, runtime, principal, institution_id, file_id, dry_run=True)
        if isinstance(checked, Response):
            return checked
        school = await pages.institution_of(db_session, institution_id)
        return html(PREVIEW, preview_context(school, checked.info, checked.sheet, checked.whole, checked.errors))

    @get("/uploads/{file_id:uuid}/errors.xlsx", media_type=XLSX)
    async def error_book(
        self, file_id: uuid.UUID, db_session: DbSession, institution_id: OwnInstitution, runtime: Shared
    ) -> Response:
        """The upload back as .xlsx with every bad cell marked and a 错误说明 column, to fix in Excel."""
        checked = await _check(db_session, runtime, institution_id, file_id)
        if checked.sheet is None or checked.whole is None:
            raise InvalidInput("文件无法读取，无法生成错误标注表")
        body = error_workbook(checked.sheet, checked.whole, checked.errors, "zh")
        stem = checked.info.filename.rsplit(".", 1)[0]
        return _download(body, f"错误标注-{stem}.xlsx", "import-errors.xlsx")

    @post("/uploads/{file_id:uuid}/confirm", status_code=303)
    async def confirm(
        self,
        file_id: uuid.UUID,
        db_session: DbSession,
        institution_id: OwnInstitution,
        runtime: Shared,
        principal: Caller,
    ) -> Response:
        """Register every row of a clean upload (all or none) and show what was issued; a big upload is registered
        by an import job (checked whole, then committed chunk by chunk: docs/jobs.md), whose page this leads to."""
        checked = await _check_or_job(db_session, runtime, principal, institution_id, file_id, dry_run=False)
        if isinstance(checked, Response):
            return checked
        if checked.errors or checked.whole is None:
            school = await pages.institution_of(db_session, institution_id)
            context = preview_context(school, checked.info, checked.sheet, checked.whole, checked.errors)
            return html(PREVIEW, context, 422)
        whole = checked.whole
        keep = dt.timedelta(hours=runtime.settings.domain.stored_file_hours)
        try:
            result_id, statuses = await runtime.write(
                db_session,
                len(whole.items),
                confirmed,
                institution_id,
                file_id,
                checked.info.filename,
                whole.items,
                whole.sheet_rows,
                keep,
            )  # fmt: skip  (a large upload's registration off this loop, api/writer.py)
            count_import("portal", statuses)
        except (InvalidInput, Conflict) as exc:
            await db_session.rollback()
            refused = located(whole, exc, "zh")
            school = await pages.institution_of(db_session, institution_id)
            context = preview_context(school, checked.info, checked.sheet, whole, refused.errors, refused.detail)
            return html(PREVIEW, context, 422)
        await runtime.status_list.invalidate()
        return see(f"/school/imports/{result_id}")

    @get("/imports/{result_id:uuid}")
    async def result(
        self, result_id: uuid.UUID, db_session: DbSession, institution_id: OwnInstitution, page: Page = 1
    ) -> Response:
        """What a confirmed upload registered: every row and every certificate it earned with its PDF, a page of
        rows at a time."""
        body = b"".join([part async for part in read_file(db_session, institution_id, result_id)])
        try:
            result = msgspec.json.decode(body, type=ImportResult)
        except msgspec.ValidationError as exc:
            raise InvalidInput("这不是一次导入的结果") from exc
        pager = pages.pager(page, len(result.rows), f"/school/imports/{result_id}")
        shown = result.rows[(pager.page - 1) * pages.PAGE_SIZE : pager.page * pages.PAGE_SIZE]
        numbers = [number for row in shown for number, _ in row.certificates]
        found = {c.number: c for c in await reads.own_certificates(db_session, institution_id, numbers)}
        school = await pages.institution_of(db_session, institution_id)
        return html(RESULT, result_context(school, result, shown, found, pager))

    @get("/templates/{name:str}", media_type=XLSX)
    async def template(self, name: str, dual_rule: DualRule = "none") -> Response:
        """The empty template of a course kind (`skill_level.xlsx`, `special_ability.xlsx`, `training.xlsx`):
        Chinese headers, drop-downs, the ID column as text, and instructions."""
        outcome = name.removesuffix(".xlsx")
        if not name.endswith(".xlsx") or outcome not in ("skill_level", "special_ability", "training"):
            raise InvalidInput("没有这种课程类型的模板")
        body = template_workbook(outcome, dual_rule, lang="zh")  # type: ignore[arg-type]
        return _download(body, f"结业名单模板-{outcome}.xlsx", f"template-{outcome}.xlsx")

    @get("/courses/{code:str}/template.xlsx", media_type=XLSX)
    async def course_template(self, code: str, db_session: DbSession, institution_id: OwnInstitution) -> Response:
        """The template of one course, its course code filled in."""
        course = await course_by_code(db_session, institution_id, code)
        body = template_workbook(course.outcome, course.dual_rule, course.code, lang="zh")  # type: ignore[arg-type]
        return _download(body, f"结业名单模板-{course.code}.xlsx", f"template-{course.code}.xlsx")


def _download(body: bytes, filename: str, fallback: str) -> Response:
    """An .xlsx download named in Chinese (RFC 6266 `filename*`), with an ASCII name for old clients."""
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
    return Response(body, media_type=XLSX, headers={"Content-Disposition": disposition})
