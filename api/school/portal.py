"""The school portal (`/school`): a school, training institution or evaluator signs in with its institution key and
works with its courses, certificates and uploads in the browser.

The sign-in, its cookie session and CSRF are those of every signed-in area (api/sessions.py), limited to /school. Every
page is server-rendered Chinese HTML with no scripts and nothing fetched from elsewhere; whatever goes wrong is
answered with a page of the portal in Chinese, never with JSON.
"""

from __future__ import annotations

import logging
from typing import Any

from litestar import Controller, Request, Response, Router, get
from litestar.exceptions import HTTPException, PermissionDeniedException, ValidationException

from api.deps import DbSession, OwnInstitution
from api.school import pages
from api.school.job_pages import JOBS_SHOWN, job_row
from api.school.wording import refusal
from api.sessions import SignedArea, SignInRequired, html
from api.settings import WebSettings
from ledger.certificates import reads
from ledger.errors import Conflict, LedgerError, NotFound
from ledger.jobs.service import recent_jobs
from ledger.registration.courses import list_courses

log = logging.getLogger("api.school")

SCHOOL = SignedArea(
    name="school",
    path="/school",
    session_cookie="ledger_school",
    csrf_cookie="ledger_school_csrf",
    kinds=("institution",),
    sign_in_first="请先登录学校门户",
    forbidden="学校门户仅供机构密钥使用（institution keys only）",
)
signed_in_school = SCHOOL.guard()
NOT_AN_INSTITUTION = "学校门户仅供学校、培训机构和评价机构的机构密钥登录；人社局请登录统计看板（/dashboard）。"
RECENT = 8


def problem_page(request: Request, status: int, message: str) -> Response:
    """Whatever went wrong, as a page of the portal."""
    return html(pages.PROBLEM, pages.problem_context(message, status), status)


def _not_found(request: Request, exc: NotFound) -> Response:
    if exc.detail.startswith("no certificates for course"):
        return problem_page(request, 404, "该课程还没有有效的证书，没有可下载的文件。")
    if exc.detail.startswith(("没有这个任务", "该任务尚无输出文件")):
        return problem_page(request, 404, "未找到：该任务不存在、不属于本机构，或尚未生成文件。")
    if exc.detail.startswith("没有这个文件"):
        return problem_page(request, 404, "未找到：上传的文件不存在或已过期（保留 24 小时），请重新上传。")
    return problem_page(request, 404, "未找到：该课程或证书不存在，或不属于本机构。")


def _refused(request: Request, exc: LedgerError) -> Response:
    return problem_page(request, 409 if isinstance(exc, Conflict) else 422, refusal(exc.detail))


def _forbidden(request: Request, exc: PermissionDeniedException) -> Response:
    if "CSRF" in str(exc.detail):
        message = "页面已过期或来源不明，操作未执行。请返回、刷新页面后重试。"
    else:
        message = "本页面仅供机构密钥使用。"
    return problem_page(request, 403, message)


def _invalid(request: Request, exc: ValidationException) -> Response:
    return problem_page(request, 400, "链接或表单中的参数有误，请返回重试。")


def _http(request: Request, exc: HTTPException) -> Response:
    if exc.status_code == 413:
        return problem_page(request, 413, "文件过大，超过了系统允许的上传大小。请拆分后分批上传。")
    if exc.status_code >= 500:
        log.error("%s on %s %s", exc.status_code, request.method, request.url.path, exc_info=exc)
        return problem_page(request, 500, "系统出错，操作未完成。请稍后重试。")
    return problem_page(request, exc.status_code, "请求无法处理，请返回重试。")


EXCEPTION_HANDLERS: dict[Any, Any] = {
    SignInRequired: SCHOOL.to_sign_in,
    NotFound: _not_found,
    LedgerError: _refused,
    PermissionDeniedException: _forbidden,
    ValidationException: _invalid,
    HTTPException: _http,
}


def portal_router(settings: WebSettings, handlers: list[Any]) -> Router:
    signing = SCHOOL.sign_in_routes(pages.LOGIN, pages.login_context, NOT_AN_INSTITUTION)
    return SCHOOL.router(settings, [*signing, OverviewController, *handlers], exception_handlers=EXCEPTION_HANDLERS)


class OverviewController(Controller):
    path = "/"

    @get("/", guards=[signed_in_school])
    async def overview(self, db_session: DbSession, institution_id: OwnInstitution) -> Response:
        """The institution, its courses and its latest certificates."""
        institution = await pages.institution_of(db_session, institution_id)
        courses = await list_courses(db_session, institution_id, pages.COURSES_SHOWN + 1, 0)
        _, total = await reads.list_certificates(db_session, institution_id, None, None, 0, 0)
        recent, _ = await reads.list_certificates(
            db_session, institution_id, None, None, RECENT, max(0, total - RECENT)
        )
        context = pages.overview_context(institution, courses, list(reversed(recent)), total)
        jobs = await recent_jobs(db_session, institution_id, JOBS_SHOWN)
        return html(pages.OVERVIEW, {**context, "jobs": [job_row(job) for job in jobs]})
