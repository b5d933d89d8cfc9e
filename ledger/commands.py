"""What callers ask the ledger to do: msgspec Structs shared by the API (as its wire contract), the CSV import
and the CLI. Shape is checked by msgspec; domain rules are checked by the services."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

from ledger.errors import FieldError, InvalidInput
from ledger.settings import DEFAULT_MAX_BATCH_ROWS

Code = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Text = Annotated[str, msgspec.Meta(max_length=200)]
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
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
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
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
    occupation_code: str
    starts_on: dt.date
    ends_on: dt.date
    hours: int
    outcome: Literal["skill_level", "special_ability", "training"] = "skill_level"
    target_level: int | None = None
    dual_rule: Literal["none", "training_skill", "graduation_skill"] = "none"
    work_type: Annotated[str, msgspec.Meta(max_length=64)] = ""
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
    graduation_number: Annotated[str, msgspec.Meta(max_length=64)] | None = None


class CompletionBatch(Strict):
    items: Annotated[list[CompletionIn], msgspec.Meta(min_length=1, description=ROWS)]


def check_batch_size(rows: int, limit: int, field: str = "items") -> None:
    """Refuse a request of more than `limit` rows (the domain setting `max_batch_rows`) before any work."""
    if rows > limit:
        message = f"一次最多提交 {limit} 行，请分批提交 / at most {limit} rows in one request; split it"
        raise InvalidInput(message, errors=[FieldError(field, "too_many_rows", message)])
