"""The public verification pages: what each template under `templates/verification/` is given.

Every page has a state (`data-status` on its status block): valid | revoked | suspended | superseded for a
certificate's live status, invalid_qr when a scanned QR's signature does not verify (the registry's record may
follow, labelled as such, but the page never leads with 有效), not_found for any code that names nothing. The words
come from the language's catalogue (`api/i18n.py`); values that are data (names, institutions, occupations) stay
as registered, in their own script, and dates and numbers are isolated left to right so that they read correctly
inside Uyghur's right-to-left text.
"""

from __future__ import annotations

from dataclasses import dataclass

from api.i18n import catalogue, languages
from ledger.certificates.verification import Verification

CERTIFICATE = "verification/certificate.html"
UNKNOWN = "verification/unknown.html"
HOME = "verification/home.html"
CHECK = "verification/check.html"
SHARE = "verification/share.html"


@dataclass(frozen=True, slots=True)
class Row:
    """One field of the certificate: `script` is "ltr" for codes, numbers and dates (isolated left to right),
    "zh" for registered Chinese text shown as it is, "" for text in the page's language."""

    label: str
    value: str
    script: str = ""


def page_context(lang: str, path: str, **more: object) -> dict[str, object]:
    """What every public page needs: its language, its words, the language links (to `path`)."""
    return {"lang": lang, "t": catalogue(lang), "path": path, "languages": languages(), **more}


def unknown_context(lang: str, path: str) -> dict[str, object]:
    return page_context(lang, path, state="not_found")


def level_text(view: Verification, lang: str) -> str:
    snapshot = view.snapshot
    if snapshot.level is None:
        return ""
    return catalogue(lang)[f"level.{snapshot.level}"]


def certificate_rows(view: Verification, lang: str, *, full_name: bool = False) -> list[Row]:
    """The certificate's public fields; the holder masked, or in full on a page the holder shared."""
    t = catalogue(lang)
    snapshot = view.snapshot
    data = "" if lang == "zh" else "zh"
    level = level_text(view, lang)
    return [
        Row(t["field.holder"], snapshot.holder_name if full_name else view.masked_holder, data),
        Row(t["field.occupation"], snapshot.occupation_name, data),
        Row(t["field.occupation_code"], snapshot.occupation_code, "ltr"),
        Row(t["field.work_type"], snapshot.work_type or "--", data),
        *([Row(t["field.level"], level)] if level else []),
        Row(t["field.number"], snapshot.number, "ltr"),
        Row(t["field.issuer"], snapshot.issuer_name, data),
        Row(t["field.issued_on"], snapshot.issued_on.isoformat(), "ltr"),
        Row(t["field.code"], snapshot.verification_code, "ltr"),
    ]


def certificate_context(view: Verification, lang: str, path: str, token_ok: bool | None) -> dict[str, object]:
    """What `verification/certificate.html` shows; `token_ok` is None where no QR token was scanned, False where
    the scanned token's signature does not verify (or it names another certificate): the page is then invalid_qr."""
    t = catalogue(lang)
    return page_context(
        lang,
        path,
        state="invalid_qr" if token_ok is False else view.status,
        view=view,
        record_status=t[f"status.{view.status}"],
        kind_text=t[f"kind.{view.snapshot.kind}"],
        rows=certificate_rows(view, lang),
        token_ok=token_ok,
    )
