"""The holder check, as JSON and as a page: does this full name and ID number belong to the certificate's holder?

It answers only yes or no, never which field was wrong. Per-address rate limits (the router's) sit on top of a
budget of failed attempts per certificate kept in PostgreSQL (`ledger.certificates.verification.check_holder`):
once spent, that certificate's check is refused whatever the client address.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec
from litestar import Controller, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import HTTPException
from litestar.params import Body, JSONBody
from litestar.response import Template

from api.certificates.pages import CHECK, page_context
from api.certificates.share_panel import holder_panel
from api.certificates.verify import html_page
from api.deps import Runtime, Shared
from api.guards import PUBLIC
from api.i18n import language
from ledger.certificates import verification

Short = Annotated[str, msgspec.Meta(max_length=64)]
REFUSED = (
    "该证书的持证人核验失败次数已达上限，请稍后再试（The holder check of this certificate is paused after repeated "
    "failures.）"
)


class HolderCheckIn(msgspec.Struct, forbid_unknown_fields=True):
    code: Short
    name: Short
    id_number: Short


class HolderCheckOut(msgspec.Struct):
    match: bool


class HolderForm(msgspec.Struct):
    code: Short = ""
    name: Short = ""
    id_number: Short = ""
    lang: Annotated[str, msgspec.Meta(max_length=8)] = "zh"


async def answer(runtime: Runtime, code: str, name: str, id_number: str) -> verification.HolderAnswer:
    settings = runtime.settings
    return await verification.check_holder(
        runtime.pool,
        runtime.vault,
        code,
        name,
        id_number,
        budget=settings.holder_check_failures,
        window=dt.timedelta(hours=settings.holder_check_window_hours),
    )


class HolderCheckController(Controller):
    path = ""
    tags = ["public"]
    opt = PUBLIC

    @post(
        "/api/v1/verify/holder-check", summary="Holder check: do a name and ID number match the holder", status_code=200
    )
    async def check(self, data: JSONBody[HolderCheckIn], runtime: Shared) -> HolderCheckOut:
        """Does this name and ID number belong to the certificate's holder? Answers only yes or no; 429 once the
        certificate's failed attempts reach LEDGER_HOLDER_CHECK_FAILURES within the window."""
        found = await answer(runtime, data.code, data.name, data.id_number)
        if found == "refused":
            raise HTTPException(status_code=429, detail=REFUSED)
        return HolderCheckOut(found == "match")

    @get("/check", include_in_schema=False)
    async def holder_form(self, lang: str | None = None, code: str = "") -> Template:
        """The holder check's form: the code, the full name and the ID number, checked together."""
        return html_page(CHECK, page_context(language(lang), "/check", code=code[:40], answer=None))

    @post("/check", status_code=200, include_in_schema=False)
    async def check_page(
        self, data: Annotated[HolderForm, Body(media_type=RequestEncodingType.URL_ENCODED)], runtime: Shared
    ) -> Template:
        """The form's answer, in the page's language: yes, no (never which field), or refused for now. A match
        opens the holder's share links (api/certificates/shares.py) under a signed 15-minute proof."""
        lang = language(data.lang)
        found = await answer(runtime, data.code, data.name, data.id_number)
        status = {"match": 200, "no_match": 200, "refused": 429}[found]
        view = await verification.verify(runtime.pool, data.code) if found == "match" else None
        panel = await holder_panel(runtime, view.certificate_id, lang) if view is not None else {}
        return html_page(CHECK, page_context(lang, "/check", code=data.code, answer=found, **panel), status)
