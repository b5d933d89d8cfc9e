"""What the upload pages show: the form with its templates, the preview of a dry run, the result of a confirm."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from api.school import pages
from api.school.wording import OUTCOMES, kind_name
from ledger.certificates.tables import Certificate
from ledger.errors import FieldError
from ledger.jobs.files import FileInfo
from ledger.registration.sheets import Chunk, Sheet
from ledger.registration.tables import Course

UPLOAD = "school/upload.html"
PREVIEW = "school/preview.html"
RESULT = "school/result.html"
SHOWN_ERRORS = 500  # errors listed on the preview; the error workbook has them all


@dataclass(frozen=True, slots=True)
class Notice:
    """An error or a warning as the clerk reads it: where (the sheet row and the clerk's header), and what."""

    row: int | None
    column: str
    message: str


@dataclass(frozen=True, slots=True)
class Template:
    href: str
    label: str


def upload_context(
    school: pages.School, courses: Sequence[Course], chosen: str | None, error: str | None = None
) -> dict[str, object]:
    templates = [
        Template(f"/school/courses/{c.code}/template.xlsx", f"{c.code} {c.name}") for c in courses
    ]  # the course's own, its course code filled in
    kinds = [Template(f"/school/templates/{outcome}.xlsx", label) for outcome, label in OUTCOMES.items()]
    kinds.insert(1, Template("/school/templates/skill_level.xlsx?dual_rule=graduation_skill",
                             "职业技能等级证书（技工院校双证，含毕业证书编号）"))  # fmt: skip
    return {
        "title": pages.TITLE,
        "school": school,
        "course_templates": templates,
        "kind_templates": kinds,
        "chosen": chosen or "",
        "error": error,
    }


def _notices(errors: Sequence[FieldError]) -> list[Notice]:
    return [Notice(e.row, e.column or ("整个文件" if e.row is None else ""), e.message) for e in errors]


def preview_context(
    school: pages.School,
    info: FileInfo,
    sheet: Sheet | None,
    whole: Chunk | None,
    errors: Sequence[FieldError],
    refused: str | None = None,
) -> dict[str, object]:
    """The dry run of an upload: how many rows and for which courses, what was skipped, what is wrong."""
    items = whole.items if whole is not None else []
    by_course = Counter(item.course_code for item in items)
    passed = sum(item.passed for item in items)
    bad_rows = {e.row for e in errors if e.row is not None}
    return {
        "title": pages.TITLE,
        "school": school,
        "file": info,
        "size": f"{info.size / 1024:,.1f} KB",
        "header_row": sheet.header.row if sheet is not None else None,
        "rows": len(items),
        "passed": passed,
        "by_course": sorted(by_course.items()),
        "warnings": [Notice(w.row, w.column or "", w.message) for w in sheet.warnings] if sheet else [],
        "errors": _notices(errors[:SHOWN_ERRORS]),
        "error_total": len(errors),
        "bad_rows": len(bad_rows),
        "workbook": f"/school/uploads/{info.id}/errors.xlsx" if errors and sheet is not None else None,
        "can_confirm": whole is not None and not errors,
        "refused": refused,
        "confirm": f"/school/uploads/{info.id}/confirm",
    }


@dataclass(frozen=True, slots=True)
class Issued:
    row: int
    status: str  # 新登记 or 已登记（未变）
    certificate: pages.CertificateRow | None


def issued_lines(rows: Sequence[Any], found: Mapping[str, Certificate]) -> list[Issued]:
    """Registered rows (each with its sheet `row`, `status` and `certificates`, a certificate's number first) as
    the lines of a result: a line per certificate the row earned, or one without when it earned none."""
    lines: list[Issued] = []
    for row in rows:
        status = "新登记" if row.status == "created" else "已登记（未变）"
        certificates = [found[c[0]] for c in row.certificates if c[0] in found]
        if not certificates:
            lines.append(Issued(row.row, status, None))
        lines += [Issued(row.row, status, pages.certificate_row(c)) for c in certificates]
    return lines


def result_context(
    school: pages.School, result: Any, shown: Sequence[Any], found: Mapping[str, Certificate], pager: pages.Pager
) -> dict[str, object]:
    """A page of the rows of a confirmed upload, each with every certificate it earned (a row with none shows
    once, without); the counts are of the whole upload."""
    lines = issued_lines(shown, found)
    kinds = Counter(kind_name(kind) for row in result.rows for _, kind in row.certificates)
    return {
        "title": pages.TITLE,
        "school": school,
        "filename": result.filename,
        "registered_at": result.registered_at.astimezone(pages.UTC8).strftime("%Y-%m-%d %H:%M"),
        "created": sum(r.status == "created" for r in result.rows),
        "unchanged": sum(r.status != "created" for r in result.rows),
        "certificates": sum(kinds.values()),
        "kinds": sorted(kinds.items()),
        "lines": lines,
        "pager": pager,
    }
