"""Response bodies: the wire contract of what the API returns (requests are `ledger.commands`)."""

from __future__ import annotations

import datetime as dt
import uuid

import msgspec

from ledger.registration.tables import Course
from ledger.tenancy.tables import Institution


class FiledOccupationOut(msgspec.Struct):
    occupation_code: str
    levels: list[int]


class EvaluatorOut(msgspec.Struct):
    category: str
    filing_code: str
    site_code: str
    occupations: list[FiledOccupationOut]


class InstitutionOut(msgspec.Struct):
    code: str
    name: str
    kind: str
    region_code: str
    jurisdiction: str
    evaluator: EvaluatorOut | None

    @classmethod
    def of(cls, institution: Institution, filings: list[tuple[str, int]]) -> InstitutionOut:
        evaluator = None
        if institution.evaluator_category:
            by_occupation: dict[str, list[int]] = {}
            for code, level in filings:
                by_occupation.setdefault(code, []).append(level)
            evaluator = EvaluatorOut(
                category=institution.evaluator_category,
                filing_code=institution.filing_code or "",
                site_code=institution.site_code or "",
                occupations=[FiledOccupationOut(c, sorted(lv)) for c, lv in sorted(by_occupation.items())],
            )
        return cls(
            code=institution.code,
            name=institution.name,
            kind=institution.kind,
            region_code=institution.region_code,
            jurisdiction=institution.jurisdiction,
            evaluator=evaluator,
        )


class KeyOut(msgspec.Struct):
    key_id: int
    kind: str
    key: str
    note: str = "This key is shown once. Store it now; the ledger keeps only its hash."


class CourseOut(msgspec.Struct):
    code: str
    name: str
    occupation_code: str
    catalogue_version: str
    work_type: str
    target_level: int | None
    outcome: str
    dual_rule: str
    mode_tags: list[str]
    hours: int
    starts_on: dt.date
    ends_on: dt.date

    @classmethod
    def of(cls, c: Course) -> CourseOut:
        return cls(
            code=c.code,
            name=c.name,
            occupation_code=c.occupation_code,
            catalogue_version=c.catalogue_version,
            work_type=c.work_type,
            target_level=c.target_level,
            outcome=c.outcome,
            dual_rule=c.dual_rule,
            mode_tags=list(c.mode_tags),
            hours=c.hours,
            starts_on=c.starts_on,
            ends_on=c.ends_on,
        )


class CourseList(msgspec.Struct):
    items: list[CourseOut]
    limit: int
    offset: int


class EarnedCertificateOut(msgspec.Struct):
    number: str
    kind: str
    verification_code: str


class RowOut(msgspec.Struct, omit_defaults=True):
    row: int
    status: str
    completion_id: int | None = None
    trainee_id: uuid.UUID | None = None
    ledger_index: int | None = None
    certificates: list[EarnedCertificateOut] = []
    sheet_row: int | None = None  # a spreadsheet import: the row as the sheet shows it (the header row counted)


class SheetWarningOut(msgspec.Struct, omit_defaults=True):
    """Something a spreadsheet import skipped or ignored (a title row, the school's own columns)."""

    code: str
    message: str
    row: int | None = None
    column: str | None = None


class BatchOut(msgspec.Struct):
    dry_run: bool
    total: int
    created: int
    unchanged: int
    rows: list[RowOut]
    warnings: list[SheetWarningOut] = []


class TraineeCompletionOut(msgspec.Struct):
    course_code: str
    completed_on: dt.date
    passed: bool
    assessment_level: int | None


class TraineeOut(msgspec.Struct):
    id: uuid.UUID
    name: str
    id_number_masked: str
    sex: str
    birth_date: dt.date
    domicile_region: str | None
    completions: list[TraineeCompletionOut]


class Health(msgspec.Struct):
    status: str
    database: str | None = None
    schema_revision: str | None = None
    expected_revision: str | None = None
    reads: str | None = None  # with a read replica: where public verification reads now (replica | primary)
