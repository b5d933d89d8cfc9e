"""Stored files: an upload kept in ~1 MiB parts between a preview and its confirm, or as a job's input or output.

A file is written part by part as its bytes arrive and read back part by part, so a 200 MB upload is never held
in memory whole. Files belong to an institution: every read names it, and another institution's file is not found.
A file is kept until its `expires_at` (LEDGER_STORED_FILE_HOURS after it was stored); `delete_expired_files`
removes expired files that no waiting job still needs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tempfile
import unicodedata
import uuid
from collections.abc import AsyncIterable, AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ledger import clock
from ledger.database.driver import driver
from ledger.errors import FieldError, InvalidInput, NotFound
from ledger.jobs.tables import Job, StoredFile

PART_BYTES = 1024 * 1024
DEFAULT_KEEP = dt.timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class FileInfo:
    id: uuid.UUID
    institution_id: int
    filename: str
    media_type: str
    size: int
    parts: int
    sha256: bytes
    created_at: dt.datetime
    expires_at: dt.datetime


def clean_filename(filename: str | None) -> str:
    """The last path component, without control characters, at most 255 characters; "upload" when empty."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in unicodedata.normalize("NFC", name) if unicodedata.category(c)[0] != "C").strip()
    return name[-255:] or "upload"


def too_large(max_bytes: int) -> InvalidInput:
    mib = max_bytes / (1024 * 1024)
    message = f"文件超过 {mib:g} MiB 的上限，请拆分后上传 / the file is larger than {mib:g} MiB; split it"
    return InvalidInput(message, errors=[FieldError("file", "too_large", message)])


async def _pieces(content: AsyncIterable[bytes] | bytes) -> AsyncIterator[bytes]:
    if isinstance(content, bytes | bytearray | memoryview):
        whole = memoryview(content)
        for start in range(0, len(whole), PART_BYTES):
            yield bytes(whole[start : start + PART_BYTES])
        return
    async for piece in content:
        yield piece


async def keep_file(
    session: AsyncSession,
    institution_id: int,
    filename: str | None,
    media_type: str | None,
    content: AsyncIterable[bytes] | bytes,
    *,
    max_bytes: int | None = None,
    keep_for: dt.timedelta = DEFAULT_KEEP,
) -> uuid.UUID:
    """Store `content` (bytes, or an async iterable of pieces such as a request's stream) for `institution_id` in
    the caller's transaction, and return the new file's id. At most one part (~1 MiB) is held in memory.

    Raises InvalidInput (`file`, `too_large`) once more than `max_bytes` arrive; the parts already written are in
    the caller's transaction, which the caller rolls back.
    """
    file_id = uuid.uuid4()
    now = clock.now()
    session.add(
        StoredFile(
            id=file_id,
            institution_id=institution_id,
            filename=clean_filename(filename),
            media_type=(media_type or "application/octet-stream")[:128],
            created_at=now,
            expires_at=now + keep_for,
        )
    )
    await session.flush()
    conn = await driver(session)
    digest = hashlib.sha256()
    size = parts = 0
    buffer = bytearray()

    async def write(data: bytes) -> None:
        nonlocal parts
        await conn.execute("INSERT INTO stored_file_parts VALUES ($1, $2, $3)", file_id, parts, data)
        parts += 1

    async for piece in _pieces(content):
        size += len(piece)
        if max_bytes is not None and size > max_bytes:
            raise too_large(max_bytes)
        digest.update(piece)
        buffer += piece
        while len(buffer) >= PART_BYTES:
            await write(bytes(buffer[:PART_BYTES]))
            del buffer[:PART_BYTES]
    if buffer:
        await write(bytes(buffer))
    await session.execute(
        update(StoredFile)
        .where(StoredFile.id == file_id)
        .values(size=size, parts=parts, sha256=digest.digest())
        .execution_options(synchronize_session=False)
    )
    return file_id


async def name_file(
    session: AsyncSession, institution_id: int, file_id: uuid.UUID, filename: str | None, media_type: str | None
) -> None:
    """Give a stored file the name and media type learnt while it was read (a multipart part's headers)."""
    values: dict[str, str] = {}
    if filename:
        values["filename"] = clean_filename(filename)
    if media_type:
        values["media_type"] = media_type[:128]
    if values:
        await session.execute(
            update(StoredFile)
            .where(StoredFile.id == file_id, StoredFile.institution_id == institution_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )


async def file_info(session: AsyncSession, institution_id: int, file_id: uuid.UUID) -> FileInfo:
    """The stored file `file_id` of `institution_id`; NotFound for another institution's, an unfinished or an
    expired file."""
    row = (
        await session.execute(
            select(StoredFile).where(
                StoredFile.id == file_id,
                StoredFile.institution_id == institution_id,
                StoredFile.sha256.is_not(None),
                StoredFile.expires_at > clock.now(),
            )
        )
    ).scalar_one_or_none()
    if row is None:
        raise NotFound("没有这个文件，或它已过期 / no such file, or it has expired")
    assert row.sha256 is not None
    return FileInfo(
        row.id,
        row.institution_id,
        row.filename,
        row.media_type,
        row.size,
        row.parts,
        row.sha256,
        row.created_at,
        row.expires_at,
    )


async def read_file(session: AsyncSession, institution_id: int, file_id: uuid.UUID) -> AsyncIterator[bytes]:
    """The file's bytes, one part (~1 MiB) at a time, each part read by its own query."""
    info = await file_info(session, institution_id, file_id)
    conn = await driver(session)
    for part in range(info.parts):
        yield await conn.fetchval("SELECT data FROM stored_file_parts WHERE file_id = $1 AND part = $2", info.id, part)


@asynccontextmanager
async def local_copy(
    session: AsyncSession, institution_id: int, file_id: uuid.UUID, directory: Path | None = None
) -> AsyncIterator[Path]:
    """The file copied to a temporary file (removed afterwards), for a parser that wants a path or to seek."""
    info = await file_info(session, institution_id, file_id)
    suffix = Path(info.filename).suffix[:16]
    with tempfile.TemporaryDirectory(prefix="ledger-file-", dir=directory) as folder:
        path = Path(folder) / f"upload{suffix}"
        with path.open("wb") as out:
            async for data in read_file(session, institution_id, file_id):
                out.write(data)
        yield path


async def drop_file(session: AsyncSession, institution_id: int, file_id: uuid.UUID) -> None:
    """Remove the file and its parts now (a confirmed or abandoned upload); removing an absent file is a no-op."""
    await session.execute(
        delete(StoredFile).where(StoredFile.id == file_id, StoredFile.institution_id == institution_id)
    )


async def delete_expired_files(session: AsyncSession, now: dt.datetime | None = None) -> int:
    """Remove every expired file that no queued or running job reads or writes; how many were removed."""
    moment = now or clock.now()
    waiting = (
        exists()
        .where(Job.state.in_(("queued", "running")))
        .where((Job.input_file_id == StoredFile.id) | (Job.output_file_id == StoredFile.id))
    )
    removed = await session.execute(
        delete(StoredFile).where(StoredFile.expires_at <= moment, ~waiting).returning(StoredFile.id)
    )
    return len(removed.all())
