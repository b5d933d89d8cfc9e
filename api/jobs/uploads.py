"""Large imports as jobs: the upload streamed into stored files (never held whole), the job queued, 202 + Location.

The body is read as it arrives. A raw body is kept as it is; a multipart/form-data upload (a browser's form, curl
-F, Postman) has its file part kept, the multipart framing parsed on the fly. An Idempotency-Key works as for any
write (api/idempotency.py): the fingerprint is taken over the streamed body, and a retried submit answers with the
first one's job.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import msgspec
import multipart
from litestar import Request, Response
from litestar.exceptions import HTTPException
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import Runtime
from api.idempotency import claim_key, request_hasher
from api.jobs.schemas import JobOut
from api.settings import WebSettings
from ledger.errors import FieldError, InvalidInput
from ledger.jobs.files import keep_file, name_file, too_large
from ledger.jobs.imports import submit_import
from ledger.jobs.service import job_status
from ledger.registration.sheets import Lang
from ledger.tenancy import idempotency
from ledger.tenancy.service import Principal


def wants_async(request: Request) -> bool:
    """`Prefer: respond-async` (RFC 7240)."""
    prefer = request.headers.get("prefer", "")
    return any(token.split("=")[0].strip().lower() == "respond-async" for token in prefer.split(","))


def job_response(job: JobOut, *, replayed: bool = False) -> Response:
    headers = {"Location": job.links.self}
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return Response(content=msgspec.json.encode(job), status_code=202, media_type="application/json", headers=headers)


def _filename(request: Request) -> str | None:
    disposition = request.headers.get("content-disposition")
    if disposition:
        return multipart.parse_options_header(disposition)[1].get("filename")
    return request.query_params.get("filename")


class _FilePart:
    """The first file part of a multipart body, as its bytes arrive."""

    def __init__(self, boundary: str, pieces: AsyncIterator[bytes]) -> None:  # the raw body's pieces
        self.parser = multipart.PushMultipartParser(boundary, max_header_size=8192, max_header_count=16)
        self.pieces = pieces
        self.filename: str | None = None
        self.media_type: str | None = None

    async def data(self) -> AsyncIterator[bytes]:
        state = "before"  # before the file part, in it, after it
        try:
            async for piece in self.pieces:
                for event in self.parser.parse(piece):
                    if isinstance(event, multipart.MultipartSegment):
                        if state == "before" and (event.filename is not None or event.name == "file"):
                            state, self.filename, self.media_type = "in", event.filename, event.content_type
                    elif event is None:
                        state = "after" if state == "in" else state
                    elif state == "in":
                        yield bytes(event)
            for _ in self.parser.parse(b""):
                pass
        except multipart.MultipartError as exc:
            message = "上传的表单无法解析 / the multipart form cannot be read"
            raise InvalidInput(message, errors=[FieldError("file", "malformed", message)]) from exc
        if state == "before":
            message = "表单中没有文件 / the form holds no file (send it as the field `file`)"
            raise InvalidInput(message, errors=[FieldError("file", "required", message)])


async def submit_upload(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    institution_id: int,
    runtime: Runtime,
    *,
    dry_run: bool,
    lang: Lang,
    read: tuple[bytes, str | None, str | None] | None = None,
) -> Response:
    """Keep the upload, queue its import job and answer 202 with the job, in one transaction. The body is streamed
    from the request, or `read` is the file already read (bytes, file name, media type)."""
    hasher = request_hasher(request)  # over the file's bytes, as the synchronous import's key (api/idempotency.py)
    part = None
    if read is not None:
        content: AsyncIterator[bytes] | bytes = read[0]
        filename, media_type = read[1], read[2]
        hasher.update(read[0])
    else:
        media, options = multipart.parse_options_header(request.headers.get("content-type", ""))
        filename, media_type, content = _filename(request), media or None, request.stream()
        if media == "multipart/form-data" and options.get("boundary"):
            part = _FilePart(options["boundary"], content)
            content = part.data()
        content = _fingerprinted(content, hasher)
    limit, hours = runtime.settings.max_import_bytes, runtime.settings.domain.stored_file_hours
    try:
        file_id = await keep_file(
            session, institution_id, filename, media_type, content, max_bytes=limit, keep_for=dt.timedelta(hours=hours)
        )
    except InvalidInput as exc:
        await session.rollback()
        if exc.errors and exc.errors[0].code == "too_large":
            raise HTTPException(status_code=413, detail=too_large(limit).detail) from exc
        raise
    if part is not None:  # known once the part's headers were read
        await name_file(session, institution_id, file_id, part.filename, part.media_type)
    record_id = None
    if not dry_run:  # a dry run never claims the key (api/idempotency.py)
        claimed = await claim_key(request, session, principal, hasher.digest())
        if isinstance(claimed, Response):
            if claimed.status_code == 202:
                return job_response(msgspec.json.decode(claimed.content, type=JobOut), replayed=True)
            return claimed
        record_id = claimed
    job_id = await submit_import(
        session, institution_id, file_id, api_key_id=principal.key_id, lang=lang, dry_run=dry_run
    )
    job = JobOut.of(await job_status(session, institution_id, job_id))
    if record_id is not None:
        await idempotency.keep_response(session, record_id, 202, "application/json", msgspec.json.encode(job))
    await session.commit()
    return job_response(job)


async def _fingerprinted(pieces: AsyncIterator[bytes], hasher: Any) -> AsyncIterator[bytes]:
    async for piece in pieces:
        hasher.update(piece)
        yield piece


def goes_async(request: Request, settings: WebSettings) -> bool:
    """Whether an import runs as a job: asked for (`Prefer: respond-async`), or a body above the threshold or of
    unknown length (a chunked upload is not read into memory to find out)."""
    length = request.headers.get("content-length", "")
    limit = min(settings.async_import_bytes, settings.max_body_bytes)
    return wants_async(request) or not length.isdigit() or int(length) > limit
