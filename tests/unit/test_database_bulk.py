"""The bulk-insert helper derives columns and casts from the row type."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated

import pytest

from ledger.database.bulk import Sql, columns_of


@dataclass(frozen=True, slots=True)
class Sample:
    course_id: int
    trainee_id: uuid.UUID
    completed_on: dt.date
    passed: bool
    level: Annotated[int | None, Sql("smallint")]
    score: Decimal | None
    sealed: bytes
    name: str | None


def test_columns_and_casts_come_from_the_annotations() -> None:
    cols = columns_of(Sample)
    assert cols.names == ("course_id", "trainee_id", "completed_on", "passed", "level", "score", "sealed", "name")
    assert cols.types == ("bigint", "uuid", "date", "boolean", "smallint", "numeric", "bytea", "text")
    assert cols.source(3) == (
        "unnest($3::bigint[], $4::uuid[], $5::date[], $6::boolean[], $7::smallint[], $8::numeric[], $9::bytea[],"
        " $10::text[]) WITH ORDINALITY AS t(course_id, trainee_id, completed_on, passed, level, score, sealed, name,"
        " position)"
    )


def test_the_arrays_follow_the_column_order() -> None:
    tid = uuid.uuid4()
    row = Sample(1, tid, dt.date(2025, 5, 30), True, None, Decimal("81.50"), b"x", "买买提·艾力")
    assert columns_of(Sample).arrays([row, row])[1] == [tid, tid]


def test_a_field_without_a_postgresql_type_is_refused() -> None:
    @dataclass
    class Odd:
        value: list[int]

    with pytest.raises(TypeError, match="no PostgreSQL type"):
        columns_of(Odd)
