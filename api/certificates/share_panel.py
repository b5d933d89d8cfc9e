"""What a holder who passed the holder check may do next on the page: see the certificate's active share links,
revoke one, make a new one.

Between the check and these actions the page carries a *holder proof*: the certificate's id and the time of the
check, signed (itsdangerous, HMAC-SHA256 under a key derived from LEDGER_LOOKUP_KEY) and valid for
`PROOF_SECONDS`. It is never the ID number. The forms are public and have no session, so the proof is also their
anti-forgery token: a page on another site cannot know it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from itsdangerous import BadData, TimestampSigner, URLSafeTimedSerializer

from api.deps import Runtime
from api.i18n import catalogue
from ledger import clock
from ledger.certificates import sharing
from ledger.people.pii import PiiVault

PROOF_SECONDS = 15 * 60
DEFAULT_DAYS = 30


class _ClockedSigner(TimestampSigner):
    """Signatures timed by `ledger.clock`, the clock every expiry in the service is decided by."""

    def get_timestamp(self) -> int:
        return int(clock.now().timestamp())


def _serializer(vault: PiiVault) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        vault.lookup_hash("holder_proof", "key"),
        salt="skills-ledger holder proof",
        signer=_ClockedSigner,
        signer_kwargs={"digest_method": hashlib.sha256},
    )


def make_proof(vault: PiiVault, certificate_id: int) -> str:
    """The signed proof that the holder of `certificate_id` passed the check now."""
    return str(_serializer(vault).dumps(certificate_id))


def read_proof(vault: PiiVault, proof: str) -> int | None:
    """The certificate id a proof was made for, or None when it is forged, malformed or older than 15 minutes."""
    try:
        value = _serializer(vault).loads(proof[:200], max_age=PROOF_SECONDS)
    except BadData:
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def share_url(runtime: Runtime, token: str) -> str:
    return f"{runtime.settings.public_base_url}/s/{token}"


def expiry_text(moment: dt.datetime) -> str:
    """An expiry as the holder and the reader see it: China time, to the minute, e.g. 2026-03-01 14:05 UTC+8."""
    return f"{moment.astimezone(clock.CHINA):%Y-%m-%d %H:%M} UTC+8"


@dataclass(frozen=True, slots=True)
class ShareRow:
    id: int
    purpose: str
    expires: str


async def holder_panel(runtime: Runtime, certificate_id: int, lang: str, **more: object) -> dict[str, object]:
    """The part of the check page a holder gets after a match: a fresh proof, the active shares, the form.
    `more` carries a notice (created, revoked, limit, invalid, not_valid) and the new link, shown once."""
    async with runtime.sessionmaker() as session:
        shares = await sharing.active_shares(session, certificate_id)
    t = catalogue(lang)
    return {
        "proof": make_proof(runtime.vault, certificate_id),
        "shares": [ShareRow(s.id, s.purpose, expiry_text(s.expires_at)) for s in shares],
        "share_limit": sharing.MAX_ACTIVE,
        "max_days": sharing.MAX_DAYS,
        "default_days": DEFAULT_DAYS,
        "limit_text": t["share.limit_detail"].replace("{n}", str(sharing.MAX_ACTIVE)),
        "notice": None,
        "new_link": None,
        "purpose": "",
        **more,
    }
