"""Runtime settings, read once by the composition root (never at import time)."""

from __future__ import annotations

import base64
import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path


def _b64key(raw: str | None) -> bytes | None:
    if not raw:
        return None
    key = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    if len(key) != 32:
        raise ValueError("secret keys must be 32 bytes, base64url encoded")
    return key


@dataclass(frozen=True)
class Settings:
    """Everything that differs between a laptop demo, the test suite and production.

    With `database_url` unset the server runs a private PostgreSQL (pgserver) in `data_dir / "pg"`.
    Secret keys unset are generated once and kept in `data_dir / "secrets"` (mode 0600).
    """

    database_url: str | None = None
    data_dir: Path = Path(".ledger-data")
    public_base_url: str = "http://127.0.0.1:8000"
    pii_key: bytes | None = None  # AES-256-GCM key for ID numbers and phones
    lookup_key: bytes | None = None  # HMAC-SHA256 key for ID lookup and de-duplication
    ledger_origin: str = "skills-ledger.example/xinjiang"
    max_body_bytes: int = 16 * 1024 * 1024
    max_batch_rows: int = 10_000
    db_pool_size: int = 10
    pdf_signing: str = "none"  # none | demo | files (LEDGER_PDF_SIGNING_CERT and LEDGER_PDF_SIGNING_KEY)
    pdf_signing_cert: Path | None = None
    pdf_signing_key: Path | None = None
    status_list_ttl_seconds: int = 60
    verify_rate_per_minute: int = 600
    holder_check_rate_per_minute: int = 5
    checkpoint_every_entries: int = 1_000
    checkpoint_every_seconds: float = 60.0
    checkpoint_poll_seconds: float = 5.0
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        base = cls()
        return replace(
            base,
            database_url=env.get("LEDGER_DATABASE_URL") or None,
            data_dir=Path(env.get("LEDGER_DATA_DIR", str(base.data_dir))),
            public_base_url=env.get("LEDGER_PUBLIC_BASE_URL", base.public_base_url).rstrip("/"),
            pii_key=_b64key(env.get("LEDGER_PII_KEY")),
            lookup_key=_b64key(env.get("LEDGER_LOOKUP_KEY")),
            ledger_origin=env.get("LEDGER_ORIGIN", base.ledger_origin),
            max_body_bytes=int(env.get("LEDGER_MAX_BODY_BYTES", base.max_body_bytes)),
            db_pool_size=int(env.get("LEDGER_DB_POOL_SIZE", base.db_pool_size)),
            pdf_signing=env.get("LEDGER_PDF_SIGNING", "files" if env.get("LEDGER_PDF_SIGNING_CERT") else "none"),
            pdf_signing_cert=Path(env["LEDGER_PDF_SIGNING_CERT"]) if env.get("LEDGER_PDF_SIGNING_CERT") else None,
            pdf_signing_key=Path(env["LEDGER_PDF_SIGNING_KEY"]) if env.get("LEDGER_PDF_SIGNING_KEY") else None,
            verify_rate_per_minute=int(env.get("LEDGER_VERIFY_RATE_PER_MINUTE", base.verify_rate_per_minute)),
            holder_check_rate_per_minute=int(
                env.get("LEDGER_HOLDER_CHECK_RATE_PER_MINUTE", base.holder_check_rate_per_minute)
            ),
        )

    def with_secrets(self) -> Settings:
        """Fill unset secret keys from `data_dir/secrets`, creating them on first use."""
        if self.pii_key and self.lookup_key:
            return self
        folder = self.data_dir / "secrets"
        folder.mkdir(parents=True, exist_ok=True)

        def load(name: str) -> bytes:
            path = folder / name
            if not path.exists():
                path.write_bytes(secrets.token_bytes(32))
                path.chmod(0o600)
            return path.read_bytes()

        return replace(
            self,
            pii_key=self.pii_key or load("pii.key"),
            lookup_key=self.lookup_key or load("lookup.key"),
        )
