"""Completions in bulk: a JSON batch or a CSV file, validated whole, all rows or none; a large file as a job."""

from __future__ import annotations

from litestar import Controller, Request, Response, post
from litestar.openapi import ResponseSpec
from litestar.params import JSONBody

from api.certificates.qr_signing import qr_signer
from api.deps import Caller, DbSession, OwnInstitution, Shared
from api.guards import institution_key
from api.idempotency import run_dry, run_write
from api.jobs.schemas import JobOut
from api.jobs.uploads import read_head, submit_upload, wants_async
from api.registration.csv_import import parse_completions_csv
from api.schemas import BatchOut, EarnedCertificateOut, RowOut
from ledger.commands import CompletionBatch, CompletionIn, check_batch_size
from ledger.errors import InvalidInput
from ledger.registration.service import RowOutcome, register_completions


def _batch_out(outcomes: list[RowOutcome], dry_run: bool) -> BatchOut:
    return BatchOut(
        dry_run=dry_run,
        total=len(outcomes),
        created=sum(o.status == "created" for o in outcomes),
        unchanged=sum(o.status == "unchanged" for o in outcomes),
        rows=[
            RowOut(
                o.row,
                o.status,
                o.completion_id,
                o.trainee_id,
                o.ledger_index,
                [EarnedCertificateOut(c.number, c.kind, c.verification_code) for c in o.certificates],
            )
            for o in outcomes
        ],
    )


class CompletionController(Controller):
    path = "/api/v1/completions"
    tags = ["institution"]
    guards = [institution_key]

    async def _register(
        self,
        request: Request,
        db_session: DbSession,
        principal: Caller,
        institution_id: int,
        runtime: Shared,
        items: list[CompletionIn],
        dry_run: bool,
        body: bytes | None = None,
    ) -> Response:

        async def work() -> BatchOut:
            base = runtime.settings.public_base_url
            sign = None if dry_run else await qr_signer(db_session, runtime.vault, base)
            outcomes = await register_completions(
                db_session, runtime.vault, institution_id, items, sign, base, dry_run=dry_run
            )
            return _batch_out(outcomes, dry_run)

        if dry_run:
            return await run_dry(db_session, work)
        return await run_write(request, db_session, principal, work, body=body)

    @post("/", status_code=201)
    async def create(
        self,
        request: Request,
        data: JSONBody[CompletionBatch],
        db_session: DbSession,
        principal: Caller,
        institution_id: OwnInstitution,
        runtime: Shared,
        dry_run: bool = False,
    ) -> Response[BatchOut]:
        """Register up to LEDGER_MAX_BATCH_ROWS completions (default 10,000). Every row is validated; if any is bad
        nothing is written and each bad row and field is named. `?dry_run=true` validates only."""
        check_batch_size(len(data.items), runtime.settings.domain.max_batch_rows)
        return await self._register(request, db_session, principal, institution_id, runtime, data.items, dry_run)

    @post(
        "/import",
        status_code=201,
        request_max_body_size=None,  # sync bodies are capped below, jobs by LEDGER_MAX_IMPORT_BYTES
        responses={202: ResponseSpec(JobOut, description="the import runs as a job: follow `Location`")},
    )
    async def import_csv(
        self,
        request: Request,
        db_session: DbSession,
        principal: Caller,
        institution_id: OwnInstitution,
        runtime: Shared,
        dry_run: bool = False,
    ) -> Response[BatchOut]:
        """The same from a CSV body (UTF-8, UTF-8 with BOM, or GB18030; Chinese or English headers).

        A body above LEDGER_ASYNC_IMPORT_BYTES (2 MiB) or of more than LEDGER_MAX_BATCH_ROWS rows, or any body sent
        with `Prefer: respond-async`, runs as a job (docs/jobs.md): 202 with `Location: /api/v1/jobs/{id}`, the
        file checked whole first, then registered chunk by chunk."""
        settings = runtime.settings
        sync_limit = min(settings.async_import_bytes, settings.max_body_bytes)
        head, rest = await read_head(request, sync_limit)
        lines = head.count(b"\n") - (1 if head.endswith(b"\n") else 0)
        if wants_async(request) or rest is not None or lines > settings.domain.max_batch_rows:
            lang = "en" if request.query_params.get("lang") == "en" else "zh"
            return await submit_upload(
                request, db_session, principal, institution_id, runtime, head, rest, dry_run=dry_run, lang=lang
            )
        items = parse_completions_csv(head, max_rows=settings.domain.max_batch_rows)
        if not items:
            raise InvalidInput("the CSV has no data rows")
        return await self._register(request, db_session, principal, institution_id, runtime, items, dry_run, body=head)
