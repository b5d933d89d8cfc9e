"""The one way to write: every state change that matters goes through a `Journal` with its record type.

A service makes its business writes, tells the journal what changed (`journal.record(...)`) and whose statistics
move (`journal.touch(...)`), then `await journal.write()`:

1. pending ORM changes are flushed;
2. records the service did not hand over are read back from the business tables with their type's loader;
3. each change's content is computed by its type's current content function and appended to the log, in order,
   in the caller's transaction (ledger/log/append.py);
4. the talent statistics of the touched persons are refreshed in the same transaction.

This module is the only caller of the log append and of the statistics refresh, so no write can be logged
without a registered record type (which `ledger audit` then checks) and no certificate change can leave the
figures behind.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from ledger import cpu
from ledger.database.driver import driver
from ledger.log.append import Event, append_events
from ledger.log.records import RECORD_TYPES, RecordType, Row
from ledger.statistics import refresh_talent


@dataclass(frozen=True, slots=True)
class Change:
    kind: str  # what happened: "certificate.revoked"
    record: RecordType
    subject_id: str
    refs: Mapping[str, str] = field(default_factory=dict)
    row: Row | None = None  # the record as written; read back from its table when None
    person_id: int | None = None  # whose personal data the entry's salt protects; the type's `person` otherwise


class Journal:
    """The changes of one transaction, written to the log together. Never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._changes: list[Change] = []
        self._persons: set[int] = set()

    def record(
        self,
        kind: str,
        record: RecordType,
        subject_id: object,
        *,
        refs: Mapping[str, str] | None = None,
        row: Row | None = None,
        person_id: int | None = None,
    ) -> None:
        if RECORD_TYPES[record.subject_type] is not record or record.retired:
            raise ValueError(f"{record.subject_type!r} is not a registered, current record type")
        self._changes.append(Change(kind, record, str(subject_id), dict(refs or {}), row, person_id))

    def touch(self, person_ids: Iterable[int]) -> None:
        """These persons' certificates (or domicile) changed: their talent figures are recomputed on write."""
        self._persons.update(person_ids)

    async def write(self) -> list[int]:
        """Append every recorded change (their log indices, in order) and refresh the touched persons' figures."""
        changes, self._changes = self._changes, []
        persons, self._persons = self._persons, set()
        indices: list[int] = []
        if changes:
            await self._session.flush()
            rows = await self._read_back(changes)
            events = []
            for i, change in enumerate(changes):
                await cpu.breathe(i)
                row = change.row if change.row is not None else rows[change.record.subject_type][change.subject_id]
                person = change.person_id
                if person is None and change.record.person is not None:
                    person = change.record.person(row)
                events.append(
                    Event(
                        kind=change.kind,
                        subject_type=change.record.subject_type,
                        subject_id=change.subject_id,
                        content=change.record.content(row),
                        refs=change.refs,
                        person_id=person,
                        content_version=change.record.version,
                    )
                )
            indices = await append_events(self._session, events)
        if persons:
            await refresh_talent(self._session, persons)
        return indices

    async def _read_back(self, changes: list[Change]) -> dict[str, dict[str, Row]]:
        wanted: dict[str, set[str]] = defaultdict(set)
        types: dict[str, RecordType] = {}
        for change in changes:
            if change.row is None:
                wanted[change.record.subject_type].add(change.subject_id)
                types[change.record.subject_type] = change.record
        if not wanted:
            return {}
        conn = await driver(self._session)
        found: dict[str, dict[str, Row]] = {}
        for subject_type, ids in wanted.items():
            loader = types[subject_type].load
            assert loader is not None
            found[subject_type] = {sid: row async for sid, row in loader(conn, sorted(ids))}
            missing = ids - found[subject_type].keys()
            if missing:
                raise LookupError(f"{subject_type} {sorted(missing)[:5]} not found after the write")
        return found
