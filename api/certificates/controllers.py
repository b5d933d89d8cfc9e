"""An institution's certificates: list, read, PDFs, revoke/suspend/reinstate/reissue, and dual awards."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Annotated, Literal
from urllib.parse import urlencode

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.openapi import ResponseSpec
from litestar.params import JSONBody, Parameter
from litestar.response import Stream

from api.certificates import export
from api.certificates.bundles import course_zip
from api.certificates.pdfs import certificate_pdf, course_pdf
from api.certificates.qr_signing import qr_signer
from api.deps import Caller, DbSession, OwnInstitution, Shared
from api.guards import institution_key
from api.idempotency import run_write
from api.jobs.course_pdf import COURSE_PDF, submit_course_pdf
from api.jobs.schemas import JobOut
from api.jobs.uploads import job_response
from api.openapi.hints import IDEMPOTENT
from api.problems import problem_spec
from ledger.certificates import reads
from ledger.certificates import status as certificate_status
from ledger.certificates.reasons import ReasonCode
from ledger.certificates.tables import Certificate
from ledger.commands import NO_BIDI
from ledger.errors import NotFound
from ledger.jobs.service import job_status, waiting_job


class CertificateOut(msgspec.Struct):
    number: str
    kind: str
    status: str
    verification_code: str
    level: int | None
    occupation_code: str
    issued_on: dt.date
    holder_name: str
    status_reason: str
    status_reason_code: str
    status_effective_on: dt.date | None
    verify_url: str
    qr_text: str
    award_id: uuid.UUID | None = None


class CertificateList(msgspec.Struct):
    items: list[CertificateOut]
    limit: int
    offset: int
    total: int  # how many match the filters in all
    next: str | None = None  # the next page's address (by key: pass its `after` on), None on the last page


Note = Annotated[str, msgspec.Meta(max_length=500, pattern=NO_BIDI)]


class StatusChangeIn(msgspec.Struct, forbid_unknown_fields=True):
    """`reason_code` from the fixed list (so every language can say it); `reason` is free text beside it,
    required when the code is `other` (a body with text alone means `other`)."""

    reason_code: ReasonCode = "other"
    reason: Note = ""
    effective_on: dt.date | None = None


class ReissueIn(msgspec.Struct, forbid_unknown_fields=True):
    reason_code: ReasonCode = "other"
    reason: Note = ""
    corrected_name: Annotated[str, msgspec.Meta(max_length=64, pattern=NO_BIDI)] | None = None


class AwardCertificateOut(msgspec.Struct):
    number: str
    kind: str
    status: str


class AwardOut(msgspec.Struct):
    id: uuid.UUID
    rule: str
    complete: bool
    certificates: list[AwardCertificateOut]


def certificate_out(certificate: Certificate, public_base: str, award_id: uuid.UUID | None = None) -> CertificateOut:
    snapshot = certificate.snapshot
    return CertificateOut(
        number=certificate.number,
        kind=certificate.kind,
        status=certificate.status,
        verification_code=certificate.verification_code,
        level=certificate.level,
        occupation_code=certificate.occupation_code,
        issued_on=certificate.issued_on,
        holder_name=snapshot["holder_name"],
        status_reason=certificate.status_reason,
        status_reason_code=certificate.status_reason_code,
        status_effective_on=certificate.status_effective_on,
        verify_url=f"{public_base}/v/{certificate.verification_code}",
        qr_text=snapshot["qr_text"],
        award_id=award_id,
    )


@dataclass(frozen=True, slots=True)
class CertificateFilter:
    course_code: str | None
    status: str | None
    trainee_id: uuid.UUID | None


def certificate_filter(
    course_code: str | None = None,
    status: Literal["valid", "suspended", "revoked", "superseded"] | None = None,
    trainee_id: Annotated[uuid.UUID | None, Parameter(description="only this trainee's certificates")] = None,
) -> CertificateFilter:
    """Which of the institution's certificates a list or an export is about."""
    return CertificateFilter(course_code, status, trainee_id)


Which = NamedDependency[CertificateFilter]


class CertificateController(Controller):
    path = "/api/v1/certificates"
    tags = ["certificates"]
    guards = [institution_key]
    dependencies = {"which": Provide(certificate_filter, sync_to_thread=False)}

    @get("/", summary="List the institution's certificates (证书)")
    async def index(
        self,
        request: Request,
        db_session: DbSession,
        institution_id: OwnInstitution,
        runtime: Shared,
        which: Which,
        limit: Annotated[int, Parameter(ge=1, le=1000)] = 100,
        offset: Annotated[int, Parameter(ge=0, le=10**9)] = 0,
        after: Annotated[
            int | None, Parameter(ge=0, description="page by key: the value `next` carries (faster than offset)")
        ] = None,
    ) -> Response[CertificateList]:
        """The institution's certificates in the order they were issued, a page at a time. Follow `next` (also sent
        as a `Link: <…>; rel="next"` header) to page through any number of them."""
        found, total = await reads.list_certificates(
            db_session, institution_id, which.course_code, which.status, limit + 1, offset, which.trainee_id, after
        )  # one more than asked for says whether there is a next page
        found, more = found[:limit], len(found) > limit
        base = runtime.settings.public_base_url
        awards = await reads.awards_of_certificates(db_session, found)
        following = None
        if more:
            query = [(k, v) for k, v in request.query_params.multi_items() if k not in ("after", "offset")]
            following = f"{request.url.path}?{urlencode([*query, ('after', str(found[-1].id))])}"
        page = CertificateList(
            [certificate_out(c, base, awards.get(c.id)) for c in found], limit, offset, total, following
        )
        headers = {"Link": f'<{following}>; rel="next"'} if following else {}
        return Response(page, headers=headers)

    @get("/export", summary="Export certificates as XLSX or CSV")
    async def export(
        self,
        db_session: DbSession,
        institution_id: OwnInstitution,
        runtime: Shared,
        which: Which,
        output: export.Format = "xlsx",
    ) -> Response:
        """Every certificate matching the filters (up to 100,000) as a file to keep: XLSX (default) or CSV, with
        Chinese headers and each certificate's verification address."""
        return await export.export_response(db_session, institution_id, runtime.settings.public_base_url, which, output)

    @get("/{number:str}", summary="Read a certificate")
    async def read(
        self, number: str, db_session: DbSession, institution_id: OwnInstitution, runtime: Shared
    ) -> CertificateOut:
        """One of the institution's certificates by number, with its live status and dual award."""
        certificate = await certificate_status.certificate_of(db_session, institution_id, number)
        award = await reads.award_of_certificate(db_session, certificate)
        return certificate_out(certificate, runtime.settings.public_base_url, award)

    @get(
        "/{number:str}/pdf",
        summary="A certificate as PDF",
        media_type="application/pdf",
        responses={409: problem_spec("不可打印 / the certificate is revoked, suspended or superseded")},
    )
    async def pdf(
        self, number: str, db_session: DbSession, institution_id: OwnInstitution, runtime: Shared
    ) -> Response[bytes]:
        """The certificate as an A4 PDF (PAdES-signed where configured). The same bytes on every download.
        Only a valid certificate is printed: a revoked, suspended or superseded one is refused (409)."""
        certificate = await certificate_status.certificate_of(db_session, institution_id, number)
        certificate_status.require_printable(certificate)
        pdf = await certificate_pdf(db_session, certificate, runtime.pdf_signer)
        return Response(
            pdf,
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="certificate-{certificate.verification_code}.pdf"'},
        )

    async def _change(
        self, request: Request, number: str, action: str, data: StatusChangeIn, db_session: DbSession,
        principal: Caller, institution_id: int, runtime: Shared,
    ) -> Response:  # fmt: skip

        async def work() -> CertificateOut:
            changed = await certificate_status.change_status(
                db_session, institution_id, number, action, data.reason_code, data.reason, data.effective_on
            )
            return certificate_out(changed, runtime.settings.public_base_url)

        response = await run_write(request, db_session, principal, work, status_code=200)
        await runtime.status_list.invalidate()
        return response

    @post("/{number:str}/revoke", summary="Revoke (撤销) a certificate", status_code=200, opt=IDEMPOTENT)
    async def revoke(
        self, request: Request, number: str, data: JSONBody[StatusChangeIn], db_session: DbSession,
        principal: Caller, institution_id: OwnInstitution, runtime: Shared,
    ) -> Response[CertificateOut]:  # fmt: skip
        """Revoke (撤销), from `effective_on` (default today). Final."""
        return await self._change(request, number, "revoke", data, db_session, principal, institution_id, runtime)

    @post("/{number:str}/suspend", summary="Suspend (暂停) a certificate", status_code=200, opt=IDEMPOTENT)
    async def suspend(
        self, request: Request, number: str, data: JSONBody[StatusChangeIn], db_session: DbSession,
        principal: Caller, institution_id: OwnInstitution, runtime: Shared,
    ) -> Response[CertificateOut]:  # fmt: skip
        """Suspend (暂停) until reinstated."""
        return await self._change(request, number, "suspend", data, db_session, principal, institution_id, runtime)

    @post(
        "/{number:str}/reinstate", summary="Reinstate (恢复) a suspended certificate", status_code=200, opt=IDEMPOTENT
    )
    async def reinstate(
        self, request: Request, number: str, data: JSONBody[StatusChangeIn], db_session: DbSession,
        principal: Caller, institution_id: OwnInstitution, runtime: Shared,
    ) -> Response[CertificateOut]:  # fmt: skip
        """Reinstate a suspended certificate."""
        return await self._change(request, number, "reinstate", data, db_session, principal, institution_id, runtime)

    @post("/{number:str}/reissue", summary="Reissue (补发/更正) a certificate", status_code=201, opt=IDEMPOTENT)
    async def reissue(
        self, request: Request, number: str, data: JSONBody[ReissueIn], db_session: DbSession,
        principal: Caller, institution_id: OwnInstitution, runtime: Shared,
    ) -> Response[CertificateOut]:  # fmt: skip
        """Reissue (补发/更正) with a corrected name: a new number and code, the original award date."""

        async def work() -> CertificateOut:
            base = runtime.settings.public_base_url
            sign = await qr_signer(db_session, runtime.vault, base)
            successor = await certificate_status.reissue(
                db_session, institution_id, number, data.reason_code, data.reason, data.corrected_name, sign, base
            )
            return certificate_out(successor, base)

        response = await run_write(request, db_session, principal, work)
        await runtime.status_list.invalidate()
        return response


class CourseCertificatesController(Controller):
    path = "/api/v1/courses"
    tags = ["certificates"]
    guards = [institution_key]

    @get(
        "/{code:str}/certificates.pdf",
        summary="All certificates of a course in one PDF",
        media_type="application/pdf",
        responses={202: ResponseSpec(JobOut, description="made by a job: follow `Location`, then its output")},
    )
    async def course_pdf(
        self, code: str, db_session: DbSession, principal: Caller, institution_id: OwnInstitution, runtime: Shared
    ) -> Response[bytes]:
        """All current certificates of a course in one PDF, one per page, ordered by number. Above
        LEDGER_COURSE_PDF_JOB_CERTIFICATES (300) certificates the PDF is made by a job: 202 with `Location:
        /api/v1/jobs/{id}` (progress: certificates rendered), the PDF then at `/api/v1/jobs/{id}/output`."""
        count = await reads.course_certificate_count(db_session, institution_id, code)
        if not count:
            raise NotFound(f"no certificates for course {code!r}")
        if count > runtime.settings.course_pdf_job_certificates:
            job_id = await waiting_job(db_session, institution_id, COURSE_PDF, {"course_code": code})
            if job_id is None:
                job_id = await submit_course_pdf(db_session, institution_id, code, count, principal.key_id)
                await db_session.commit()
            return job_response(JobOut.of(await job_status(db_session, institution_id, job_id)))
        found = await reads.course_certificates(db_session, institution_id, code)
        pdf = await course_pdf(found, runtime.pdf_signer)
        return Response(
            pdf, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{code}.pdf"'}
        )

    @get(
        "/{code:str}/certificates.zip",
        summary="All certificates of a course as PDFs in a zip",
        media_type="application/zip",
    )
    async def course_zip(
        self, code: str, db_session: DbSession, institution_id: OwnInstitution, runtime: Shared
    ) -> Stream:
        """The same certificates as single PDFs in one zip (`<number>_<name>.pdf`), streamed as each is read."""
        return await course_zip(db_session, runtime.sessionmaker, runtime.pdf_signer, institution_id, code)


class AwardController(Controller):
    path = "/api/v1/awards"
    tags = ["certificates"]
    guards = [institution_key]

    @get("/{award_id:uuid}", summary="Read a dual award (双证)")
    async def read(self, award_id: uuid.UUID, db_session: DbSession, institution_id: OwnInstitution) -> AwardOut:
        """A dual award (双证): its rule, both certificates as they stand today, and whether it is complete."""
        view = await reads.award_view(db_session, institution_id, award_id)
        return AwardOut(
            id=view.id,
            rule=view.rule,
            complete=view.complete,
            certificates=[AwardCertificateOut(c.number, c.kind, c.status) for c in (view.companion, view.skill)],
        )
