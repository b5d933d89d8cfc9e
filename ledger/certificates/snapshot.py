"""The frozen content of a certificate: fixed at issue, rendered later, never recomputed."""

from __future__ import annotations

import datetime as dt

import msgspec

TEMPLATE_VERSION = "2026.2"  # 2026.1: one signed QR code; 2026.2: an address code and a signed code


class CertificateSnapshot(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Everything printed on a certificate. No plaintext ID number: `id_number_display` is already masked.

    `qr_text` is the exact upper-case URL `<PUBLIC_BASE>/V/<CODE>/<TOKEN>` signed at issue, so that
    rendering the same snapshot twice gives the same bytes.
    """

    template_version: str
    kind: str  # skill_level | training | graduation | special_ability | legacy_qualification
    number: str
    verification_code: str
    holder_name: str
    id_type: str  # 居民身份证
    id_number_display: str  # e.g. 650102********1239
    occupation_code: str
    occupation_name: str
    work_type: str  # "" is printed as "--"
    level: int | None  # 5..1 for skill_level, None otherwise
    level_text: str  # "三级/高级工", "" when not a level certificate
    level_text_en: str
    issuer_name: str
    issuer_code: str
    issued_on: dt.date
    course_name: str
    course_hours: int | None
    qr_text: str
