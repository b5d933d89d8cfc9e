"""Public verification, no login: the page a QR code opens, the same as JSON, the holder check, the published keys
and the signed status list. Rate limits keyed on the client address protect all of them; the holder check
strictly."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import msgspec
from litestar import Controller, get
from litestar.response import Redirect, Template

from api.certificates.pages import CERTIFICATE, HOME, UNKNOWN, certificate_context, page_context, unknown_context
from api.certificates.status_list import status_list_token
from api.deps import Runtime, Shared
from api.guards import PUBLIC
from api.i18n import language
from api.problems import RETRY_AFTER
from certificates.token import TokenError, public_jwk, verify_token
from ledger.certificates import verification
from ledger.errors import NotFound
from ledger.tenancy.signing_keys import active_key, published_keys


class VerificationOut(msgspec.Struct):
    code: str
    status: str  # valid | suspended | revoked | superseded
    status_reason_code: str | None  # one of the fixed reason codes (docs/verification.md)
    status_reason: str | None  # free text beside it
    status_effective_on: dt.date | None
    superseded_by: str | None
    kind: str
    number: str
    holder: str  # masked
    occupation_code: str
    occupation_name: str
    work_type: str
    level: int | None
    level_text: str
    issuer: str
    issuer_code: str
    issued_on: dt.date
    status_list_index: int
    ledger: str


class Jwks(msgspec.Struct):
    keys: list[dict[str, str]]


async def _keys(runtime: Runtime) -> dict:
    async with runtime.sessionmaker() as session:
        return await published_keys(session, "certificate")


def html_page(template: str, context: dict[str, object], status: int = 200) -> Template:
    return Template(
        template,
        context=context,
        status_code=status,
        headers={
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
            **({"Retry-After": RETRY_AFTER[429]} if status == 429 else {}),
        },
    )


class VerifyPageController(Controller):
    path = ""
    tags = ["public"]
    opt = PUBLIC
    include_in_schema = False

    @get("/")
    async def home(self, lang: str | None = None) -> Template:
        """The verification home, the address a certificate prints: a box for the code as printed."""
        return html_page(HOME, page_context(language(lang), "/"))

    @get("/v")
    async def typed(self, runtime: Shared, code: str = "", lang: str | None = None) -> Template | Redirect:
        """The home's form: a typed code goes to its certificate's page, anything else to the not-found page."""
        chosen = language(lang)
        view = await verification.verify(runtime.reads, code[:64])
        if view is None:
            return html_page(UNKNOWN, unknown_context(chosen, "/"), 404)
        return Redirect(f"/v/{view.snapshot.verification_code}?lang={chosen}", status_code=303)

    @get(["/v/{code:str}", "/V/{code:str}"])
    async def page(self, code: str, runtime: Shared, lang: str | None = None) -> Template:
        chosen = language(lang)
        view = await verification.verify(runtime.reads, code)
        if view is None:
            return html_page(UNKNOWN, unknown_context(chosen, "/"), 404)
        path = f"/v/{view.snapshot.verification_code}"
        return html_page(CERTIFICATE, certificate_context(view, chosen, path, None))

    @get(["/V/{code:str}/{token:str}", "/v/{code:str}/{token:str}"])
    async def scanned(self, code: str, token: str, runtime: Shared, lang: str | None = None) -> Template:
        """What a scanned QR code opens: the live status if the QR's own signature verifies, the red invalid_qr
        state (with the registry's record under it) if it does not."""
        chosen = language(lang)
        view = await verification.verify(runtime.reads, code)
        if view is None:
            return html_page(UNKNOWN, unknown_context(chosen, "/"), 404)
        try:
            claims = verify_token(token.upper(), await _keys(runtime))
            token_ok = claims.code == view.snapshot.verification_code
        except TokenError:
            token_ok = False
        # the language links keep the token, so that switching language never turns invalid_qr into 有效
        path = f"/V/{view.snapshot.verification_code}/{quote(token, safe='')}"
        return html_page(CERTIFICATE, certificate_context(view, chosen, path, token_ok))


class VerifyApiController(Controller):
    path = ""
    tags = ["public"]
    opt = PUBLIC

    @get("/api/v1/verify/{code:str}", summary="Verify a certificate by its verification code (核验)")
    async def verify(self, code: str, runtime: Shared) -> VerificationOut:
        """The live status and public fields of a certificate, by its verification code."""
        view = await verification.verify(runtime.reads, code)
        if view is None:
            raise NotFound("no certificate with this verification code")
        s = view.snapshot
        return VerificationOut(
            code=s.verification_code,
            status=view.status,
            status_reason_code=view.reason_code or None,
            status_reason=view.reason or None,
            status_effective_on=view.effective_on,
            superseded_by=view.successor_code,
            kind=s.kind,
            number=s.number,
            holder=view.masked_holder,
            occupation_code=s.occupation_code,
            occupation_name=s.occupation_name,
            work_type=s.work_type,
            level=s.level,
            level_text=s.level_text,
            issuer=s.issuer_name,
            issuer_code=s.issuer_code,
            issued_on=s.issued_on,
            status_list_index=view.status_index,
            ledger=f"/api/v1/ledger/certificates/{s.verification_code}",
        )


class PublishedKeysController(Controller):
    """What verifiers fetch and cache: the keys and the status list (their own rate limit)."""

    path = ""
    tags = ["public"]
    opt = PUBLIC

    @get(
        "/.well-known/jwks.json",
        summary="Published certificate signing keys (JWKS)",
        media_type="application/jwk-set+json",
    )
    async def jwks(self, runtime: Shared) -> Jwks:
        """Ed25519 public keys (OKP JWKs) that sign QR tokens and the status list, old ones included."""
        return Jwks([public_jwk(kid, key) for kid, key in (await _keys(runtime)).items()])

    @get("/api/v1/status-list", summary="The signed certificate status list", media_type="application/statuslist+jwt")
    async def status_list(self, runtime: Shared) -> str:
        """The signed revocation list (see api/status_list.py for its format)."""
        cached = await runtime.status_list.fresh()
        if cached is not None:
            return cached
        bits = await verification.status_bits(runtime.pool)
        async with runtime.sessionmaker() as session:
            key = await active_key(session, runtime.vault, "certificate")
            await session.commit()
        token = status_list_token(
            bits, key, f"{runtime.settings.public_base_url}/api/v1/status-list", runtime.status_list.ttl
        )
        await runtime.status_list.keep(token)
        return token
