"""The domain's settings, and the one reader that fills any settings class from LEDGER_* variables.

Settings are read once by a composition root (the `ledger` command, `create_app`), never at import time. Each field
names its variable (`env("LEDGER_…")`); its type says how the value is read. docs/configuration.md lists them all.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import os
import secrets
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, TypeVar

S = TypeVar("S")

DEFAULT_MAX_BATCH_ROWS = 10_000
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


class SettingError(ValueError):
    """A LEDGER_* variable holds a value its setting cannot take; the message names the variable and the value."""


def env(name: str, default: Any, *, at_least: float | None = None) -> Any:
    """A settings field read from the variable `name`; unset or empty gives `default`."""
    return dataclasses.field(default=default, metadata={"env": name, "at_least": at_least})


def variable(field: dataclasses.Field) -> str | None:
    return field.metadata.get("env")


def _b64key(raw: str | None) -> bytes | None:
    """A 32-byte secret key written in base64url (padding optional)."""
    if not raw:
        return None
    key = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    if len(key) != 32:
        raise ValueError("secret keys must be 32 bytes, base64url encoded")
    return key


def kind_of(hint: Any) -> tuple[str, Any, bool]:
    """(kind, the type read, whether unset means None) for a field's type: the reader and the docs both use it."""
    optional = False
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        rest = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(rest) != 1:
            raise TypeError(f"a setting cannot be {hint}")
        hint, optional = rest[0], True
    if typing.get_origin(hint) is Literal:
        return "one of " + ", ".join(typing.get_args(hint)), hint, optional
    names = {bool: "true/false", int: "whole number", float: "number", str: "text", Path: "path",
             bytes: "32-byte key, base64url"}  # fmt: skip
    if hint not in names:
        raise TypeError(f"a setting cannot be {hint}")
    return names[hint], hint, optional


def _parse(name: str, raw: str, hint: Any, at_least: float | None) -> Any:
    kind, read, _ = kind_of(hint)
    text = raw.strip()
    value: Any
    if read is bool:
        if text.lower() not in _TRUE + _FALSE:
            raise SettingError(f"{name}: expected true or false, got {raw!r}")
        value = text.lower() in _TRUE
    elif read is int:
        try:
            value = int(text)
        except ValueError:
            raise SettingError(f"{name}: expected a whole number, got {raw!r}") from None
    elif read is float:
        try:
            value = float(text)
        except ValueError:
            raise SettingError(f"{name}: expected a number, got {raw!r}") from None
        if value != value or value in (float("inf"), float("-inf")):
            raise SettingError(f"{name}: expected a finite number, got {raw!r}")
    elif read is bytes:
        try:
            value = _b64key(text)
        except (ValueError, binascii.Error):
            # the value is (meant to be) a secret: say what is wrong with it, never echo it
            raise SettingError(f"{name}: expected 32 random bytes in base64url (43 characters), got "
                               f"{len(text)} characters that are not (not shown: a secret)") from None  # fmt: skip
    elif read is Path:
        value = Path(text)
    elif typing.get_origin(read) is Literal:
        if text not in typing.get_args(read):
            raise SettingError(f"{name}: expected {kind}, got {raw!r}")
        value = text
    else:
        value = text
    if at_least is not None and value < at_least:
        raise SettingError(f"{name}: expected at least {at_least:g}, got {raw!r}")
    return value


def read_env(cls: type[S], environ: Mapping[str, str] | None = None, **given: Any) -> S:
    """An instance of the settings dataclass `cls`: each `env(…)` field from its variable (unset or empty: the
    field's default), the others from `given`. A bad value raises SettingError naming the variable."""
    values = os.environ if environ is None else environ
    hints = typing.get_type_hints(cls)
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        name = variable(field)
        if name is None or field.name in given:
            continue
        raw = values.get(name, "")
        if raw.strip():
            given[field.name] = _parse(name, raw, hints[field.name], field.metadata["at_least"])
    return cls(**given)


@dataclass(frozen=True)
class Settings:
    """What the domain needs, whichever process runs it (the server, the `ledger` command, a test).

    With `database_url` unset the server runs a private PostgreSQL (pgserver) in `data_dir / "pg"`.
    Secret keys unset are generated once and kept in `data_dir / "secrets"` (mode 0600).
    """

    database_url: str | None = env("LEDGER_DATABASE_URL", None)
    data_dir: Path = env("LEDGER_DATA_DIR", Path(".ledger-data"))
    pii_key: bytes | None = env("LEDGER_PII_KEY", None)  # AES-256-GCM key for ID numbers and phones
    lookup_key: bytes | None = env("LEDGER_LOOKUP_KEY", None)  # HMAC-SHA256 key for ID lookup and de-duplication
    ledger_origin: str = env("LEDGER_ORIGIN", "skills-ledger.example/xinjiang")
    max_batch_rows: int = env("LEDGER_MAX_BATCH_ROWS", DEFAULT_MAX_BATCH_ROWS, at_least=1)
    checkpoint_every_entries: int = env("LEDGER_CHECKPOINT_EVERY_ENTRIES", 1_000, at_least=1)
    checkpoint_every_seconds: float = env("LEDGER_CHECKPOINT_EVERY_SECONDS", 60.0, at_least=0.1)
    checkpoint_poll_seconds: float = env("LEDGER_CHECKPOINT_POLL_SECONDS", 5.0, at_least=0.1)
    job_poll_seconds: float = env("LEDGER_JOB_POLL_SECONDS", 1.0, at_least=0.05)  # how often an idle worker looks
    job_lease_seconds: float = env("LEDGER_JOB_LEASE_SECONDS", 60.0, at_least=1)  # a silent worker's job is reclaimed
    job_max_attempts: int = env("LEDGER_JOB_MAX_ATTEMPTS", 3, at_least=1)  # then the job ends failed
    job_workers: int = env("LEDGER_JOB_WORKERS", 1, at_least=0)  # per server process; 0: this process runs no jobs
    import_chunk_rows: int = env("LEDGER_IMPORT_CHUNK_ROWS", 5_000, at_least=1)  # rows committed together
    stored_file_hours: float = env("LEDGER_STORED_FILE_HOURS", 24.0, at_least=0.01)  # uploads and outputs kept

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        return read_env(cls, environ)

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
