"""What callers ask the ledger to do: msgspec Structs shared by the API (as its wire contract), the CSV import
and the CLI. Shape is checked by msgspec; domain rules are checked by the services."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

import msgspec

from ledger.errors import FieldError, InvalidInput
from ledger.settings import DEFAULT_MAX_BATCH_ROWS

# Bidirectional embedding, override and isolate controls (U+202A-U+202E, U+2066-U+2069) can make a printed or
# displayed name read as something else ("Trojan Source"): no free text that reaches a page or a PDF may hold one.
# The pattern is written with escapes, so msgspec's message quoting it holds no control itself.
BIDI_CONTROLS = r"\u202a-\u202e\u2066-\u2069"
NO_BIDI = rf"^[^{BIDI_CONTROLS}]*$"
_BIDI = re.compile(f"[{BIDI_CONTROLS}]")
BIDI_MESSAGE = (
    "不能包含双向文字控制字符（U+202A–U+202E、U+2066–U+2069） / must not contain bidirectional control characters"
)

Code = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Text = Annotated[str, msgspec.Meta(max_length=200, pattern=NO_BIDI)]
Title = Annotated[str, msgspec.Meta(min_length=1, max_length=128, pattern=NO_BIDI)]  # a name shown on pages and PDFs
ShortText = Annotated[str, msgspec.Meta(max_length=64, pattern=NO_BIDI)]
ROWS = f"at most LEDGER_MAX_BATCH_ROWS rows (default {DEFAULT_MAX_BATCH_ROWS:,})"  # checked by check_batch_size


class Strict(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    pass


class EvaluatorFilingIn(Strict):
    category: Literal["Y", "S"]
    filing_code: Annotated[str, msgspec.Meta(pattern=r"^\d{4}$")]
    site_code: Annotated[str, msgspec.Meta(pattern=r"^\d{6}$")]
    occupations: list[FiledOccupationIn] = []


class FiledOccupationIn(Strict):
    occupation_code: Code
    levels: list[int]


class InstitutionIn(Strict):
    code: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_-]{2,32}$")]
    name: Title
    kind: Literal["training", "technical_school", "evaluator", "enterprise"]
    region_code: str
    jurisdiction: Literal["zizhiqu", "bingtuan"]
    evaluator: EvaluatorFilingIn | None = None


class KeyIn(Strict):
    label: Text = ""


class BureauKeyIn(Strict):
    region_code: str
    label: Text = ""


class CourseIn(Strict):
    code: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
    name: Title
    occupation_code: str
    starts_on: dt.date
    ends_on: dt.date
    hours: int
    outcome: Literal["skill_level", "special_ability", "training"] = "skill_level"
    target_level: int | None = None
    dual_rule: Literal["none", "training_skill", "graduation_skill"] = "none"
    work_type: ShortText = ""
    mode_tags: list[Literal["order", "project", "industry_education_evaluation", "skills_light_future"]] = []


class TraineeIn(Strict):
    name: str
    id_number: str
    gender: str | None = None
    domicile_region: str | None = None
    phone: str | None = None


class AssessmentIn(Strict):
    level: int
    assessed_on: dt.date | None = None
    theory_score: float | None = None
    practical_score: float | None = None


class CompletionIn(Strict):
    course_code: str
    trainee: TraineeIn
    completed_on: dt.date
    hours: int
    passed: bool
    assessment: AssessmentIn | None = None
    graduation_number: ShortText | None = None


class CompletionBatch(Strict):
    items: Annotated[list[CompletionIn], msgspec.Meta(min_length=1, description=ROWS)]


def has_bidi_control(text: str) -> bool:
    return _BIDI.search(text) is not None


def refuse_bidi_controls(fields: dict[str, str | None], row: int | None = None) -> list[FieldError]:
    """A `bidi_control` error for each named value holding a bidirectional control, for values that did not pass
    through a Struct's `NO_BIDI` pattern (a spreadsheet's cells)."""
    return [
        FieldError(name, "bidi_control", BIDI_MESSAGE, row=row)
        for name, value in fields.items()
        if value and has_bidi_control(value)
    ]


def check_batch_size(rows: int, limit: int, field: str = "items") -> None:
    """Refuse a request of more than `limit` rows (the domain setting `max_batch_rows`) before any work."""
    if rows > limit:
        message = f"一次最多提交 {limit} 行，请分批提交 / at most {limit} rows in one request; split it"
        raise InvalidInput(message, errors=[FieldError(field, "too_many_rows", message)])
