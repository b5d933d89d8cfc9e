"""Spreadsheets over HTTP: reading an upload (a raw body or a multipart/form-data file part), choosing the clerk's
language, answering a rejected sheet, the error workbook and the templates of each course kind."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import DbSession, OwnInstitution, Shared
from api.guards import institution_key
from api.openapi.hints import SHEET_UPLOAD
from api.problems import ProblemWarning, problem_response
from ledger.commands import CompletionIn
from ledger.errors import Conflict, FieldError, InvalidInput
from ledger.people.pii import PiiVault
from ledger.registration.courses import course_by_code
from ledger.registration.service import register_completions
from ledger.registration.sheets import (
    Chunk,
    Lang,
    Sheet,
    SheetRejected,
    SheetWarning,
    error_workbook,
    open_sheet,
    rejection,
    template_workbook,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ERRORS = 200  # errors listed in a problem answer; `total_errors` and `summary` count them all
LangParam = Annotated[
    Literal["zh", "en"] | None,
    Parameter(description="zh (default) or en; else from Accept-Language", required=False),
]


def clerk_lang(request: Request, lang: str | None) -> Lang:
    """?lang= first, then the first language of Accept-Language; Chinese unless that is English."""
    if lang in ("zh", "en"):
        return lang  # type: ignore[return-value]
    first = request.headers.get("accept-language", "").split(",")[0].strip().lower()
    return "en" if first.startswith("en") else "zh"


async def upload(request: Request, lang: Lang) -> tuple[bytes, str | None, str | None]:
    """The file's bytes, name and type: the `file` part of a multipart/form-data request (or its only file part,
    as browsers and Postman send it), else the raw body."""
    raw = await request.body()
    media_type = request.content_type[0]
    if media_type != "multipart/form-data":
        return raw, None, media_type
    form = await request.form()
    files = [v for _, v in form.multi_items() if isinstance(v, UploadFile)]
    chosen = form.get("file") if isinstance(form.get("file"), UploadFile) else (files[0] if files else None)
    if not isinstance(chosen, UploadFile):
        text = "请以 file 字段上传文件" if lang == "zh" else "send the file as the form field `file`"
        raise InvalidInput(text, errors=[FieldError("file", "required", text)])
    return await chosen.read(), chosen.filename, chosen.content_type


async def read_upload(request: Request, lang: Lang, max_rows: int) -> tuple[Sheet, Chunk, bytes]:
    """The sheet, all its rows, and the file's bytes."""
    raw, filename, content_type = await upload(request, lang)
    sheet = open_sheet(raw, filename, content_type, lang=lang)
    return sheet, sheet.whole(max_rows), raw


async def check_sheet(
    db_session: DbSession, runtime: Shared, institution_id: int, whole: Chunk, lang: Lang
) -> SheetRejected | None:
    """Every error of the sheet in one pass: its format problems, and the domain service's checks of every row
    (also of rows with a bad cell, each bad cell holding a stand-in whose errors are dropped)."""
    found = await runtime.write(db_session, len(whole.items), service_errors, institution_id, whole.items)
    return rejection(whole, found, lang)


async def service_errors(
    session: AsyncSession, vault: PiiVault, public_base: str, institution_id: int, items: list[CompletionIn]
) -> list[FieldError]:
    """The registration service's errors for the rows, from a dry run (nothing written; rolled back)."""
    try:
        await register_completions(session, vault, institution_id, items, None, public_base, dry_run=True)
    except InvalidInput as exc:
        return exc.errors
    finally:
        await session.rollback()
    return []


def located(whole: Chunk, exc: InvalidInput | Conflict, lang: Lang) -> InvalidInput | Conflict:
    """A service error raised while registering a clean sheet, worded for the clerk."""
    if isinstance(exc, InvalidInput):
        return rejection(whole, exc.errors, lang) or exc
    return Conflict(exc.detail, errors=whole.locate(exc.errors))


def warnings_out(warnings: tuple[SheetWarning, ...]) -> list[ProblemWarning]:
    return [ProblemWarning(w.code, w.message, w.row, w.column) for w in warnings]


def sheet_problem(request: Request, exc: SheetRejected) -> Response:
    title = "文件有错误，未登记任何数据" if exc.lang == "zh" else "The file has errors; nothing was registered"
    return problem_response(
        422, "validation", title, exc.detail, exc.errors, max_errors=MAX_ERRORS, warnings=warnings_out(exc.warnings)
    )


class SheetController(Controller):
    """The template of each course kind, and the error workbook of an upload."""

    path = "/api/v1"
    tags = ["institution"]
    guards = [institution_key]

    @get("/completions/template.xlsx", summary="Spreadsheet template (模板) of a course kind", media_type=XLSX)
    async def template(
        self,
        outcome: Literal["skill_level", "special_ability", "training"] = "skill_level",
        dual_rule: Literal["none", "training_skill", "graduation_skill"] = "none",
        lang: LangParam = None,
    ) -> Response[bytes]:
        """An empty .xlsx to fill in for a course kind: Chinese headers, drop-downs for 等级 / 是否合格 / 性别,
        the ID column as text, and a sheet of instructions (填写说明)."""
        body = template_workbook(outcome, dual_rule, lang=lang or "zh")
        return _download(body, f"template-{outcome}.xlsx")

    @get("/courses/{code:str}/template.xlsx", summary="Spreadsheet template of one course", media_type=XLSX)
    async def course_template(
        self, code: str, db_session: DbSession, institution_id: OwnInstitution, lang: LangParam = None
    ) -> Response[bytes]:
        """The template of one course, with its course code filled in."""
        course = await course_by_code(db_session, institution_id, code)
        body = template_workbook(course.outcome, course.dual_rule, course.code, lang=lang or "zh")  # type: ignore[arg-type]
        return _download(body, f"template-{course.code}.xlsx")

    @post(
        "/completions/import/errors",
        summary="A spreadsheet back with its errors marked (错误说明)",
        opt=SHEET_UPLOAD,
        status_code=200,
        media_type=XLSX,
    )
    async def errors(
        self,
        request: Request,
        db_session: DbSession,
        institution_id: OwnInstitution,
        runtime: Shared,
        lang: LangParam = None,
    ) -> Response[bytes]:
        """The uploaded sheet back as .xlsx with every error marked (a dry run: nothing is written): bad cells
        filled and commented, a 错误说明 column; fix it in Excel and upload it again. `X-Total-Errors` counts them."""
        chosen = clerk_lang(request, lang)
        sheet, whole, _ = await read_upload(request, chosen, runtime.settings.domain.max_batch_rows)
        try:
            rejected = await check_sheet(db_session, runtime, institution_id, whole, chosen)
        finally:
            await db_session.rollback()
        errors = rejected.errors if rejected else []
        body = error_workbook(sheet, whole, errors, chosen)
        response = _download(body, "import-errors.xlsx")
        response.headers["X-Total-Errors"] = str(len(errors))
        return response


def _download(body: bytes, filename: str) -> Response[bytes]:
    return Response(
        content=body, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )
