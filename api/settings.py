"""The web process's settings: what only the HTTP server needs, around the domain's settings.

Read once by the `ledger serve` command (or a test) and handed to `create_app(settings)`; docs/configuration.md
lists every variable.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from ledger.settings import SettingError, Settings, env, read_env
from ledger.statistics.report import PUBLISH_K

PdfSigning = Literal["none", "demo", "files"]
LogFormat = Literal["json", "text"]


@dataclass(frozen=True)
class WebSettings:
    """The HTTP server's settings; `domain` holds the domain's, which the server hands on to the services."""

    domain: Settings = field(default_factory=Settings)
    public_base_url: str = env("LEDGER_PUBLIC_BASE_URL", "http://127.0.0.1:8000")  # the base of every QR URL
    max_body_bytes: int = env("LEDGER_MAX_BODY_BYTES", 16 * 1024 * 1024, at_least=1)
    log_format: LogFormat = env("LEDGER_LOG_FORMAT", "json")  # how `ledger serve` writes its log (docs/operations.md)
    max_json_depth: int = env("LEDGER_MAX_JSON_DEPTH", 32, at_least=2)  # deeper JSON bodies get 400 before decoding
    db_pool_size: int = env("LEDGER_DB_POOL_SIZE", 10, at_least=1)  # each of the ORM pool and the lean read pool
    # public verification reads from this streaming replica while it is at most read_max_lag_seconds behind
    read_database_url: str | None = env("LEDGER_READ_DATABASE_URL", None)
    read_max_lag_seconds: float = env("LEDGER_READ_MAX_LAG_SECONDS", 5.0, at_least=0.5)
    verify_rate_per_minute: int = env("LEDGER_VERIFY_RATE_PER_MINUTE", 600, at_least=1)  # the JSON answer
    page_rate_per_minute: int = env("LEDGER_PAGE_RATE_PER_MINUTE", 600, at_least=1)  # the public pages
    keys_rate_per_minute: int = env("LEDGER_KEYS_RATE_PER_MINUTE", 120, at_least=1)  # JWKS and the status list
    holder_check_rate_per_minute: int = env("LEDGER_HOLDER_CHECK_RATE_PER_MINUTE", 5, at_least=1)
    holder_check_failures: int = env("LEDGER_HOLDER_CHECK_FAILURES", 5, at_least=1)  # per certificate and window
    holder_check_window_hours: int = env("LEDGER_HOLDER_CHECK_WINDOW_HOURS", 24, at_least=1)
    status_list_ttl_seconds: int = env("LEDGER_STATUS_LIST_TTL_SECONDS", 60, at_least=1)
    pdf_signing: PdfSigning = env("LEDGER_PDF_SIGNING", "none")  # files: LEDGER_PDF_SIGNING_CERT and _KEY (PEM)
    pdf_signing_cert: Path | None = env("LEDGER_PDF_SIGNING_CERT", None)
    pdf_signing_key: Path | None = env("LEDGER_PDF_SIGNING_KEY", None)
    idempotency_hours: float = env("LEDGER_IDEMPOTENCY_HOURS", 168.0, at_least=0.01)  # a replayable answer is kept
    housekeeping_seconds: float = env("LEDGER_HOUSEKEEPING_SECONDS", 600.0, at_least=1)  # expired records removed
    metrics_token: str | None = env("LEDGER_METRICS_TOKEN", None)  # set: GET /metrics needs it as a bearer token
    redis_url: str | None = env("LEDGER_REDIS_URL", None)  # rate limits and the status-list cache shared
    trusted_proxies: str | None = env("LEDGER_TRUSTED_PROXIES", None)  # addresses or networks, comma-separated
    import_slots: int = env("LEDGER_IMPORT_SLOTS", 4, at_least=1)  # imports running at once in one process
    import_slots_per_institution: int = env("LEDGER_IMPORT_SLOTS_PER_INSTITUTION", 2, at_least=1)
    publish_k: int = env("LEDGER_PUBLISH_K", PUBLISH_K, at_least=2)  # publication threshold; never per request
    async_import_bytes: int = env("LEDGER_ASYNC_IMPORT_BYTES", 2 * 1024 * 1024, at_least=1)  # larger imports: a job
    max_import_bytes: int = env("LEDGER_MAX_IMPORT_BYTES", 512 * 1024 * 1024, at_least=1)  # an import job's upload
    course_pdf_job_certificates: int = env("LEDGER_COURSE_PDF_JOB_CERTIFICATES", 300, at_least=1)  # more: a job
    cpu_workers: int = env("LEDGER_CPU_WORKERS", 1, at_least=0)  # imports sign and hash in these processes
    job_process: bool = env("LEDGER_JOB_PROCESS", True)  # the job workers in a process of their own
    writer_processes: int = env("LEDGER_WRITER_PROCESSES", 1, at_least=0)  # large batches registered there
    writer_min_rows: int = env("LEDGER_WRITER_MIN_ROWS", 500, at_least=1)  # a batch this large goes to the writer

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> WebSettings:
        """Both layers' settings from the environment. Without LEDGER_PDF_SIGNING, a configured certificate means
        `files`."""
        read = read_env(cls, environ, domain=Settings.from_env(environ))
        if read.pdf_signing == "none" and read.pdf_signing_cert and not _given(environ, "LEDGER_PDF_SIGNING"):
            read = replace(read, pdf_signing="files")
        if read.pdf_signing == "files" and not (read.pdf_signing_cert and read.pdf_signing_key):
            raise SettingError("LEDGER_PDF_SIGNING: 'files' needs LEDGER_PDF_SIGNING_CERT and LEDGER_PDF_SIGNING_KEY")
        if read.trusted_proxies is not None:
            trusted_networks(read.trusted_proxies)  # a bad address stops the process at start, naming the variable
        return replace(read, public_base_url=read.public_base_url.rstrip("/"))

    def with_secrets(self) -> WebSettings:
        return replace(self, domain=self.domain.with_secrets())


def trusted_networks(value: str | None) -> list[str]:
    """LEDGER_TRUSTED_PROXIES as a list of addresses and networks (IPv4 or IPv6, CIDR allowed)."""
    found = []
    for item in (value or "").split(","):
        text = item.strip()
        if not text:
            continue
        try:
            ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise SettingError(f"LEDGER_TRUSTED_PROXIES: expected IP addresses or networks, got {text!r}") from None
        found.append(text)
    return found


def _given(environ: Mapping[str, str] | None, name: str) -> bool:
    return bool((os.environ if environ is None else environ).get(name, "").strip())
