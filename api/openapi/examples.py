"""Examples of the main calls for the OpenAPI document, built from the Structs the API sends (so a renamed field
shows here as a type error, not as a wrong example). The ID number is SPEC §2.4's specimen, not a person's."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec

from api.certificates.controllers import CertificateList, CertificateOut
from api.certificates.verify import VerificationOut
from api.schemas import BatchOut, CourseOut, EarnedCertificateOut, RowOut

CODE = "7KQ2M4XWB9HC3PDT6ERZ"
NUMBER = "S000065650101254000001"
TRAINEE = uuid.UUID("0b6f2d7e-4c1a-4e8b-9f3d-2a5c7e9b1d04")


def _plain(value: object) -> Any:
    return msgspec.to_builtins(value)


_COURSE_IN = {
    "code": "CHEGONG-2025-07", "name": "数控车工（四级）", "occupation_code": "6-18-01-01",
    "starts_on": "2025-07-01", "ends_on": "2025-08-30", "hours": 120, "outcome": "skill_level",
    "target_level": 4, "dual_rule": "training_skill", "mode_tags": ["order"],
}  # fmt: skip
_COURSE_OUT = CourseOut(
    code="CHEGONG-2025-07", name="数控车工（四级）", occupation_code="6-18-01-01", catalogue_version="2022",
    work_type="", target_level=4, outcome="skill_level", dual_rule="training_skill", mode_tags=["order"], hours=120,
    starts_on=dt.date(2025, 7, 1), ends_on=dt.date(2025, 8, 30),
)  # fmt: skip
_COMPLETIONS_IN = {
    "items": [
        {
            "course_code": "CHEGONG-2025-07",
            "trainee": {"name": "买买提·艾力", "id_number": "650102199001011239"},
            "completed_on": "2025-08-30", "hours": 120, "passed": True,
            "assessment": {"level": 4, "assessed_on": "2025-08-28", "theory_score": 78, "practical_score": 85},
        }
    ]
}  # fmt: skip
_BATCH_OUT = BatchOut(
    dry_run=False, total=1, created=1, unchanged=0,
    rows=[RowOut(row=0, status="created", completion_id=1, trainee_id=TRAINEE, ledger_index=12,
                 certificates=[EarnedCertificateOut(NUMBER, "skill_level", CODE)])],
)  # fmt: skip
_CERTIFICATE = CertificateOut(
    number=NUMBER, kind="skill_level", status="valid", verification_code=CODE, level=4,
    occupation_code="6-18-01-01", issued_on=dt.date(2025, 8, 30), holder_name="买买提·艾力", status_reason="",
    status_reason_code="", status_effective_on=None, verify_url=f"https://ledger.example/v/{CODE}",
    qr_text=f"https://ledger.example/v/{CODE}/…",
)  # fmt: skip
_REVOKED = msgspec.structs.replace(
    _CERTIFICATE, status="revoked", status_reason_code="exam_misconduct", status_reason="考评舞弊",
    status_effective_on=dt.date(2025, 9, 1),
)  # fmt: skip
_VERIFICATION = VerificationOut(
    code=CODE, status="valid", status_reason_code=None, status_reason=None, status_effective_on=None,
    superseded_by=None, kind="skill_level", number=NUMBER, holder="买买提·艾*", occupation_code="6-18-01-01",
    occupation_name="车工", work_type="--", level=4, level_text="四级/中级工", issuer="乌鲁木齐市职业技能鉴定中心",
    issuer_code="XJ-EVAL-01", issued_on=dt.date(2025, 8, 30), status_list_index=0,
    ledger=f"/api/v1/ledger/certificates/{CODE}",
)  # fmt: skip

# (method, OpenAPI path) -> {"request": body, "<status>": answer}
EXAMPLES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/v1/courses"): {"request": _COURSE_IN, "201": _plain(_COURSE_OUT)},
    ("POST", "/api/v1/completions"): {"request": _COMPLETIONS_IN, "201": _plain(_BATCH_OUT)},
    ("POST", "/api/v1/completions/import"): {"201": _plain(_BATCH_OUT)},
    ("GET", "/api/v1/certificates"): {"200": _plain(CertificateList([_CERTIFICATE], 100, 0, 1, None))},
    ("GET", "/api/v1/certificates/{number}"): {"200": _plain(_CERTIFICATE)},
    ("POST", "/api/v1/certificates/{number}/revoke"): {
        "request": {"reason_code": "exam_misconduct", "reason": "考评舞弊", "effective_on": "2025-09-01"},
        "200": _plain(_REVOKED),
    },
    ("POST", "/api/v1/certificates/{number}/reissue"): {
        "request": {"reason_code": "name_correction", "corrected_name": "买买提·艾力江"},
    },
    ("GET", "/api/v1/verify/{code}"): {"200": _plain(_VERIFICATION)},
}

PROBLEM_EXAMPLES: dict[int, dict[str, Any]] = {
    400: {
        "type": "/problems/bad-request", "title": "Bad request", "status": 400,
        "detail": "未知的查询参数：colour（unknown query parameter: colour）",
        "errors": [{"field": "colour", "code": "unknown_parameter",
                    "message": "未知的查询参数 / unknown query parameter `colour`"}],
    },
    401: {"type": "/problems/unauthorized", "title": "Authentication required", "status": 401,
          "detail": "请提供 API 密钥（send an API key: Authorization: Bearer <key>）"},
    403: {"type": "/problems/forbidden", "title": "Forbidden", "status": 403,
          "detail": "此操作需要机构密钥（this needs an institution key）"},
    404: {"type": "/problems/not-found", "title": "Not found", "status": 404, "detail": "certificate not found"},
    422: {
        "type": "/problems/validation", "title": "The input is invalid", "status": 422,
        "detail": "the request does not match the schema",
        "errors": [
            {"row": 0, "field": "hours", "code": "invalid", "message": "Expected `int`, got `str`"},
            {"row": 2, "field": "completed_on", "code": "required",
             "message": "Object missing required field `completed_on`"},
        ],
    },
    429: {"type": "/problems/rate-limited", "title": "Too many requests", "status": 429,
          "detail": "请求过于频繁，请稍后再试（too many requests; retry later）"},
    503: {"type": "/problems/unavailable", "title": "Service unavailable", "status": 503,
          "detail": "服务暂时不可用，未保存任何数据，请稍后重试"
                    "（the database or Redis is unavailable; nothing was saved; retry）"},
}  # fmt: skip
