"""Settings: every field comes from a documented LEDGER_* variable, and a bad value names its variable."""

from __future__ import annotations

import base64
import dataclasses
import re
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pytest
from click.testing import CliRunner

from api.cli import main
from api.settings import WebSettings
from ledger.settings import SettingError, Settings, env, kind_of, read_env, variable
from tests.conftest import ROOT

LAYERS = {Settings: "domain", WebSettings: "web"}
KEY = base64.urlsafe_b64encode(bytes(range(32))).decode().rstrip("=")


def documented() -> dict[str, dict[str, str]]:
    """The rows of the table in docs/configuration.md, by variable."""
    lines = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8").splitlines()
    start = lines.index("| variable | type | default | layer | meaning |")
    rows = {}
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split(" | ")]
        assert len(cells) == 5, line
        rows[cells[0].strip("`")] = {"type": cells[1], "default": cells[2], "layer": cells[3], "meaning": cells[4]}
    return rows


def setting_fields() -> list[tuple[type, dataclasses.Field, Any]]:
    return [
        (cls, f, typing.get_type_hints(cls)[f.name])
        for cls in LAYERS
        for f in dataclasses.fields(cls)  # type: ignore[arg-type]
        if not (cls is WebSettings and f.name == "domain")
    ]


def shown(default: object) -> str:
    if default is None:
        return "unset"
    if isinstance(default, bool):  # as the variable is written
        return "true" if default else "false"
    if isinstance(default, float):
        return f"{default:g}"
    return str(default)


@pytest.mark.parametrize(("cls", "field", "hint"), setting_fields(), ids=lambda v: getattr(v, "name", ""))
def test_every_field_has_a_documented_variable(cls: type, field: dataclasses.Field, hint: Any) -> None:
    name = variable(field)
    assert name and name.startswith("LEDGER_"), f"{cls.__name__}.{field.name} is not read from a variable"
    row = documented().get(name)
    assert row is not None, f"{name} is not in the table of docs/configuration.md"
    assert row["layer"] == LAYERS[cls]
    assert row["type"] == kind_of(hint)[0]
    first = re.search(r"`([^`]*)`", row["default"])
    assert first is not None and first.group(1) == shown(field.default), f"{name}: the documented default"
    assert row["meaning"]


def test_the_table_lists_nothing_but_settings() -> None:
    variables = [variable(f) for _, f, _ in setting_fields()]
    assert len(set(variables)) == len(variables), "two fields read one variable"
    assert sorted(documented()) == sorted(variables)


def test_unset_and_empty_variables_give_the_defaults() -> None:
    assert WebSettings.from_env({}) == WebSettings()
    assert WebSettings.from_env({variable(f): "" for _, f, _ in setting_fields()}) == WebSettings()  # type: ignore[misc]
    assert Settings().max_batch_rows == 10_000


def test_every_variable_is_read_into_its_field() -> None:
    web = WebSettings.from_env(
        {
            "LEDGER_DATABASE_URL": "postgresql://ledger@db.example/ledger",
            "LEDGER_DATA_DIR": "/srv/ledger",
            "LEDGER_PII_KEY": KEY,
            "LEDGER_LOOKUP_KEY": KEY + "=",
            "LEDGER_ORIGIN": "ledger.example/xj",
            "LEDGER_MAX_BATCH_ROWS": "500",
            "LEDGER_CHECKPOINT_EVERY_ENTRIES": "64",
            "LEDGER_CHECKPOINT_EVERY_SECONDS": "2.5",
            "LEDGER_CHECKPOINT_POLL_SECONDS": " 0.5 ",
            "LEDGER_PUBLIC_BASE_URL": "https://v.example/",
            "LEDGER_MAX_BODY_BYTES": "1024",
            "LEDGER_DB_POOL_SIZE": "32",
            "LEDGER_READ_DATABASE_URL": "postgresql://ledger@replica.example/ledger",
            "LEDGER_READ_MAX_LAG_SECONDS": "2.5",
            "LEDGER_VERIFY_RATE_PER_MINUTE": "1000",
            "LEDGER_HOLDER_CHECK_RATE_PER_MINUTE": "3",
            "LEDGER_STATUS_LIST_TTL_SECONDS": "30",
            "LEDGER_PDF_SIGNING_CERT": "/etc/ledger/cert.pem",
            "LEDGER_PDF_SIGNING_KEY": "/etc/ledger/key.pem",
            "LEDGER_PUBLISH_K": "10",
        }
    )
    assert web.domain == Settings(
        database_url="postgresql://ledger@db.example/ledger",
        data_dir=Path("/srv/ledger"),
        pii_key=bytes(range(32)),
        lookup_key=bytes(range(32)),
        ledger_origin="ledger.example/xj",
        max_batch_rows=500,
        checkpoint_every_entries=64,
        checkpoint_every_seconds=2.5,
        checkpoint_poll_seconds=0.5,
    )
    assert dataclasses.replace(web, domain=Settings()) == WebSettings(
        public_base_url="https://v.example",
        max_body_bytes=1024,
        db_pool_size=32,
        read_database_url="postgresql://ledger@replica.example/ledger",
        read_max_lag_seconds=2.5,
        verify_rate_per_minute=1000,
        holder_check_rate_per_minute=3,
        status_list_ttl_seconds=30,
        pdf_signing="files",  # a certificate configured and no LEDGER_PDF_SIGNING: sign with it
        pdf_signing_cert=Path("/etc/ledger/cert.pem"),
        pdf_signing_key=Path("/etc/ledger/key.pem"),
        publish_k=10,
    )


@pytest.mark.parametrize(
    ("name", "raw", "message"),
    [
        ("LEDGER_DB_POOL_SIZE", "abc", "LEDGER_DB_POOL_SIZE: expected a whole number, got 'abc'"),
        ("LEDGER_MAX_BATCH_ROWS", "1e4", "LEDGER_MAX_BATCH_ROWS: expected a whole number, got '1e4'"),
        ("LEDGER_MAX_BATCH_ROWS", "0", "LEDGER_MAX_BATCH_ROWS: expected at least 1, got '0'"),
        ("LEDGER_PUBLISH_K", "1", "LEDGER_PUBLISH_K: expected at least 2, got '1'"),
        ("LEDGER_CHECKPOINT_EVERY_SECONDS", "soon", "LEDGER_CHECKPOINT_EVERY_SECONDS: expected a number, got 'soon'"),
        ("LEDGER_CHECKPOINT_POLL_SECONDS", "nan", "LEDGER_CHECKPOINT_POLL_SECONDS: expected a finite number"),
        ("LEDGER_PDF_SIGNING", "yes", "LEDGER_PDF_SIGNING: expected one of none, demo, files, got 'yes'"),
        ("LEDGER_PDF_SIGNING", "files", "LEDGER_PDF_SIGNING: 'files' needs LEDGER_PDF_SIGNING_CERT and "
         "LEDGER_PDF_SIGNING_KEY"),
        ("LEDGER_PII_KEY", "c2hvcnQ", "LEDGER_PII_KEY: expected 32 random bytes in base64url (43 characters), got 7 "
         "characters that are not (not shown: a secret)"),
        ("LEDGER_LOOKUP_KEY", "%%%", "LEDGER_LOOKUP_KEY: expected 32 random bytes"),
    ],
)  # fmt: skip
def test_a_bad_value_names_its_variable(name: str, raw: str, message: str) -> None:
    with pytest.raises(SettingError) as raised:
        WebSettings.from_env({name: raw})
    assert str(raised.value).startswith(message)
    if "KEY" in name and "PDF" not in name:
        assert raw not in str(raised.value), "a secret key is never echoed"


def test_true_false_settings_read_the_usual_spellings() -> None:
    @dataclass(frozen=True)
    class Flags:
        on: bool = env("LEDGER_TEST_FLAG", False)
        mode: Literal["a", "b"] = env("LEDGER_TEST_MODE", "a")

    for raw in ("1", "true", "Yes", "ON"):
        assert read_env(Flags, {"LEDGER_TEST_FLAG": raw}).on is True
    for raw in ("0", "false", "no", "off"):
        assert read_env(Flags, {"LEDGER_TEST_FLAG": raw}).on is False
    with pytest.raises(SettingError, match=r"^LEDGER_TEST_FLAG: expected true or false, got 'maybe'$"):
        read_env(Flags, {"LEDGER_TEST_FLAG": "maybe"})
    assert read_env(Flags, {"LEDGER_TEST_MODE": "b"}).mode == "b"


def test_ledger_serve_says_which_variable_is_bad_and_exits_non_zero(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["serve"], env={"LEDGER_DB_POOL_SIZE": "abc", "LEDGER_DATA_DIR": str(tmp_path)}, catch_exceptions=False
    )
    assert result.exit_code == 1
    assert result.output.strip() == "Error: LEDGER_DB_POOL_SIZE: expected a whole number, got 'abc'"
    assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == [], "nothing is started or written before the settings are read"


def test_other_commands_say_so_too(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["db", "upgrade"], env={"LEDGER_MAX_BATCH_ROWS": "many", "LEDGER_DATA_DIR": str(tmp_path)}
    )
    assert result.exit_code == 1
    assert "LEDGER_MAX_BATCH_ROWS: expected a whole number, got 'many'" in result.output
