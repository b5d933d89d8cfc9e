"""Share links the holder controls: made and revoked after the holder check, served at `/s/{token}`.

The page way: a match on `/check` gives a signed holder proof (api/certificates/share_panel.py) that the share and
revoke forms carry, for 15 minutes. The JSON way, for apps: each call carries the code, full name and ID number and
goes through the holder check itself, with its failure budget per certificate. Both sit behind the holder check's
per-address rate limit; `/s/{token}` behind the verification pages'. An expired, revoked or unknown token gets the
very same not-found page.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec
from litestar import Controller, delete, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import HTTPException
from litestar.params import Body, JSONBody
from litestar.response import Template

from api.certificates.holder import REFUSED, HolderCheckIn, Short, answer
from api.certificates.pages import CHECK, SHARE, UNKNOWN, certificate_rows, page_context, unknown_context
from api.certificates.share_panel import expiry_text, holder_panel, read_proof, share_url
from api.certificates.verify import html_page
from api.deps import DbSession, Runtime, Shared
from api.guards import PUBLIC
from api.i18n import catalogue, language
from api.problems import problem_spec
from ledger.certificates import sharing, verification
from ledger.commands import NO_BIDI
from ledger.errors import Conflict, InvalidInput, NotFound

NOT_HOLDER = "持证人核验未通过。 The holder check did not match."
Lang = Annotated[str, msgspec.Meta(max_length=8)]


class ShareIn(msgspec.Struct, forbid_unknown_fields=True):
    code: Short
    name: Short
    id_number: Short
    purpose: Annotated[str, msgspec.Meta(max_length=400, pattern=NO_BIDI)]
    days: Annotated[int, msgspec.Meta(ge=1, le=sharing.MAX_DAYS)] = 30


class ShareOut(msgspec.Struct):
    id: int
    purpose: str
    expires_at: dt.datetime


class NewShareOut(msgspec.Struct):
    id: int
    purpose: str
    expires_at: dt.datetime
    token: str  # returned once; only its hash is kept
    url: str


class SharesOut(msgspec.Struct):
    shares: list[ShareOut]


class ShareForm(msgspec.Struct):
    proof: Annotated[str, msgspec.Meta(max_length=200)] = ""
    purpose: Annotated[str, msgspec.Meta(max_length=400, pattern=NO_BIDI)] = ""
    days: Annotated[str, msgspec.Meta(max_length=8)] = ""
    lang: Lang = "zh"


class RevokeForm(msgspec.Struct):
    proof: Annotated[str, msgspec.Meta(max_length=200)] = ""
    share_id: Annotated[str, msgspec.Meta(max_length=20)] = ""
    lang: Lang = "zh"


async def holder_certificate(runtime: Runtime, who: HolderCheckIn | ShareIn) -> int:
    """The certificate whose holder this is, through the holder check (and its budget): 403 on no match, 429
    once the certificate's failures are spent."""
    found = await answer(runtime, who.code, who.name, who.id_number)
    if found == "refused":
        raise HTTPException(status_code=429, detail=REFUSED)
    view = await verification.verify(runtime.pool, who.code) if found == "match" else None
    if view is None:
        raise HTTPException(status_code=403, detail=NOT_HOLDER)
    return view.certificate_id


def _out(share: sharing.Share) -> ShareOut:
    return ShareOut(share.id, share.purpose, share.expires_at)


NOT_THE_HOLDER = {403: problem_spec("持证人核验未通过 / the name and ID number are not the holder's")}


class ShareApiController(Controller):
    path = "/api/v1/verify/shares"
    tags = ["public"]
    opt = PUBLIC

    @post("", summary="Make a share link (分享) after the holder check", status_code=201, responses=NOT_THE_HOLDER)
    async def create(self, data: JSONBody[ShareIn], runtime: Shared, db_session: DbSession) -> NewShareOut:
        """A share link for a stated purpose, valid `days` (at most 90), after the holder check; 409 when the
        certificate has 3 active share links already. The token is in this answer only."""
        certificate_id = await holder_certificate(runtime, data)
        made = await sharing.create_share(db_session, certificate_id, data.purpose, data.days)
        await db_session.commit()
        s = made.share
        return NewShareOut(s.id, s.purpose, s.expires_at, made.token, share_url(runtime, made.token))

    @post("/active", summary="The holder's active share links", status_code=200, responses=NOT_THE_HOLDER)
    async def active(self, data: JSONBody[HolderCheckIn], runtime: Shared, db_session: DbSession) -> SharesOut:
        """The certificate's active share links (neither revoked nor expired), after the holder check."""
        certificate_id = await holder_certificate(runtime, data)
        return SharesOut([_out(s) for s in await sharing.active_shares(db_session, certificate_id)])

    @delete("/{share_id:int}", summary="Revoke a share link", status_code=204, responses=NOT_THE_HOLDER)
    async def revoke(
        self, share_id: int, data: JSONBody[HolderCheckIn], runtime: Shared, db_session: DbSession
    ) -> None:
        """Revoke one of the certificate's active share links at once, after the holder check; 404 otherwise."""
        certificate_id = await holder_certificate(runtime, data)
        await sharing.revoke_share(db_session, certificate_id, share_id)
        await db_session.commit()


def _proof_expired(lang: str) -> Template:
    return html_page(CHECK, page_context(lang, "/check", code="", answer=None, notice="proof_expired"), 403)


class ShareFormController(Controller):
    path = "/check"
    tags = ["public"]
    opt = PUBLIC
    include_in_schema = False

    @post("/share", status_code=200)
    async def create(
        self,
        data: Annotated[ShareForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
        runtime: Shared,
        db_session: DbSession,
    ) -> Template:
        """The check page's share form: the new link shown once, or why not (limit, bad input, not valid)."""
        lang = language(data.lang)
        certificate_id = read_proof(runtime.vault, data.proof)
        if certificate_id is None:
            return _proof_expired(lang)
        more: dict[str, object] = {}
        status = 200
        try:
            days = int(data.days) if data.days.strip().isdigit() else 0
            made = await sharing.create_share(db_session, certificate_id, data.purpose, days)
            await db_session.commit()
            more = {"notice": "created", "new_link": share_url(runtime, made.token)}
        except InvalidInput:
            more, status = {"notice": "invalid", "purpose": data.purpose[:100]}, 422
        except Conflict as refused:
            await db_session.rollback()
            limit = isinstance(refused, sharing.ShareLimitReached)
            more, status = {"notice": "limit" if limit else "not_valid", "purpose": data.purpose[:100]}, 409
        panel = await holder_panel(runtime, certificate_id, lang, **more)
        return html_page(CHECK, page_context(lang, "/check", code="", answer="match", **panel), status)

    @post("/revoke", status_code=200)
    async def revoke(
        self,
        data: Annotated[RevokeForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
        runtime: Shared,
        db_session: DbSession,
    ) -> Template:
        """A revoke button of the check page: the share stops at once; the list is shown again."""
        lang = language(data.lang)
        certificate_id = read_proof(runtime.vault, data.proof)
        if certificate_id is None:
            return _proof_expired(lang)
        notice, status = "revoked", 200
        try:
            await sharing.revoke_share(db_session, certificate_id, int(data.share_id) if data.share_id.isdigit() else 0)
            await db_session.commit()
        except NotFound:
            notice, status = "gone", 404
        panel = await holder_panel(runtime, certificate_id, lang, notice=notice)
        return html_page(CHECK, page_context(lang, "/check", code="", answer="match", **panel), status)


class SharePageController(Controller):
    path = ""
    tags = ["public"]
    opt = PUBLIC
    include_in_schema = False

    @get("/s/{token:str}")
    async def shared(self, token: str, runtime: Shared, lang: str | None = None) -> Template:
        """What a share link opens: the full name, the certificate with its live status, the purpose and the
        expiry. Expired, revoked and unknown links get the same not-found page, byte for byte."""
        chosen = language(lang)
        found = await sharing.open_share(runtime.pool, token)
        if found is None:
            return html_page(UNKNOWN, unknown_context(chosen, "/"), 404)
        view = found.view
        t = catalogue(chosen)
        return html_page(
            SHARE,
            page_context(
                chosen,
                f"/s/{token}",
                state=view.status,
                view=view,
                record_status=t[f"status.{view.status}"],
                kind_text=t[f"kind.{view.snapshot.kind}"],
                rows=certificate_rows(view, chosen, full_name=True),
                purpose=found.purpose,
                expires=expiry_text(found.expires_at),
            ),
        )
