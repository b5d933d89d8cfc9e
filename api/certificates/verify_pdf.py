"""`ledger verify-pdf FILE`: what a careful employer does with a certificate PDF, in one command.

Rasterise every page (pypdfium2, 150 dpi), decode the QR codes (zxing-cpp; a page of template 2026.2 has two, the
address code `<BASE>/V/<CODE>` and the signed code, and only the signed one is checked), verify each token's COSE_Sign1
signature against the published keys (fetched from the QR's server, or a JWKS file for offline use), and, when
online, ask the server for the live status.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
import zxingcpp

from certificates.token import TokenError, public_key_from_jwk, verify_token


@dataclass
class QrCheck:
    page: int
    url: str
    signature_ok: bool
    code: str | None
    detail: str
    live_status: str | None = None


def qr_texts(pdf: Path, dpi: int = 150) -> list[tuple[int, str]]:
    document = pdfium.PdfDocument(pdf)
    try:
        found = []
        for number, page in enumerate(document, start=1):
            image = page.render(scale=dpi / 72, grayscale=True).to_pil()
            for barcode in zxingcpp.read_barcodes(image):
                if barcode.format == zxingcpp.BarcodeFormat.QRCode:
                    found.append((number, barcode.text))
        return found
    finally:
        document.close()


def _server_of(url: str) -> str:
    base = url.rsplit("/V/", 1)[0]
    return base.lower()


def _get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - the QR's own http(s) server
        return json.loads(response.read())


def _address_of_a_signed_code(page: int, url: str, found: list[tuple[int, str]]) -> bool:
    """Whether `url` is the address code (`<BASE>/V/<CODE>`, template 2026.2 on) printed beside a signed code."""
    return any(other == page and text.startswith(f"{url}/") for other, text in found)


def check_pdf(pdf: Path, jwks_file: Path | None = None, online: bool = True) -> list[QrCheck]:
    results = []
    found = qr_texts(pdf)
    for page, url in found:
        if "/V/" not in url:
            results.append(QrCheck(page, url, False, None, "not a Skills Ledger verification QR code"))
            continue
        if "/" not in url.rsplit("/V/", 1)[1]:
            if not _address_of_a_signed_code(page, url, found):
                results.append(QrCheck(page, url, False, None, "an address QR code without a signed code beside it"))
            continue
        server = _server_of(url)
        code, token = url.rsplit("/V/", 1)[1].split("/", 1)
        try:
            jwks = json.loads(jwks_file.read_text()) if jwks_file else _get_json(f"{server}/.well-known/jwks.json")
            keys = {k["kid"]: public_key_from_jwk(k) for k in jwks["keys"]}
            claims = verify_token(token, keys)
        except (TokenError, KeyError, ValueError) as exc:
            results.append(QrCheck(page, url, False, code, f"signature does not verify: {exc}"))
            continue
        except urllib.error.URLError as exc:
            results.append(QrCheck(page, url, False, code, f"cannot fetch the published keys: {exc.reason}"))
            continue
        ok = claims.code == code
        detail = (
            f"{claims.kind} level={claims.level} occupation={claims.occupation_code} issued={claims.issued_on} "
            f"holder={claims.masked_name} issuer={claims.issuer_code}"
        )
        check = QrCheck(page, url, ok, code, detail if ok else "the token names another code")
        if online and ok:
            try:
                check.live_status = _get_json(f"{server}/api/v1/verify/{code}")["status"]
            except urllib.error.HTTPError as exc:
                check.live_status = "unknown" if exc.code == 404 else f"error {exc.code}"
            except urllib.error.URLError:
                check.live_status = "offline"
        results.append(check)
    return results
