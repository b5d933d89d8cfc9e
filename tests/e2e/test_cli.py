"""The `ledger` command against a real database: audit exits 0 on an honest log and 1 after tampering."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import asyncpg

from ledger.db import plain_url
from tests.conftest import ROOT
from tests.e2e.conftest import Server


def ledger(server: Server, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args], cwd=ROOT, env=server.env, capture_output=True, text=True, timeout=120
    )


def test_audit_passes_then_fails_after_tampering(server: Server, tmp_path) -> None:
    saved = tmp_path / "checkpoint.txt"
    made = ledger(server, "checkpoint")
    assert made.returncode == 0, made.stderr
    saved.write_text(made.stdout, encoding="utf-8")
    honest = ledger(server, "audit", "--checkpoint", str(saved))
    assert honest.returncode == 0, honest.stdout + honest.stderr
    assert "audit: OK" in honest.stdout

    async def tamper() -> None:
        conn = await asyncpg.connect(plain_url(server.database_url))
        try:
            await conn.execute(
                "UPDATE completions SET passed = NOT passed WHERE id = (SELECT min(id) FROM completions)"
            )
        finally:
            await conn.close()

    asyncio.run(tamper())
    caught = ledger(server, "audit")
    assert caught.returncode == 1
    assert "differs from what ledger entry" in caught.stdout
    assert "audit: FAILED" in caught.stdout


def test_keys_create_prints_a_key_once(server: Server) -> None:
    created = ledger(server, "keys", "create", "--kind", "bureau", "--region", "653100")
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip().startswith("ldg_bur_")
    refused = ledger(server, "keys", "create", "--kind", "bureau", "--region", "110000")
    assert refused.returncode != 0
