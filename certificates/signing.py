"""PAdES signatures on certificate PDFs, with pyHanko.

`sign_pdf` appends a PAdES B-B signature (ETSI.CAdES.detached, SHA-256, invisible field) as an incremental
update, so the rendered bytes stay intact in front of it. The signature is NOT byte-reproducible: it records
the signing time, and pyHanko gives the updated file a fresh random second /ID. Sign once at issue and store
the signed bytes; a re-download then serves those stored bytes (identical every time), and the unsigned
rendering stays reproducible from the snapshot for audits.

pyHanko runs its own event loop (`asyncio.run`) inside `sign_pdf`: call it from a worker thread (as the API does
for all of `certificates`), never from a coroutine on the server's loop.

The signing credential is an X.509 certificate and key (PEM), separate from the Ed25519 key of the QR tokens.
`demo_credentials` makes a self-signed ECDSA P-256 one for the demo and tests; production loads the bureau's.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.keys import load_certs_from_pemder_data, load_private_key_from_pemder_data
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

SIGNATURE_FIELD = "LedgerSignature"


@dataclass(frozen=True, slots=True)
class SigningCredentials:
    """A PEM certificate (then any intermediate certificates) and its PEM private key."""

    certificate_pem: bytes
    private_key_pem: bytes
    passphrase: bytes | None = None


def demo_credentials(
    common_name: str = "Skills Ledger demo signing certificate",
    organization: str = "Skills Ledger demo",
    valid_days: int = 3650,
) -> SigningCredentials:
    """A fresh self-signed ECDSA P-256 certificate fit for document signing (demo and tests only)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=valid_days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return SigningCredentials(
        certificate_pem=certificate.public_bytes(serialization.Encoding.PEM),
        private_key_pem=key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
    )


def load_credentials(
    certificate_path: Path, private_key_path: Path, passphrase: bytes | None = None
) -> SigningCredentials:
    """Read a PEM certificate (chain) and PEM private key from files."""
    return SigningCredentials(
        certificate_pem=certificate_path.read_bytes(),
        private_key_pem=private_key_path.read_bytes(),
        passphrase=passphrase,
    )


def make_signer(credentials: SigningCredentials) -> Any:
    """A pyHanko signer for `sign_pdf`; the first certificate in the PEM is the signer's, the rest its chain."""
    certificates = list(load_certs_from_pemder_data(credentials.certificate_pem))
    if not certificates:
        raise ValueError("no certificate in the signing certificate PEM")
    key = load_private_key_from_pemder_data(credentials.private_key_pem, passphrase=credentials.passphrase)
    chain = SimpleCertificateStore()
    chain.register_multiple(certificates[1:])
    return signers.SimpleSigner(signing_cert=certificates[0], signing_key=key, cert_registry=chain)


def sign_pdf(pdf_bytes: bytes, signer: Any, *, reason: str = "证书签发 Certificate issued") -> bytes:
    """`pdf_bytes` plus an invisible PAdES B-B signature by `signer` (from `make_signer`)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes))
    metadata = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
    )
    output = signers.PdfSigner(metadata, signer=signer).sign_pdf(writer)
    return bytes(output.getbuffer())
