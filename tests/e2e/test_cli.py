"""The `ledger` command against a real database: audit exits 0 on an honest log and 1 after tampering."""

from __future__ import annotations

import subprocess
import sys

import asyncpg
import pytest

from ledger.database.engine import plain_url
from tests.conftest import ROOT, run_async
from tests.e2e.conftest import Server


def ledger(server: Server, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args], cwd=ROOT, env=server.env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.slow
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

    run_async(tamper())
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


def test_keys_are_listed_revoked_and_rotated(server: Server) -> None:
    import httpx

    created = ledger(server, "keys", "create", "--kind", "bureau", "--region", "653100", "--label", "喀什")
    secret = created.stdout.strip()
    listed = ledger(server, "keys", "list")
    assert listed.returncode == 0, listed.stderr
    assert secret not in listed.stdout, "a list never shows a secret"
    row = next(line.split("\t") for line in listed.stdout.splitlines() if line.split("\t")[3] == secret[:16] + "…")
    key_id = row[0]
    assert row[1:3] == ["bureau", "653100"] and row[4] == "喀什" and row[6] == "-"

    rotated = ledger(server, "keys", "rotate", key_id)
    assert rotated.returncode == 0, rotated.stderr
    new_secret = rotated.stdout.strip()
    assert new_secret.startswith("ldg_bur_") and new_secret != secret
    talent = f"{server.base}/api/v1/stats/talent?as_of=2025-06-30"
    assert httpx.get(talent, headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    assert httpx.get(talent, headers={"Authorization": f"Bearer {new_secret}"}).status_code == 200

    new_id = next(line.split("\t")[0] for line in ledger(server, "keys", "list", "--active").stdout.splitlines()
                  if line.split("\t")[3] == new_secret[:16] + "…")  # fmt: skip
    assert ledger(server, "keys", "revoke", new_id).returncode == 0
    assert httpx.get(talent, headers={"Authorization": f"Bearer {new_secret}"}).status_code == 401
    again = ledger(server, "keys", "revoke", new_id)
    assert again.returncode == 1 and "already revoked" in again.stderr
    assert ledger(server, "keys", "revoke", "999999").returncode == 1
    audited = ledger(server, "audit").stdout  # the server is shared: another test may have tampered with a completion
    assert "api_key:" not in audited and "entries check" in audited, audited


@pytest.mark.slow
def test_verify_pdf_checks_the_signature_and_the_live_status(server: Server, tmp_path) -> None:
    import httpx

    school = {"Authorization": f"Bearer {server.keys['institution XJ-EVAL-01']}"}
    listed = httpx.get(f"{server.base}/api/v1/certificates", params={"status": "valid"}, headers=school).json()
    skill = next(c for c in listed["items"] if c["kind"] == "skill_level")
    pdf = tmp_path / "certificate.pdf"
    pdf.write_bytes(httpx.get(f"{server.base}/api/v1/certificates/{skill['number']}/pdf", headers=school).content)
    checked = ledger(server, "verify-pdf", str(pdf))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "signature OK, live status: valid" in checked.stdout
    revoked = httpx.post(f"{server.base}/api/v1/certificates/{skill['number']}/revoke", json={"reason": "测试"},
                         headers=school)  # fmt: skip
    assert revoked.status_code == 200
    after = ledger(server, "verify-pdf", str(pdf))
    assert after.returncode == 1 and "live status: revoked" in after.stdout
    jwks = tmp_path / "jwks.json"
    jwks.write_text(httpx.get(f"{server.base}/.well-known/jwks.json").text)
    offline = ledger(server, "verify-pdf", "--offline", "--jwks", str(jwks), str(pdf))
    assert offline.returncode == 0 and "signature OK" in offline.stdout
