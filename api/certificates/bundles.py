"""A course's certificates as a zip of single PDFs, streamed: each PDF is the one kept for its certificate (made and
kept on first download, see pdfs.py), written into the archive and sent before the next one is read, so the first
bytes leave at once and memory holds one PDF at a time whatever the course's size."""

from __future__ import annotations

import re
import zipfile
from collections.abc import AsyncIterator
from typing import Any

from litestar.response import Stream
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.certificates.pdfs import certificate_pdf
from ledger.certificates import reads
from ledger.certificates.tables import Certificate
from ledger.errors import NotFound

_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')


class _Sink:
    """Where zipfile writes: it keeps what was written until the stream takes it (zipfile needs no seeking)."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def take(self) -> bytes:
        taken = b"".join(self._parts)
        self._parts.clear()
        return taken


def entry_name(certificate: Certificate) -> str:
    """`<number>_<holder>.pdf`: sorted by number, and a clerk sees whose it is."""
    holder = _UNSAFE.sub("", str(certificate.snapshot.get("holder_name", ""))).strip()
    return f"{certificate.number}_{holder}.pdf" if holder else f"{certificate.number}.pdf"


async def zipped_pdfs(
    sessionmaker: async_sessionmaker, signer: Any | None, certificates: list[Certificate]
) -> AsyncIterator[bytes]:
    """The archive, piece by piece. It reads and keeps PDFs in a session of its own: the request's is gone by the
    time a streamed body is sent."""
    sink = _Sink()
    async with sessionmaker() as session:
        with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for certificate in certificates:
                pdf = await certificate_pdf(session, certificate, signer)
                day = certificate.issued_on
                info = zipfile.ZipInfo(entry_name(certificate), date_time=(day.year, day.month, day.day, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, pdf)
                yield sink.take()
    yield sink.take()


async def course_zip(
    session: AsyncSession, sessionmaker: async_sessionmaker, signer: Any | None, institution_id: int, code: str
) -> Stream:
    """Every valid certificate of the institution's course `code` (as its course PDF has them), one PDF each."""
    found = await reads.course_certificates(session, institution_id, code)
    if not found:
        raise NotFound(f"no certificates for course {code!r}")
    return Stream(
        zipped_pdfs(sessionmaker, signer, found),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{code}.zip"', "Cache-Control": "no-store"},
    )
