"""The registry of record types: what a ledger entry's commitment covers, and where `ledger audit` finds it again.

The log itself knows nothing about what its entries mean. Each feature declares its record types here — a subject
type, its content functions by version, and a loader that reads the records back from the business tables — and
the journal (`ledger.journal`) and the audit (`ledger.log.audit`) work from this registry only.

Content functions are stored commitment formats: once a version has been used for an entry it never changes. A new
format is a new version; entries keep the version they were written with (the leaf's `cv`), so a new version never
invalidates old records.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Row = Mapping[str, Any]
Content = Callable[[Row], dict[str, object]]
# `load(conn, ids)`: (subject_id, row) for the records `ids` (every record when `ids` is None), on an asyncpg
# connection inside the caller's transaction.
Loader = Callable[[Any, Sequence[str] | None], AsyncIterator[tuple[str, Row]]]


class UnknownRecordType(KeyError):
    """A subject type nobody registered: the journal refuses to log it, the audit reports its entries."""


@dataclass(frozen=True)
class RecordType:
    """One kind of business record the ledger commits to.

    `contents` maps each content version to its function (row -> canonical content); the highest is current.
    `load` reads rows back for the journal and the audit. `person` names the person whose personal data a
    record carries (its salt is deleted when that person is erased). A `retired` type is one whose entries are
    history only (no business record is kept for them any more); the audit counts them and checks nothing else.
    """

    subject_type: str
    contents: Mapping[int, Content] = field(default_factory=dict)
    load: Loader | None = None
    person: Callable[[Row], int | None] | None = None
    retired: str = ""

    @property
    def version(self) -> int:
        return max(self.contents)

    def content(self, row: Row, version: int | None = None) -> dict[str, object]:
        return self.contents[self.version if version is None else version](row)


class Registry:
    """Record types by subject type. Each feature module registers its own at import."""

    def __init__(self, types: Iterable[RecordType] = ()) -> None:
        self._types: dict[str, RecordType] = {}
        for record_type in types:
            self.register(record_type)

    def register(self, record_type: RecordType) -> RecordType:
        known = self._types.get(record_type.subject_type)
        if known is not None and known is not record_type:
            raise ValueError(f"record type {record_type.subject_type!r} is registered twice")
        if not record_type.retired and (record_type.load is None or not record_type.contents):
            raise ValueError(f"record type {record_type.subject_type!r} needs a loader and a content function")
        self._types[record_type.subject_type] = record_type
        return record_type

    def __getitem__(self, subject_type: str) -> RecordType:
        try:
            return self._types[subject_type]
        except KeyError:
            raise UnknownRecordType(subject_type) from None

    def __contains__(self, subject_type: object) -> bool:
        return subject_type in self._types

    def __iter__(self) -> Iterator[RecordType]:
        return iter(sorted(self._types.values(), key=lambda t: t.subject_type))


RECORD_TYPES = Registry()
register = RECORD_TYPES.register
