"""Certificates as verifiable credentials (docs/credentials.md): the OpenBadgeCredential of a certificate as a
VC-JWT for its institution and, through a share link, for its holder; each issuer's Profile and its signed
Bitstring Status List, public like the published keys."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Annotated, Literal

from litestar import Controller, Response, get
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import DbSession, OwnInstitution, Runtime, Shared
from api.guards import PUBLIC, institution_key
from certificates import credentials as vc
from certificates import sd_jwt
from ledger import clock
from ledger.certificates import credentials, sharing
from ledger.certificates import status as certificate_status
from ledger.errors import Conflict, NotFound
from ledger.tenancy.signing_keys import ActiveKey, active_key

Format = Literal["vc", "sd-jwt"]
FORMAT = Parameter(
    description="`vc`: an Open Badges 3.0 VC-JWT (`application/vc+jwt`); `sd-jwt`: an SD-JWT VC "
    "(`application/dc+sd-jwt`) whose name, level and number the holder may disclose one by one"
)
NOT_VALID = "证书不是有效状态，不提供可验证凭证。 The certificate is not valid; no verifiable credential is served."


async def _key(runtime: Runtime, session: AsyncSession) -> ActiveKey:
    key = await active_key(session, runtime.vault, "certificate")
    await session.commit()  # the first use of the app creates (and logs) the key
    return key


async def _signed(runtime: Runtime, session: AsyncSession, payload: dict) -> str:
    key = await _key(runtime, session)
    return vc.sign_credential(payload, key.private_key, key.kid, runtime.settings.public_base_url)


async def signed_credential(
    runtime: Runtime, session: AsyncSession, source: credentials.CredentialSource, output: Format = "vc"
) -> Response[str]:
    """The certificate as a file for a wallet, signed now with the current certificate key: an OpenBadgeCredential
    (the same bytes on every download while the key stands) or an SD-JWT VC (fresh salts every time)."""
    base = runtime.settings.public_base_url
    s = source.snapshot
    if output == "sd-jwt":
        key = await _key(runtime, session)
        token = sd_jwt.sd_jwt_vc(
            s, public_base=base, status_index=source.status_index, key=key.private_key, kid=key.kid
        )
        return _file(token, sd_jwt.MEDIA_TYPE, f"certificate-{s.verification_code}.sd-jwt")
    subject = vc.holder_id(source.holder_pseudonym)
    credential = vc.open_badge(s, public_base=base, subject_id=subject, status_index=source.status_index)
    token = await _signed(runtime, session, credential)
    return _file(token, vc.MEDIA_TYPE, f"certificate-{s.verification_code}.jwt")


def _file(token: str, media_type: str, filename: str) -> Response[str]:
    return Response(
        token,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


class CertificateCredentialController(Controller):
    path = "/api/v1/certificates"
    tags = ["certificates"]
    guards = [institution_key]

    @get("/{number:str}/credential", media_type=vc.MEDIA_TYPE)
    async def credential(
        self,
        number: str,
        db_session: DbSession,
        institution_id: OwnInstitution,
        runtime: Shared,
        output: Annotated[Format, FORMAT] = "vc",
    ) -> Response[str]:
        """The certificate as an Open Badges 3.0 OpenBadgeCredential (W3C VC 2.0) secured as a VC-JWT
        (`application/vc+jwt`, EdDSA; the `kid` names a key of /.well-known/jwks.json). The holder is named, never
        identified by the ID number. `?output=sd-jwt`: the same as an SD-JWT VC. Only a valid certificate is served
        (409 otherwise)."""
        certificate = await certificate_status.certificate_of(db_session, institution_id, number)
        certificate_status.require_printable(certificate, ("可验证凭证", "verifiable credential"))
        return await signed_credential(runtime, db_session, credentials.source_of(certificate, runtime.vault), output)


async def _issuer(runtime: Runtime, code: str) -> credentials.Issuer:
    found = await credentials.issuer(runtime.pool, code)
    if found is None:
        raise NotFound("没有这个发证机构。 No such issuer.")
    return found


class IssuerController(Controller):
    """What a wallet or verifier fetches about an issuer: its Profile and its status list."""

    path = "/api/v1/issuers"
    tags = ["public"]
    opt = PUBLIC

    @get("/{code:str}")
    async def profile(self, code: str, runtime: Shared) -> dict[str, object]:
        """The issuing institution as an Open Badges 3.0 Profile: the `issuer` of its credentials."""
        found = await _issuer(runtime, code)
        return {
            "@context": [vc.VC_CONTEXT, vc.OB_CONTEXT],
            **vc.issuer_profile(runtime.settings.public_base_url, found.code, found.name),
        }

    @get("/{code:str}/status-list", media_type=vc.MEDIA_TYPE)
    async def status_list(self, code: str, runtime: Shared, db_session: DbSession) -> str:
        """The issuer's BitstringStatusListCredential as a VC-JWT: two bits per certificate at its
        `statusListIndex` (0 valid, 1 revoked, 2 suspended, 3 superseded), gzip, multibase base64url. Signed anew
        at most every `LEDGER_STATUS_LIST_TTL_SECONDS` and at once after a status change."""
        found = await _issuer(runtime, code)
        cache = runtime.status_list
        name = f"bitstring:{found.code}"
        cached = await cache.fresh(name)
        if cached is not None:
            return cached
        statuses = [(i, vc.STATUS_VALUES[s]) for i, s in await credentials.issuer_statuses(runtime.pool, found.code)]
        # 4 MiB of bits to gzip (tens of milliseconds): off the event loop
        encoded = await asyncio.to_thread(vc.encoded_list, statuses, credentials.STATUS_LIST_ENTRIES)
        now = clock.now().astimezone(dt.UTC).replace(microsecond=0)
        base = runtime.settings.public_base_url
        payload = vc.status_list_credential(base, found.code, encoded, now=now, ttl_seconds=cache.ttl)
        token = await _signed(runtime, db_session, payload)
        await cache.keep(token, name)
        return token


class SharedCredentialController(Controller):
    path = ""
    tags = ["public"]
    opt = PUBLIC
    include_in_schema = False

    @get("/s/{token:str}/credential", media_type=vc.MEDIA_TYPE)
    async def credential(
        self, token: str, runtime: Shared, db_session: DbSession, output: Annotated[Format, FORMAT] = "vc"
    ) -> Response[str]:
        """The shared certificate's OpenBadgeCredential, for the holder's wallet: what the institution gets, while
        the share link lives and the certificate is valid (404 for a dead link, 409 for a certificate not valid)."""
        found = await sharing.open_share(runtime.pool, token)
        if found is None:
            raise NotFound("没有这个有效的分享链接。 No such active share link.")
        source = await credentials.source_by_id(runtime.pool, runtime.vault, found.view.certificate_id)
        if source is None:
            raise NotFound("没有这个有效的分享链接。 No such active share link.")
        if source.status != "valid":
            raise Conflict(NOT_VALID)
        return await signed_credential(runtime, db_session, source, output)
