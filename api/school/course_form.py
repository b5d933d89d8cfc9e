"""The new-course form: its fields read as `CourseIn` (each checked against CourseIn's own annotations, so that every
bad field is named at once), and the domain's refusals put back next to the fields they name."""

from __future__ import annotations

import typing
from collections.abc import Mapping, Sequence

import msgspec

from api.school.wording import SHAPES, in_chinese
from ledger.commands import BIDI_MESSAGE, CourseIn, has_bidi_control
from ledger.errors import FieldError

TEXT_FIELDS = ("code", "name", "occupation_code", "starts_on", "ends_on", "hours", "outcome", "target_level",
               "dual_rule", "work_type")  # fmt: skip
OPTIONAL = {"target_level", "dual_rule", "work_type", "outcome"}


def read_course_form(form: Mapping[str, str], mode_tags: Sequence[str]) -> tuple[CourseIn | None, dict, dict]:
    """The course a form asks for, or None; the values to show again; each field's error in Chinese."""
    hints = typing.get_type_hints(CourseIn, include_extras=True)
    shown: dict[str, object] = {name: str(form.get(name, "")).strip() for name in TEXT_FIELDS}
    shown["mode_tags"] = list(mode_tags)
    values: dict[str, object] = {}
    errors: dict[str, str] = {}
    for name, raw in shown.items():
        if raw in ("", []):
            if name == "mode_tags" or name in OPTIONAL:
                continue
            errors[name] = "此项必填"
            continue
        try:
            values[name] = msgspec.convert(raw, hints[name], strict=False)
        except msgspec.ValidationError:
            errors[name] = BIDI_MESSAGE if isinstance(raw, str) and has_bidi_control(raw) else SHAPES[name]
    if errors:
        return None, shown, errors
    return msgspec.convert(values, CourseIn, strict=False), shown, errors


def field_errors(errors: Sequence[FieldError]) -> tuple[dict[str, str], list[str]]:
    """The domain's field errors by form field; those that name no field of the form, as messages for the top."""
    by_field: dict[str, str] = {}
    others: list[str] = []
    for error in errors:
        if error.field in TEXT_FIELDS or error.field == "mode_tags":
            by_field.setdefault(error.field, in_chinese(error))
        else:
            others.append(in_chinese(error))
    return by_field, others
