"""The public face of the Merkle log: checkpoints, RFC 9162 proofs, entries, and where a record is logged."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Annotated

import msgspec
from litestar import Controller, MediaType, Response, get, post
from litestar.params import Parameter

from api.deps import DbSession, Shared
from api.guards import PUBLIC, admin_key
from ledger.log import reader
from ledger.log.signed_note import verifier_key
from ledger.tenancy.signing_keys import published_keys

Index = Annotated[int, Parameter(ge=0, le=2**62)]


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


class InclusionOut(msgspec.Struct):
    index: int
    size: int
    leaf_hash: str
    root: str
    proof: list[str]


class ConsistencyOut(msgspec.Struct):
    first: int
    second: int
    first_root: str
    second_root: str
    proof: list[str]


class EntryRef(msgspec.Struct):
    index: int
    kind: str
    logged_at: dt.datetime


class LedgerController(Controller):
    path = "/api/v1/ledger"
    tags = ["ledger"]

    @get(
        "/checkpoint",
        summary="The ledger's latest signed checkpoint",
        media_type=MediaType.TEXT,
        opt=PUBLIC,
    )
    async def checkpoint(self, db_session: DbSession, runtime: Shared) -> str:
        """The latest signed checkpoint (C2SP tlog-checkpoint signed note, Ed25519)."""
        latest = await reader.latest_checkpoint(db_session)
        if latest is None:
            latest = await reader.make_checkpoint(db_session, runtime.vault, runtime.settings.domain.ledger_origin)
            await db_session.commit()
        return latest.note

    @post(
        "/checkpoints",
        summary="Sign a checkpoint now",
        media_type=MediaType.TEXT,
        status_code=201,
        guards=[admin_key],
    )
    async def sign_now(self, db_session: DbSession, runtime: Shared) -> str:
        """Sign a checkpoint over the current head now (admin)."""
        made = await reader.make_checkpoint(db_session, runtime.vault, runtime.settings.domain.ledger_origin)
        await db_session.commit()
        return made.note

    @get("/keys", summary="The ledger's checkpoint signing keys", media_type=MediaType.TEXT, opt=PUBLIC)
    async def keys(self, db_session: DbSession, runtime: Shared) -> str:
        """Verifier keys (`<name>+<id>+<key>`) of every checkpoint key, one a line."""
        name = runtime.settings.domain.ledger_origin
        keys = await published_keys(db_session, "checkpoint")
        return "".join(verifier_key(name, key) + "\n" for key in keys.values())

    @get("/proof/inclusion", summary="Inclusion proof of a ledger entry", opt=PUBLIC)
    async def inclusion(self, db_session: DbSession, index: Index, size: Index) -> InclusionOut:
        """RFC 9162 §2.1.3 inclusion proof of leaf `index` in the tree of `size` leaves."""
        proof = await reader.inclusion(db_session, index, size)
        return InclusionOut(
            proof.index, proof.size, b64(proof.leaf_hash), b64(proof.root), [b64(p) for p in proof.path]
        )

    @get("/proof/consistency", summary="Consistency proof between two ledger sizes", opt=PUBLIC)
    async def consistency(self, db_session: DbSession, first: Index, second: Index) -> ConsistencyOut:
        """RFC 9162 §2.1.4 consistency proof between the trees of `first` and `second` leaves."""
        proof = await reader.consistency(db_session, first, second)
        return ConsistencyOut(
            proof.first,
            proof.second,
            b64(proof.first_root),
            b64(proof.second_root),
            [b64(p) for p in proof.path],
        )

    @get("/entries/{index:int}", summary="One ledger entry", opt=PUBLIC)
    async def entry(self, db_session: DbSession, index: Index) -> Response[bytes]:
        """The exact leaf bytes of entry `index` (canonical JSON, no personal data); leaf hash in a header."""
        found = await reader.entry(db_session, index)
        return Response(
            content=found.leaf,
            media_type="application/json",
            headers={"Leaf-Hash": b64(found.leaf_hash), "Ledger-Index": str(found.idx)},
        )

    @get("/subjects/{subject_type:str}/{subject_id:str}", summary="Ledger entries about one record", opt=PUBLIC)
    async def subject(self, db_session: DbSession, subject_type: str, subject_id: str) -> list[EntryRef]:
        """Every entry about one record (e.g. `completion/4711`, `certificate/<code>`), oldest first."""
        found = await reader.entries_for(db_session, subject_type, subject_id)
        return [EntryRef(e.idx, e.kind, e.created_at) for e in found]


class CertificateLedgerController(Controller):
    path = "/api/v1/ledger/certificates"
    tags = ["ledger"]
    opt = PUBLIC

    @get("/{code:str}", summary="Ledger entries of one certificate, by verification code")
    async def certificate(self, db_session: DbSession, code: str) -> list[EntryRef]:
        """Every ledger entry about the certificate with this verification code (issue, status changes)."""
        found = await reader.entries_for_certificate(db_session, code.upper())
        return [EntryRef(e.idx, e.kind, e.created_at) for e in found]
