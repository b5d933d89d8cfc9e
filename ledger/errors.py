"""Domain errors. They carry no HTTP status: the web layer maps each class to one problem type."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class FieldError:
    """One bad value: which row (0-based, for batches; the sheet row for a spreadsheet), which field, a stable code
    and a human message; `column` is the header a clerk gave the field in a spreadsheet."""

    field: str
    code: str
    message: str
    row: int | None = None
    column: str | None = None

    def at_row(self, row: int) -> FieldError:
        return FieldError(field=self.field, code=self.code, message=self.message, row=row, column=self.column)


class LedgerError(Exception):
    """Base of every error the domain raises on purpose."""

    def __init__(self, detail: str, *, errors: list[FieldError] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors: list[FieldError] = errors or []

    def __reduce__(self) -> tuple[object, ...]:
        # Whatever a subclass's __init__ takes: the error crosses from the writer and CPU pool processes whole.
        return (_rebuilt, (type(self), self.args, self.__dict__))


def _rebuilt(cls: type[LedgerError], args: tuple[object, ...], state: dict[str, object]) -> LedgerError:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class NotFound(LedgerError):
    """The thing does not exist, or the caller may not know that it does."""


class Conflict(LedgerError):
    """The request clashes with the current state (a duplicate code, a replayed key with another body)."""


class RuleViolation(LedgerError):
    """Well-formed input that a domain rule forbids (an unfiled level, a completion before its course)."""


class InvalidInput(LedgerError):
    """Input that is malformed: bad check character, impossible date, unknown field."""


@dataclass(slots=True)
class ErrorCollector:
    """Gathers field errors across a batch so that every bad row is reported at once."""

    errors: list[FieldError] = field(default_factory=list)

    def add(self, field_name: str, code: str, message: str, row: int | None = None) -> None:
        self.errors.append(FieldError(field=field_name, code=code, message=message, row=row))

    def __bool__(self) -> bool:
        return bool(self.errors)
