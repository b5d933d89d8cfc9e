"""Certificate PDFs: rendered from the frozen snapshot in the CPU pool (ledger/cpu.py), PAdES-signed where
configured, and kept once made so that every download of a certificate returns the same bytes."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from api.settings import WebSettings
from certificates.pdf import render_many, render_pdf
from certificates.signing import SigningCredentials, demo_credentials, load_credentials, make_signer, sign_pdf
from ledger import cpu
from ledger.certificates import repository
from ledger.certificates.snapshot import CertificateSnapshot
from ledger.certificates.tables import Certificate


def pdf_signer(settings: WebSettings) -> Any | None:
    """The pyHanko signer the settings ask for: none, a demo certificate kept in the data folder, or files."""
    if settings.pdf_signing == "demo":
        return make_signer(demo_credentials_in(settings.domain.data_dir / "pdf-signing"))
    if settings.pdf_signing == "files":
        if not (settings.pdf_signing_cert and settings.pdf_signing_key):
            raise ValueError("LEDGER_PDF_SIGNING_CERT and LEDGER_PDF_SIGNING_KEY are both needed")
        return make_signer(load_credentials(settings.pdf_signing_cert, settings.pdf_signing_key))
    return None


def demo_credentials_in(folder: Path) -> SigningCredentials:
    cert, key = folder / "demo-cert.pem", folder / "demo-key.pem"
    if not cert.exists():
        folder.mkdir(parents=True, exist_ok=True)
        made = demo_credentials()
        key.write_bytes(made.private_key_pem)
        key.chmod(0o600)
        cert.write_bytes(made.certificate_pem)
    return load_credentials(cert, key)


def snapshot_of(certificate: Certificate) -> CertificateSnapshot:
    return msgspec.convert(certificate.snapshot, CertificateSnapshot)


async def _signed(pdf: bytes, signer: Any | None) -> bytes:
    return await asyncio.to_thread(sign_pdf, pdf, signer) if signer is not None else pdf


async def certificate_pdf(session: AsyncSession, certificate: Certificate, signer: Any | None) -> bytes:
    stored = await repository.stored_pdf(session, certificate.id)
    if stored is not None:
        return stored
    pdf = await _signed(await cpu.run(render_pdf, snapshot_of(certificate)), signer)  # drawn in the CPU pool
    await repository.keep_pdf(session, certificate.id, pdf)
    await session.commit()
    kept = await repository.stored_pdf(session, certificate.id)
    assert kept is not None
    return kept


async def course_pdf(certificates: list[Certificate], signer: Any | None) -> bytes:
    snapshots = [snapshot_of(c) for c in certificates]
    return await _signed(await cpu.run(render_many, snapshots), signer)  # drawn in the CPU pool (ledger/cpu.py)
