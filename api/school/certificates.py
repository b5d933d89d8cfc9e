"""The portal's certificates: a certificate's page and PDF, revoke / suspend / reinstate / reissue with a reason
(the same domain functions as the API's), and the export of the certificate list."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import FormMultiDict
from litestar.di import Provide
from litestar.params import Parameter

from api.certificates import export
from api.certificates.controllers import Which, certificate_filter
from api.certificates.pdfs import certificate_pdf
from api.certificates.qr_signing import qr_signer
from api.deps import DbSession, OwnInstitution, Shared
from api.school import pages
from api.school.portal import signed_in_school
from api.school.wording import DONE, REASONS_FOR, SHAPES, in_chinese, refusal
from api.sessions import html, see
from ledger.certificates import status as certificate_status
from ledger.certificates.tables import Certificate
from ledger.database.constraints import named_violations
from ledger.errors import FieldError, LedgerError
from ledger.registration.tables import Course

MAX_REASON = 500
Done = Annotated[Literal["revoke", "suspend", "reinstate", "reissue"] | None, Parameter()]


def _text(form: FormMultiDict, name: str) -> str:
    value = form.get(name, "")
    return value.strip() if isinstance(value, str) else ""


async def _page(
    db_session: DbSession,
    institution_id: int,
    certificate: Certificate,
    runtime: Shared,
    done: str | None = None,
    form: pages.StatusForm | None = None,
) -> Response:
    school = await pages.institution_of(db_session, institution_id)
    course = await db_session.get(Course, certificate.course_id) if certificate.course_id else None
    successor = (
        await db_session.get(Certificate, certificate.superseded_by_id) if certificate.superseded_by_id else None
    )
    context = pages.certificate_context(
        school,
        certificate,
        pages.course_row(course) if course else None,
        runtime.settings.public_base_url,
        successor.number if successor else None,
        DONE.get(done or ""),
        form,
    )
    return html(pages.CERTIFICATE, context, 422 if form else 200)


def _reason_errors(action: str, values: dict[str, str]) -> dict[str, str]:
    """What is wrong with a form's reason: a code this action offers, and a note (required with 其他原因)."""
    errors = {}
    if values["reason_code"] not in REASONS_FOR.get(action, ()):
        errors["reason_code"] = SHAPES["reason_code"]
    if len(values["reason"]) > MAX_REASON:
        errors["reason"] = SHAPES["reason"]
    elif values["reason_code"] == "other" and not values["reason"]:
        errors["reason"] = in_chinese(FieldError("reason", "required", ""))
    return errors


class SchoolCertificateController(Controller):
    path = "/certificates"
    guards = [signed_in_school]
    dependencies = {"which": Provide(certificate_filter, sync_to_thread=False)}

    @get("/export")
    async def export(
        self,
        db_session: DbSession,
        institution_id: OwnInstitution,
        runtime: Shared,
        which: Which,
        output: export.Format = "xlsx",
    ) -> Response:
        """The certificate list as XLSX or CSV, by the same filters as `GET /api/v1/certificates/export`."""
        return await export.export_response(db_session, institution_id, runtime.settings.public_base_url, which, output)

    @get("/{number:str}")
    async def read(
        self, number: str, db_session: DbSession, institution_id: OwnInstitution, runtime: Shared, done: Done = None
    ) -> Response:
        certificate = await certificate_status.certificate_of(db_session, institution_id, number)
        return await _page(db_session, institution_id, certificate, runtime, done)

    @get("/{number:str}/pdf", media_type="application/pdf")
    async def pdf(
        self, number: str, db_session: DbSession, institution_id: OwnInstitution, runtime: Shared
    ) -> Response:
        """The certificate's PDF: the same bytes the API gives."""
        certificate = await certificate_status.certificate_of(db_session, institution_id, number)
        certificate_status.require_printable(certificate)
        pdf = await certificate_pdf(db_session, certificate, runtime.pdf_signer)
        disposition = f'attachment; filename="certificate-{certificate.verification_code}.pdf"'
        return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": disposition})

    @post("/{number:str}/status", status_code=303)
    async def change(
        self, request: Request, number: str, db_session: DbSession, institution_id: OwnInstitution, runtime: Shared
    ) -> Response:
        """Revoke, suspend or reinstate, with a reason and the day it takes effect (default today)."""
        form = await request.form()
        action = _text(form, "action")
        values = {key: _text(form, key) for key in ("reason_code", "reason", "effective_on")}
        errors: dict[str, str] = {}
        effective_on = None
        if action not in certificate_status.TRANSITIONS:
            errors["action"] = "请选择要执行的操作"
        errors.update(_reason_errors(action, values))
        if values["effective_on"]:
            try:
                effective_on = dt.date.fromisoformat(values["effective_on"])
            except ValueError:
                errors["effective_on"] = SHAPES["effective_on"]
        if not errors:
            try:
                with named_violations():
                    await certificate_status.change_status(
                        db_session,
                        institution_id,
                        number,
                        action,
                        values["reason_code"],
                        values["reason"],
                        effective_on,
                    )
                    await db_session.commit()
                runtime.status_list.invalidate()
                return see(f"/school/certificates/{number}?done={action}")
            except LedgerError as exc:
                await db_session.rollback()
                return await self._refused(db_session, institution_id, number, runtime, action, values, exc)
        certificate = await certificate_status.certificate_of(db_session, institution_id, number)
        return await _page(
            db_session, institution_id, certificate, runtime, form=pages.StatusForm(action, values, errors)
        )

    @post("/{number:str}/reissue", status_code=303)
    async def reissue(
        self, request: Request, number: str, db_session: DbSession, institution_id: OwnInstitution, runtime: Shared
    ) -> Response:
        """补发/更正: a new certificate (new number and code, the original award date), the name corrected if given."""
        form = await request.form()
        values = {key: _text(form, key) for key in ("reason_code", "reason", "corrected_name")}
        if errors := _reason_errors("reissue", values):
            certificate = await certificate_status.certificate_of(db_session, institution_id, number)
            failed = pages.StatusForm("reissue", values, errors)
            return await _page(db_session, institution_id, certificate, runtime, form=failed)
        base = runtime.settings.public_base_url
        try:
            with named_violations():
                sign = await qr_signer(db_session, runtime.vault, base)
                successor = await certificate_status.reissue(
                    db_session, institution_id, number, values["reason_code"], values["reason"],
                    values["corrected_name"] or None, sign, base,
                )  # fmt: skip
                await db_session.commit()
        except LedgerError as exc:
            await db_session.rollback()
            return await self._refused(db_session, institution_id, number, runtime, "reissue", values, exc)
        runtime.status_list.invalidate()
        return see(f"/school/certificates/{successor.number}?done=reissue")

    async def _refused(
        self, db_session: DbSession, institution_id: int, number: str, runtime: Shared, action: str,
        values: dict[str, str], exc: LedgerError,
    ) -> Response:  # fmt: skip
        """The certificate's page again, with what the domain refused next to the field it names (or on top)."""
        errors = {e.field: in_chinese(e) for e in exc.errors}
        problem = None if errors else refusal(exc.detail)
        certificate = await certificate_status.certificate_of(db_session, institution_id, number)
        failed = pages.StatusForm(action, values, errors, problem)
        return await _page(db_session, institution_id, certificate, runtime, form=failed)
