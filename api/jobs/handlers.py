"""What the job workers run, by kind: composed here, where the QR signer and the PDF renderer are at hand."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.certificates.qr_signing import qr_signer
from api.jobs.course_pdf import COURSE_PDF, CoursePdfMaker
from api.settings import WebSettings
from ledger.certificates.issuance import QrSigner
from ledger.jobs.imports import IMPORT, Importer
from ledger.jobs.worker import Handler
from ledger.people.pii import PiiVault


def handlers_for(settings: WebSettings, vault: PiiVault, pdf_signer: Any | None) -> dict[str, Handler]:
    base = settings.public_base_url

    async def signer_for(session: AsyncSession) -> QrSigner:
        return await qr_signer(session, vault, base)

    return {IMPORT: Importer(vault, base, signer_for), COURSE_PDF: CoursePdfMaker(pdf_signer)}
