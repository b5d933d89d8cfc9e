"""The ledger proof as a page: what the ledger is, this certificate's entries, their inclusion in the latest signed
checkpoint, which checks passed here, and where to check it all again without us (the JSON, docs/ledger.md)."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from litestar import Controller, get
from litestar.response import Template

from api.certificates.pages import UNKNOWN, page_context, unknown_context
from api.certificates.verify import html_page
from api.deps import DbSession, Shared
from api.guards import PUBLIC
from api.i18n import language
from ledger.certificates import verification
from ledger.log import merkle, reader
from ledger.log.signed_note import open_note, parse_checkpoint
from ledger.tenancy.signing_keys import published_keys

LEDGER = "verification/ledger.html"


@dataclass(frozen=True, slots=True)
class EntryCheck:
    index: int
    kind: str
    logged_at: str
    leaf_hash: str
    included: bool | None  # None: newer than the latest checkpoint


async def _signed_checkpoint(session: DbSession, origin: str) -> tuple[int, bytes, str] | None:
    """(size, root, note) of the latest checkpoint if one of the published checkpoint keys signed it."""
    latest = await reader.latest_checkpoint(session)
    if latest is None:
        return None
    for key in (await published_keys(session, "checkpoint")).values():
        try:
            body = open_note(latest.note, origin, key)
        except ValueError:
            continue
        checkpoint = parse_checkpoint(body)
        return checkpoint.size, checkpoint.root, latest.note
    return None


class LedgerPageController(Controller):
    path = ""
    tags = ["public"]
    opt = PUBLIC
    include_in_schema = False

    @get(["/v/{code:str}/ledger", "/V/{code:str}/ledger"])
    async def ledger(self, code: str, db_session: DbSession, runtime: Shared, lang: str | None = None) -> Template:
        chosen = language(lang)
        view = await verification.verify(runtime.pool, code)
        if view is None:
            return html_page(UNKNOWN, unknown_context(chosen, "/"), 404)
        origin = runtime.settings.domain.ledger_origin
        signed = await _signed_checkpoint(db_session, origin)
        checks = []
        for entry in await reader.entries_for(db_session, "certificate", str(view.certificate_id)):
            included = None
            if signed is not None and entry.idx < signed[0]:
                proof = await reader.inclusion(db_session, entry.idx, signed[0])
                leaf = merkle.leaf_hash(entry.leaf)
                included = leaf == proof.leaf_hash and merkle.verify_inclusion(
                    leaf, entry.idx, signed[0], proof.path, signed[1]
                )
            checks.append(
                EntryCheck(
                    entry.idx,
                    entry.kind,
                    entry.created_at.isoformat(timespec="seconds"),
                    base64.b64encode(merkle.leaf_hash(entry.leaf)).decode(),
                    included,
                )
            )
        path = f"/v/{view.snapshot.verification_code}/ledger"
        context = page_context(
            chosen,
            path,
            code=view.snapshot.verification_code,
            entries=checks,
            checkpoint_size=signed[0] if signed else None,
            checkpoint_root=base64.b64encode(signed[1]).decode() if signed else "",
            checkpoint_note=signed[2] if signed else "",
        )
        return html_page(LEDGER, context)
