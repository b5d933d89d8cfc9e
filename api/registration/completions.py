"""Completions in bulk: a JSON batch or a spreadsheet (xlsx, xls, CSV), validated whole, all rows or none; a large
file as a job (docs/jobs.md)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, post
from litestar.openapi import ResponseSpec
from litestar.params import JSONBody, Parameter

from api.deps import Caller, DbSession, OwnInstitution, Shared
from api.guards import institution_key
from api.idempotency import Answer, keyed
from api.jobs.schemas import JobOut
from api.jobs.uploads import goes_async, submit_upload
from api.metrics import count_import
from api.openapi.hints import IDEMPOTENT, SHEET_UPLOAD
from api.registration.batch import BatchCall, SheetRows, register_batch
from api.registration.sheets import LangParam, check_sheet, clerk_lang, located, sheet_problem, upload
from api.schemas import BatchOut, SheetWarningOut
from ledger import cpu
from ledger.commands import CompletionBatch, CompletionIn, check_batch_size
from ledger.errors import Conflict, InvalidInput
from ledger.registration.sheets import Chunk, SheetRejected, read_whole


def sheet_warnings(sheet: Chunk) -> list[SheetWarningOut]:
    return [SheetWarningOut(w.code, w.message, w.row, w.column) for w in sheet.header.warnings]


class CompletionController(Controller):
    path = "/api/v1/completions"
    tags = ["institution"]
    guards = [institution_key]
    exception_handlers = {SheetRejected: sheet_problem}

    async def _register(
        self,
        request: Request,
        db_session: DbSession,
        principal: Caller,
        institution_id: int,
        runtime: Shared,
        items: list[CompletionIn],
        dry_run: bool,
        sheet: Chunk | None = None,
        content: bytes | None = None,
    ) -> Response:
        key = None if dry_run else await keyed(request, content)
        if isinstance(key, Answer):
            return key.response()
        rows = None if sheet is None else SheetRows(sheet.sheet_rows, sheet_warnings(sheet))
        call = BatchCall(institution_id, principal, items, dry_run, key, rows)
        done = await runtime.write(db_session, len(items), register_batch, call)  # a large one off this loop
        if done.statuses:  # committed now (a replay runs no work)
            count_import("sheet" if sheet is not None else "json", done.statuses)
        return done.answer.response()

    @post("/", summary="Register completions (结业) in bulk, JSON", status_code=201, opt=IDEMPOTENT)
    async def create(
        self,
        request: Request,
        data: JSONBody[CompletionBatch],
        db_session: DbSession,
        principal: Caller,
        institution_id: OwnInstitution,
        runtime: Shared,
        dry_run: bool = False,
    ) -> Response[BatchOut]:
        """Register up to LEDGER_MAX_BATCH_ROWS completions (default 10,000). Every row is validated; if any is bad
        nothing is written and each bad row and field is named. `?dry_run=true` validates only. When this process
        runs all the imports it admits at once (LEDGER_IMPORT_SLOTS), 503 with Retry-After: nothing was written."""
        check_batch_size(len(data.items), runtime.settings.domain.max_batch_rows)
        async with runtime.admission.slot(institution_id):
            return await self._register(request, db_session, principal, institution_id, runtime, data.items, dry_run)

    @post(
        "/import",
        summary="Import completions from a spreadsheet (结业名单)",
        status_code=201,
        request_max_body_size=None,  # synchronous bodies are at most LEDGER_ASYNC_IMPORT_BYTES, jobs' is checked
        responses={202: ResponseSpec(JobOut, description="the import runs as a job: follow `Location`")},
        opt={**IDEMPOTENT, **SHEET_UPLOAD},
    )
    async def import_sheet(
        self,
        request: Request,
        db_session: DbSession,
        principal: Caller,
        institution_id: OwnInstitution,
        runtime: Shared,
        dry_run: bool = False,
        lang: LangParam = None,
        filename: Annotated[
            str | None, Parameter(description="the file's name, when it is sent as the raw body")
        ] = None,
    ) -> Response[BatchOut]:
        """The same from a spreadsheet: .xlsx / .xls / .ods, or CSV (UTF-8, UTF-8 with BOM, GB18030; comma or tab),
        as the raw body or the `file` part of a multipart/form-data upload; the format is told by the content.
        Title rows above the header and the school's own columns are skipped (`warnings`). Errors name the sheet
        row and the clerk's header, in Chinese (`?lang=en` or Accept-Language: en for English), all in one
        answer (the first 200, with `total_errors` and a count per code). POST /import/errors returns the sheet
        with its errors marked. docs/import.md lists every header and value the reader accepts.

        A file above LEDGER_ASYNC_IMPORT_BYTES (2 MiB) or of more than LEDGER_MAX_BATCH_ROWS rows, or any upload
        sent with `Prefer: respond-async`, runs as a job (docs/jobs.md): 202 with `Location: /api/v1/jobs/{id}`,
        the file checked whole first, then registered chunk by chunk. Other imports are admitted a few at a time
        (LEDGER_IMPORT_SLOTS): when all are taken, 503 with Retry-After."""
        chosen = clerk_lang(request, lang)
        if goes_async(request, runtime.settings):
            return await submit_upload(
                request, db_session, principal, institution_id, runtime, dry_run=dry_run, lang=chosen
            )
        async with runtime.admission.slot(institution_id):
            read = await upload(request, chosen)
            raw = read[0]
            try:
                max_rows = runtime.settings.domain.max_batch_rows
                whole = await cpu.run(read_whole, raw, read[1], read[2], chosen, max_rows)  # off this loop
            except InvalidInput as exc:
                if not any(e.code == "too_many_rows" for e in exc.errors):
                    raise
                return await submit_upload(
                    request, db_session, principal, institution_id, runtime, dry_run=dry_run, lang=chosen, read=read
                )
            if not whole.ok:
                try:
                    rejected = await check_sheet(db_session, runtime, institution_id, whole, chosen)
                finally:
                    await db_session.rollback()
                if rejected is not None:
                    raise rejected
            try:
                return await self._register(
                    request, db_session, principal, institution_id, runtime, whole.items, dry_run, whole, raw
                )
            except (InvalidInput, Conflict) as exc:
                raise located(whole, exc, chosen) from exc
