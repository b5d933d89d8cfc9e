"""PAdES signatures: pyHanko's own validator accepts them when the demo certificate is trusted, and only then."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from pyhanko.keys import load_certs_from_pemder_data
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from certificates.pdf import render_pdf
from certificates.signing import (
    SigningCredentials,
    demo_credentials,
    load_credentials,
    make_signer,
    sign_pdf,
)
from ledger.certificates.snapshot import TEMPLATE_VERSION, CertificateSnapshot


@pytest.fixture(scope="module")
def credentials() -> SigningCredentials:
    return demo_credentials()


@pytest.fixture(scope="module")
def unsigned() -> bytes:
    return render_pdf(
        CertificateSnapshot(
            template_version=TEMPLATE_VERSION,
            kind="training",
            number="XJTR2026000123K",
            verification_code="7KQ4M2XPRD9WTB3H",
            holder_name="张三明",
            id_type="居民身份证",
            id_number_display="650102********1239",
            occupation_code="6-18-01-01",
            occupation_name="车工",
            work_type="",
            level=None,
            level_text="",
            level_text_en="",
            issuer_name="乌鲁木齐职业技能培训学校",
            issuer_code="T65010001",
            issued_on=dt.date(2026, 1, 5),
            course_name="车工技能培训",
            course_hours=80,
            qr_text="HTTPS://LEDGER.EXAMPLE/V/7KQ4M2XPRD9WTB3H/ABCDEFGH",
        )
    )


def validate(pdf: bytes, trusted: SigningCredentials) -> object:
    (signature,) = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    roots = list(load_certs_from_pemder_data(trusted.certificate_pem))
    return validate_pdf_signature(signature, ValidationContext(trust_roots=roots))


def test_pades_signature_validates_against_the_trusted_demo_certificate(
    credentials: SigningCredentials, unsigned: bytes
) -> None:
    signed = sign_pdf(unsigned, make_signer(credentials))
    assert signed.startswith(unsigned)  # an incremental update: the rendered bytes are untouched
    status = validate(signed, credentials)
    assert status.bottom_line and status.intact and status.valid and status.trusted
    assert status.coverage.name == "ENTIRE_FILE"
    assert b"/ETSI.CAdES.detached" in signed


def test_signature_by_an_untrusted_certificate_is_not_trusted(credentials: SigningCredentials, unsigned: bytes) -> None:
    signed = sign_pdf(unsigned, make_signer(demo_credentials(common_name="someone else")))
    status = validate(signed, credentials)
    assert status.intact and not status.trusted and not status.bottom_line


def test_a_changed_byte_breaks_the_signature(credentials: SigningCredentials, unsigned: bytes) -> None:
    signed = bytearray(sign_pdf(unsigned, make_signer(credentials)))
    position = signed.index(b"/Title")
    signed[position + 1 : position + 6] = b"Xitle"
    status = validate(bytes(signed), credentials)
    assert not status.intact and not status.bottom_line


def test_credentials_load_from_pem_files(tmp_path: Path, credentials: SigningCredentials, unsigned: bytes) -> None:
    (tmp_path / "cert.pem").write_bytes(credentials.certificate_pem)
    (tmp_path / "key.pem").write_bytes(credentials.private_key_pem)
    loaded = load_credentials(tmp_path / "cert.pem", tmp_path / "key.pem")
    assert validate(sign_pdf(unsigned, make_signer(loaded)), credentials).bottom_line
    with pytest.raises(ValueError):
        make_signer(SigningCredentials(certificate_pem=b"", private_key_pem=credentials.private_key_pem))
