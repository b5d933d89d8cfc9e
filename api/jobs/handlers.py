"""What the job workers run, by kind: composed here, where the QR signer and the PDF renderer are at hand."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from api.certificates.qr_signing import qr_signer
from api.deps import Runtime
from api.jobs.course_pdf import COURSE_PDF, CoursePdfMaker
from ledger.certificates.issuance import QrSigner
from ledger.jobs.imports import IMPORT, Importer
from ledger.jobs.worker import Handler


def job_handlers(runtime: Runtime) -> dict[str, Handler]:
    base = runtime.settings.public_base_url

    async def signer_for(session: AsyncSession) -> QrSigner:
        return await qr_signer(session, runtime.vault, base)

    return {IMPORT: Importer(runtime.vault, base, signer_for), COURSE_PDF: CoursePdfMaker(runtime.pdf_signer)}
