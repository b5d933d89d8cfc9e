"""The `ledger` command: serve, db upgrade, stats rebuild, keys create/list/revoke/rotate, reference load, demo data,
audit."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import click
from sqlalchemy.ext.asyncio import AsyncSession

from api.cli_context import database_of, domain_settings, in_session, read_settings
from api.cli_demo import demo
from ledger.database import migrate
from ledger.settings import Settings

if TYPE_CHECKING:
    from litestar import Litestar

    from api.settings import WebSettings


@click.group()
def main() -> None:
    """Skills Ledger (技能双证账本)."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply migrations (on LEDGER_DATABASE_URL, or the embedded server)."""
    settings = domain_settings()
    migrate.upgrade(database_of(settings), revision)
    click.echo(f"database at {migrate.head_revision() if revision == 'head' else revision}")
    if revision == "head":
        _say_if_rollup_missing(settings)


ROLLUP_MISSING = (
    "统计汇总为空，但已有证书：请运行 `ledger stats rebuild` 重建（在此之前人才统计为零）。"
    " / The statistics rollup is empty while certificates exist: run `ledger stats rebuild`"
    " (talent figures read zero until then)."
)


def _say_if_rollup_missing(settings: Settings) -> None:
    from ledger.statistics.refresh import rollup_missing

    if in_session(settings, rollup_missing):
        click.echo(ROLLUP_MISSING, err=True)


@db.command("app-role")
@click.argument("role")
def db_app_role(role: str) -> None:
    """Create ROLE for the server: it may write business tables and append to the ledger, but it does not own
    the log tables, so it can neither rewrite them nor disable their triggers. Run as the tables' owner."""
    from ledger.database.engine import plain_url
    from ledger.database.roles import grant_app_role

    asyncio.run(grant_app_role(plain_url(database_of(domain_settings())), role))
    click.echo(f"role {role} ready: GRANT {role} TO <login role>, and run the server as that login role")


@main.group()
def stats() -> None:
    """Statistics: the talent timeline and its rollup."""


@stats.command("rebuild")
@click.option("--rollup-only", is_flag=True, help="keep the stored spells, recompute only the rollup from them")
def stats_rebuild(rollup_only: bool) -> None:
    """Recompute every person's talent spells and the whole rollup from the certificates, in one transaction
    (after an upgrade whose release notes ask for it, or to repair). It holds the statistics tables' locks until
    it commits: certificate writes and talent queries wait for it."""
    from ledger.statistics.refresh import rebuild_rollup, rebuild_talent

    settings = domain_settings()

    async def work(session: AsyncSession) -> None:
        if rollup_only:
            await rebuild_rollup(session)
        else:
            await rebuild_talent(session, say=click.echo)

    in_session(settings, work)
    click.echo("statistics rollup rebuilt")


@stats.command("fold")
def stats_fold() -> None:
    """Fold the talent refreshes' pending moves into the rollup now, batch by batch (the job workers do it while a
    server runs; this is for a ledger whose servers run none, LEDGER_JOB_WORKERS=0). The figures are the same
    before and after: a talent query adds what is pending."""
    from ledger.statistics.refresh import fold_pending

    async def work(session: AsyncSession) -> int:
        folded = 0
        while taken := await fold_pending(session):
            await session.commit()
            folded += taken
        return folded

    click.echo(f"folded {in_session(domain_settings(), work):,} pending talent moves into the rollup")


@main.group()
def reference() -> None:
    """Reference data: regions (GB/T 2260) and occupations (大典 2022)."""


@reference.command("load")
@click.option("--regions", "regions_csv", type=click.Path(exists=True, path_type=Path), help="regions CSV")
@click.option("--occupations", "occupations_csv", type=click.Path(exists=True, path_type=Path), help="occupations CSV")
def reference_load(regions_csv: Path | None, occupations_csv: Path | None) -> None:
    """Load the shipped reference data, or the CSV files given (code,name,… headers; UTF-8 or GB18030)."""
    from ledger.reference import load as ref

    regions = ref.regions_from_csv(regions_csv) if regions_csv else ref.shipped_regions()
    occupations = ref.occupations_from_csv(occupations_csv) if occupations_csv else ref.shipped_occupations()

    async def work(session: AsyncSession) -> tuple[int, int]:
        from ledger.statistics.refresh import rebuild_rollup

        counts = await ref.load_regions(session, regions), await ref.load_occupations(session, occupations)
        await rebuild_rollup(session)  # the rollup's prefecture grain follows the region tree
        return counts

    counts = in_session(domain_settings(), work)
    click.echo(f"loaded {counts[0]} regions and {counts[1]} occupations; statistics rollup rebuilt")


@main.group()
def keys() -> None:
    """API keys."""


@keys.command("create")
@click.option("--kind", type=click.Choice(["admin", "institution", "bureau"]), required=True)
@click.option("--institution", "institution_code", help="institution code (for --kind institution)")
@click.option("--region", "region_code", help="region code (for --kind bureau), e.g. 650000 or 653100")
@click.option("--label", default="")
def keys_create(kind: str, institution_code: str | None, region_code: str | None, label: str) -> None:
    """Create a key and print it once."""
    from ledger.tenancy.service import institution_by_code, issue_key

    if kind == "institution" and not institution_code:
        raise click.UsageError("--institution is required for an institution key")
    if kind == "bureau" and not region_code:
        raise click.UsageError("--region is required for a bureau key")

    async def work(session: AsyncSession) -> str:
        institution_id = None
        if institution_code:
            institution_id = (await institution_by_code(session, institution_code)).id
        issued = await issue_key(
            session,
            kind,
            institution_id=institution_id,
            region_code=region_code if kind == "bureau" else None,
            label=label,
        )
        return issued.secret

    click.echo(in_session(domain_settings(), work))


@keys.command("list")
@click.option("--active", is_flag=True, help="only the keys in use (not revoked)")
def keys_list(active: bool) -> None:
    """List the API keys (id, kind, scope, label, the start of the secret, created, revoked); never a secret."""
    from ledger.tenancy.service import KeyInfo, list_keys

    async def work(session: AsyncSession) -> list[KeyInfo]:
        return await list_keys(session, include_revoked=not active)

    click.echo("id\tkind\tscope\tprefix\tlabel\tcreated\trevoked")
    for k in in_session(domain_settings(), work):
        scope = k.institution_code or k.region_code or "-"
        revoked = k.revoked_at.isoformat(timespec="seconds") if k.revoked_at else "-"
        created = k.created_at.isoformat(timespec="seconds")
        click.echo(f"{k.key_id}\t{k.kind}\t{scope}\t{k.display_prefix}…\t{k.label or '-'}\t{created}\t{revoked}")


@keys.command("revoke")
@click.argument("key_id", type=int)
def keys_revoke(key_id: int) -> None:
    """Revoke key KEY_ID (logged in the ledger): its requests and its portal sessions are refused from now on."""
    from ledger.errors import Conflict, NotFound
    from ledger.tenancy.service import revoke_key

    try:
        in_session(domain_settings(), lambda session: revoke_key(session, key_id))
    except (NotFound, Conflict) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"key {key_id} revoked")


@keys.command("rotate")
@click.argument("key_id", type=int)
def keys_rotate(key_id: int) -> None:
    """Replace key KEY_ID by a new key of the same kind and scope (both logged); print the new key once."""
    from ledger.errors import Conflict, NotFound
    from ledger.tenancy.service import rotate_key

    try:
        issued = in_session(domain_settings(), lambda session: rotate_key(session, key_id))
    except (NotFound, Conflict) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(issued.secret)


@main.command()
@click.option(
    "--checkpoint",
    "checkpoints",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="a signed checkpoint saved outside the database (repeatable): the log must still extend it",
)
def audit(checkpoints: tuple[Path, ...]) -> None:
    """Recompute the ledger from its leaves and check the head, checkpoints and business rows. Exit 1 on any
    mismatch."""
    from ledger.database.engine import plain_url
    from ledger.log.audit import audit as run_audit
    from ledger.record_types import all_record_types

    settings = domain_settings()
    external = [(str(path), path.read_text(encoding="utf-8")) for path in checkpoints]
    report = asyncio.run(
        run_audit(plain_url(database_of(settings)), settings.ledger_origin, all_record_types(), external)
    )
    for line in report.lines():
        click.echo(line)
    sys.exit(0 if report.ok else 1)


@main.command("verify-pdf")
@click.argument("pdf", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--jwks", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="offline: a saved JWKS")
@click.option("--offline", is_flag=True, help="do not ask the server for the live status")
def verify_pdf(pdf: Path, jwks: Path | None, offline: bool) -> None:
    """Decode a certificate PDF's QR codes, verify their signatures and (online) their live status."""
    from api.certificates.verify_pdf import check_pdf

    results = check_pdf(pdf, jwks, online=not offline)
    if not results:
        click.echo("no QR code found")
        sys.exit(1)
    for r in results:
        verdict = "signature OK" if r.signature_ok else "SIGNATURE INVALID"
        live = f", live status: {r.live_status}" if r.live_status else ""
        click.echo(f"page {r.page}: {verdict}{live}\n  {r.url}\n  {r.detail}")
    sys.exit(0 if all(r.signature_ok and r.live_status in (None, "valid") for r in results) else 1)


@main.command()
def checkpoint() -> None:
    """Sign a checkpoint over the ledger's current head now, and print it."""
    from ledger.log.reader import make_checkpoint
    from ledger.people.pii import PiiVault

    settings = domain_settings()
    assert settings.pii_key and settings.lookup_key
    vault = PiiVault(settings.pii_key, settings.lookup_key)

    async def work(session: AsyncSession) -> str:
        return (await make_checkpoint(session, vault, settings.ledger_origin)).note

    click.echo(in_session(settings, work), nl=False)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--demo", is_flag=True, help="seed demo institutions, courses and completions, and print keys")
@click.option(
    "--workers", default=1, show_default=True, type=click.IntRange(min=1),
    help="server processes on this port; with more than one, set LEDGER_REDIS_URL so that they share rate limits",
)  # fmt: skip
def serve(host: str, port: int, demo: bool, workers: int) -> None:
    """Start the API server (embedded PostgreSQL unless LEDGER_DATABASE_URL is set)."""
    import uvicorn

    from api.demo import seed_demo
    from api.request_log import configure_logging
    from api.settings import WebSettings
    from ledger.reference import load as ref

    settings = read_settings(WebSettings.from_env).with_secrets()
    if not os.environ.get("LEDGER_PUBLIC_BASE_URL"):  # QR codes then point at this very server
        settings = replace(settings, public_base_url=f"http://{host}:{port}")
    if demo and settings.pdf_signing == "none":  # the demo signs its PDFs with a demo certificate
        settings = replace(settings, pdf_signing="demo")
    url = database_of(settings.domain)
    migrate.upgrade(url)  # the server brings the schema to this code's head before it serves
    _say_if_rollup_missing(settings.domain)

    async def prepare(session: AsyncSession) -> list[str]:
        if not await ref.has_reference_data(session):
            await ref.load_regions(session, ref.shipped_regions())
            await ref.load_occupations(session, ref.shipped_occupations())
        return await seed_demo(session, settings) if demo else []

    lines = in_session(settings.domain, prepare)
    base = f"http://{host}:{port}"
    click.echo(f"Skills Ledger on {base}  (API docs: {base}/schema, database: {_describe(settings.domain)})")
    if workers > 1 and not settings.redis_url:
        click.echo(f"{workers} processes without LEDGER_REDIS_URL: each counts its own rate limits", err=True)
    for line in lines:
        click.echo(line)
    sys.stdout.flush()
    # The processes read their settings from the environment: hand them what this one settled.
    os.environ["LEDGER_PUBLIC_BASE_URL"] = settings.public_base_url
    os.environ["LEDGER_PDF_SIGNING"] = settings.pdf_signing
    if not settings.domain.database_url:  # the embedded server this process started
        os.environ["LEDGER_DATABASE_URL"] = url
    configure_logging(settings.log_format)
    # proxy_headers off: the app alone decides whom to believe about the client address (LEDGER_TRUSTED_PROXIES);
    # uvicorn's access log off: the app writes its own, by route template (api/request_log.py)
    uvicorn.run(
        "api.cli:served_app_from_env", factory=True, host=host, port=port, workers=workers, proxy_headers=False,
        log_level="info", access_log=False, log_config=None,
    )  # fmt: skip


def served_app_from_env() -> Litestar:
    """What each `serve` process runs (uvicorn's factory): the served app, its settings from the environment."""
    from api.request_log import configure_logging
    from api.settings import WebSettings

    settings = read_settings(WebSettings.from_env)
    configure_logging(settings.log_format)  # a worker process starts without the parent's logging set up
    return served_app(settings)


def served_app(settings: WebSettings) -> Litestar:
    """The app `serve` runs: `create_app`'s, and once it has started (on_startup hooks run after its lifespan has
    built everything), the start-up objects frozen out of the cyclic collector."""
    from api.app import create_app

    app = create_app(settings)
    app.on_startup.append(_freeze_start_up_objects)
    return app


def _freeze_start_up_objects() -> None:
    # What the server built at start-up lives as long as the process: keep it out of the cyclic collector, whose
    # full passes over ~170,000 start-up objects otherwise stall the event loop for tens of milliseconds (p99).
    # Only `serve` does this: an app that a test builds and drops must stay collectable.
    gc.collect()
    gc.freeze()


def _describe(settings: Settings) -> str:
    if settings.database_url:
        return "LEDGER_DATABASE_URL"
    return f"embedded PostgreSQL in {settings.data_dir / 'pg'}"


main.add_command(demo)

if __name__ == "__main__":  # pragma: no cover
    main()
