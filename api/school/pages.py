"""What the portal's templates (`templates/school/`) show, worked out from the domain's records."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncSession

from api.school.course_form import TEXT_FIELDS as FORM_FIELDS
from api.school.wording import (
    DUAL_RULES,
    LEVELS,
    MODE_TAGS,
    OUTCOMES,
    REASONS_FOR,
    kind_name,
    level_name,
    reason_name,
    status_name,
)
from ledger import clock
from ledger.certificates.tables import Certificate
from ledger.registration.tables import Course
from ledger.tenancy.service import filings_of
from ledger.tenancy.tables import Institution

TITLE = "学校门户"
LOGIN = "school/login.html"
OVERVIEW = "school/overview.html"
COURSES = "school/courses.html"
NEW_COURSE = "school/course_new.html"
COURSE = "school/course.html"
CERTIFICATE = "school/certificate.html"
PROBLEM = "school/problem.html"
COURSES_SHOWN = 20  # on the overview; the course list pages on
PAGE_SIZE = 50
INSTITUTION_KINDS = {"training": "培训机构", "technical_school": "技工院校", "evaluator": "评价机构",
                     "enterprise": "企业"}  # fmt: skip
UTC8 = dt.timezone(dt.timedelta(hours=8))


@dataclass(frozen=True, slots=True)
class School:
    """The signed-in institution, as the header and overview show it."""

    code: str
    name: str
    kind: str
    evaluator: bool
    filings: Sequence[tuple[str, str]]  # (occupation code, the levels it is filed for)


@dataclass(frozen=True, slots=True)
class CourseRow:
    code: str
    name: str
    occupation_code: str
    outcome: str
    level: str
    dual_rule: str
    dates: str
    hours: int
    mode_tags: str
    href: str  # its page


@dataclass(frozen=True, slots=True)
class CertificateRow:
    number: str
    holder: str
    kind: str
    level: str
    status: str  # its code: valid, suspended, revoked, superseded
    status_name: str
    issued_on: str
    verification_code: str
    href: str  # its page; its PDF is at href + "/pdf"


@dataclass(frozen=True, slots=True)
class Pager:
    page: int
    pages: int
    total: int
    base: str  # the page's address without its page number
    params: dict[str, str] = field(default_factory=dict)

    def href(self, page: int) -> str:
        return f"{self.base}?{urlencode({**self.params, 'page': page})}"

    @property
    def previous(self) -> str | None:
        return self.href(self.page - 1) if self.page > 1 else None

    @property
    def next(self) -> str | None:
        return self.href(self.page + 1) if self.page < self.pages else None


def pager(page: int, total: int, base: str, **params: str) -> Pager:
    return Pager(min(page, max(1, -(-total // PAGE_SIZE))), max(1, -(-total // PAGE_SIZE)), total, base, params)


async def institution_of(session: AsyncSession, institution_id: int) -> School:
    institution = await session.get(Institution, institution_id)
    assert institution is not None
    by_occupation: dict[str, list[int]] = {}
    for code, level in await filings_of(session, institution_id):
        by_occupation.setdefault(code, []).append(level)
    filings = [(code, "、".join(level_name(lv) for lv in sorted(lv))) for code, lv in sorted(by_occupation.items())]
    return School(
        institution.code,
        institution.name,
        INSTITUTION_KINDS.get(institution.kind, institution.kind),
        institution.evaluator_category is not None,
        filings,
    )


def course_row(course: Course) -> CourseRow:
    return CourseRow(
        code=course.code,
        name=course.name,
        occupation_code=course.occupation_code,
        outcome=OUTCOMES.get(course.outcome, course.outcome),
        level=level_name(course.target_level),
        dual_rule=DUAL_RULES.get(course.dual_rule, course.dual_rule),
        dates=f"{course.starts_on.isoformat()} 至 {course.ends_on.isoformat()}",
        hours=course.hours,
        mode_tags="、".join(MODE_TAGS.get(t, t) for t in course.mode_tags),
        href=f"/school/courses/{course.code}",
    )


def certificate_row(certificate: Certificate) -> CertificateRow:
    return CertificateRow(
        number=certificate.number,
        holder=str(certificate.snapshot.get("holder_name", "")),
        kind=kind_name(certificate.kind),
        level=level_name(certificate.level),
        status=certificate.status,
        status_name=status_name(certificate.status),
        issued_on=certificate.issued_on.isoformat(),
        verification_code=certificate.verification_code,
        href=f"/school/certificates/{certificate.number}",
    )


def login_context(error: str | None = None) -> dict[str, object]:
    return {"title": TITLE, "error": error}


def problem_context(message: str, status: int) -> dict[str, object]:
    return {"title": TITLE, "message": message, "status": status}


def overview_context(
    school: School, courses: Sequence[Course], recent: Sequence[Certificate], total: int
) -> dict[str, object]:
    return {
        "title": TITLE,
        "school": school,
        "courses": [course_row(c) for c in courses[:COURSES_SHOWN]],
        "more_courses": len(courses) > COURSES_SHOWN,
        "recent": [certificate_row(c) for c in recent],
        "total": total,
    }


def courses_context(school: School, courses: Sequence[Course], page: Pager) -> dict[str, object]:
    return {"title": TITLE, "school": school, "courses": [course_row(c) for c in courses], "pager": page}


@dataclass(frozen=True, slots=True)
class CourseForm:
    """The new-course form: what was typed (kept when the form comes back with errors) and each field's error."""

    values: dict[str, object]
    errors: dict[str, str]
    occupations: Sequence[tuple[str, str]]  # (code, name), the whole catalogue
    problem: str | None = None


def course_form(
    values: Mapping[str, object],
    errors: Mapping[str, str],
    occupations: Sequence[tuple[str, str]],
    problem: str | None = None,
) -> CourseForm:
    """The form with every field present (blank where nothing was typed or nothing is wrong)."""
    names = (*FORM_FIELDS, "mode_tags")
    filled = {name: values.get(name, [] if name == "mode_tags" else "") for name in names}
    return CourseForm(filled, {name: errors.get(name, "") for name in names}, occupations, problem)


def new_course_context(school: School, form: CourseForm) -> dict[str, object]:
    return {
        "title": TITLE,
        "school": school,
        "form": form,
        "outcomes": OUTCOMES,
        "dual_rules": DUAL_RULES,
        "mode_tags": MODE_TAGS,
        "levels": LEVELS,
    }


def course_context(
    school: School, course: Course, certificates: Sequence[Certificate], page: Pager, status: str | None
) -> dict[str, object]:
    return {
        "title": TITLE,
        "school": school,
        "course": course_row(course),
        "certificates": [certificate_row(c) for c in certificates],
        "pager": page,
        "status": status or "",
        "statuses": {"valid": "有效", "suspended": "已暂停", "revoked": "已撤销", "superseded": "已被补发替代"},
    }


@dataclass(frozen=True, slots=True)
class StatusForm:
    """A status action's form as it came back: which action, what was typed, what is wrong."""

    action: str
    values: dict[str, str]
    errors: dict[str, str]
    problem: str | None = None


def certificate_context(
    school: School,
    certificate: Certificate,
    course: CourseRow | None,
    public_base: str,
    successor: str | None = None,
    done: str | None = None,
    form: StatusForm | None = None,
) -> dict[str, object]:
    row = certificate_row(certificate)
    snapshot = certificate.snapshot
    effective = certificate.status_effective_on
    return {
        "title": TITLE,
        "school": school,
        "certificate": row,
        "course": course,
        "occupation": f"{certificate.occupation_code} {snapshot.get('occupation_name', '')}".strip(),
        "work_type": snapshot.get("work_type", ""),
        "id_display": snapshot.get("id_number_display", ""),
        "reason": "：".join(x for x in (reason_name(certificate.status_reason_code), certificate.status_reason) if x),
        "reasons": {a: [(c, reason_name(c)) for c in codes] for a, codes in REASONS_FOR.items()},
        "effective_on": effective.isoformat() if effective else "",
        "verify_url": f"{public_base}/v/{certificate.verification_code}",
        "successor": successor,
        "done": done,
        "form": form,
        "actions": {
            "suspend": certificate.status == "valid",
            "revoke": certificate.status in ("valid", "suspended"),
            "reinstate": certificate.status == "suspended",
            "reissue": certificate.status == "valid" and certificate.kind != "graduation" and certificate.course_id,
        },
        "today": clock.today().isoformat(),
    }
