"""One batch of completions registered and answered: the same code whether it runs on the serving event loop (a
small batch) or in the writer process (api/writer.py), so that where it runs never changes what it answers."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from api.certificates.qr_signing import qr_signer
from api.idempotency import Answer, Keyed, answer_dry_run, answer_write
from api.schemas import BatchOut, EarnedCertificateOut, RowOut, SheetWarningOut
from ledger import cpu
from ledger.commands import CompletionIn
from ledger.people.pii import PiiVault
from ledger.registration.service import RowOutcome, register_completions
from ledger.tenancy.service import Principal


@dataclass(frozen=True, slots=True)
class SheetRows:
    """What the answer tells of a spreadsheet: the sheet row of each item, and what the reader skipped."""

    sheet_rows: list[int]
    warnings: list[SheetWarningOut] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class BatchCall:
    """A batch as the controller accepted it: the caller, its rows, and how it is to be answered."""

    institution_id: int
    principal: Principal
    items: list[CompletionIn]
    dry_run: bool
    key: Keyed | None = None  # the Idempotency-Key, fingerprinted (not for a dry run)
    sheet: SheetRows | None = None


@dataclass(frozen=True, slots=True)
class BatchDone:
    answer: Answer
    statuses: list[str]  # one per row when the batch was written (for the import metrics); none for a replay


def batch_out(outcomes: list[RowOutcome], dry_run: bool, sheet: SheetRows | None = None) -> BatchOut:
    batch = BatchOut(
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
    if sheet is not None:
        for row in batch.rows:
            row.sheet_row = sheet.sheet_rows[row.row]
        batch.warnings = list(sheet.warnings)
    return batch


async def register_batch(session: AsyncSession, vault: PiiVault, public_base: str, call: BatchCall) -> BatchDone:
    """Validate and (unless a dry run) write the batch in `session`, commit it with its Idempotency-Key's record,
    and answer. Raises InvalidInput / Conflict naming the rows, with nothing written."""
    statuses: list[str] = []

    async def work() -> BatchOut:
        sign = None if call.dry_run else await qr_signer(session, vault, public_base)
        outcomes = await register_completions(
            session, vault, call.institution_id, call.items, sign, public_base, dry_run=call.dry_run
        )
        statuses.extend(o.status for o in outcomes)
        return batch_out(outcomes, call.dry_run, call.sheet)

    if call.dry_run:
        return BatchDone(await answer_dry_run(session, work), [])
    with cpu.collector_paused():  # to the commit, when the batch's objects are gone (ledger/cpu.py)
        answer = await answer_write(session, call.principal, call.key, work)
    return BatchDone(answer, statuses)
