"""Constraint violations as domain errors, by constraint name: a unique violation is a Conflict naming the field, a
broken foreign key, check or not-null is InvalidInput naming the field. A constraint this map does not know is never
"already exists": it is a Conflict or InvalidInput without fields. The driver's text (which quotes the statement's
values) is never carried over.

Every constraint of the schema is here (a test compares the map with a migrated database), except those of the log,
the statistics tables, signing keys, number counters, jobs, stored files and
holder-check budgets: no request writes those directly, so
a violation there is a bug and gets the generic answer.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeAlias

import asyncpg
import sqlalchemy.exc

from ledger.errors import Conflict, FieldError, InvalidInput, LedgerError


@dataclass(frozen=True, slots=True)
class ConstraintRule:
    field: str
    code: str
    message: str  # Chinese first, then English, as a clerk reads it


def _rule(field: str, code: str, chinese: str, english: str) -> ConstraintRule:
    return ConstraintRule(field, code, f"{chinese} / {english}")


log = logging.getLogger("ledger.database.constraints")

_RETRY = ("请重试。", "a generated value collided with another; send the request again")

CONSTRAINTS: dict[str, ConstraintRule] = {
    # unique (and primary keys a request chooses)
    "uq_institutions_code": _rule("code", "taken", "该机构代码已被使用。", "this institution code is already taken"),
    "uq_courses_institution_id_code": _rule(
        "code", "taken", "本机构已有该课程代码。", "this institution already has a course with this code"
    ),
    "uq_certificates_graduation_number": _rule(
        "graduation_number", "taken", "该毕业证书编号已登记。", "this graduation certificate number is already recorded"
    ),
    "uq_certificates_number": _rule(
        "number", "taken", "该证书编号已登记。", "this certificate number is already recorded"
    ),
    "uq_certificates_original_per_completion": _rule(
        "course_code",
        "certificate_exists",
        "该结业记录已颁发此类证书。",
        "this completion already has this certificate",
    ),
    "uq_certificates_supersedes_id": _rule(
        "number", "already_reissued", "该证书已被补发。", "this certificate has already been reissued"
    ),
    "uq_certificates_superseded_by_id": _rule(
        "number", "already_reissued", "该证书已被补发。", "this certificate has already been reissued"
    ),
    "uq_certificates_verification_code": _rule("verification_code", "retry", *_RETRY),
    "uq_certificates_status_index": _rule("status_index", "retry", *_RETRY),
    "uq_api_keys_secret_hash": _rule("key", "retry", *_RETRY),
    "uq_completions_course_id_trainee_id": _rule(
        "course_code",
        "completion_exists",
        "该学员的此课程结业记录已登记。",
        "this trainee's completion of this course is already registered",
    ),
    "uq_trainees_institution_id_person_id": _rule(
        "trainee.id_number",
        "registered_concurrently",
        "该学员正由另一请求登记，请重试。",
        "another request is registering this trainee; send the request again",
    ),
    # says nothing of other institutions: whether an ID number is known elsewhere is never revealed
    "uq_persons_id_lookup": _rule(
        "trainee.id_number",
        "registered_concurrently",
        "该学员正由另一请求登记，请重试。",
        "another request is registering this trainee; send the request again",
    ),
    "uq_dual_awards_completion_id": _rule(
        "course_code", "award_exists", "该结业记录已有双证书记录。", "this completion already has its dual award"
    ),
    "uq_idempotency_records_api_key_id_key": _rule(
        "Idempotency-Key",
        "in_use",
        "该幂等键正被另一请求使用，请重试。",
        "another request is using this Idempotency-Key; send the request again",
    ),
    "pk_plan_targets": _rule("code", "taken", "该计划代码已存在。", "a plan with this code exists"),
    "pk_baseline_stock": _rule(
        "region_code",
        "loaded_concurrently",
        "该地区的基线正由另一请求载入，请重试。",
        "another request loaded the baseline of this region at the same time; send the request again",
    ),
    "uq_published_figures_region_code_jurisdiction_figure_as_of": _rule(
        "figures",
        "recorded_concurrently",
        "该地区该日的公布数正由另一请求登记，请重试。",
        "another request recorded this region's figure for this date at the same time; send the request again",
    ),
    "pk_evaluator_filings": _rule(
        "evaluator.occupations", "duplicate", "同一职业和等级重复备案。", "an occupation and level is filed twice"
    ),
    "pk_regions": _rule("code", "taken", "该行政区划代码已存在。", "this region code exists"),
    "pk_occupations": _rule("code", "taken", "该职业代码已存在。", "this occupation code exists"),
    "ck_certificates_status_reason_code": _rule(
        "reason_code", "unknown_reason", "不是规定的原因代码。", "not one of the listed reason codes"
    ),
    "ck_certificate_status_changes_reason_code": _rule(
        "reason_code", "unknown_reason", "不是规定的原因代码。", "not one of the listed reason codes"
    ),
    "ck_certificate_shares_purpose": _rule(
        "purpose", "invalid", "用途为 1 至 100 个字。", "a purpose is 1 to 100 characters"
    ),
    "ck_certificate_shares_expiry": _rule(
        "expires_on", "out_of_range", "分享链接最长有效 90 天。", "a share link lasts at most 90 days"
    ),
    "ck_certificate_shares_token_hash": _rule("token", "invalid", *_RETRY),
    "uq_certificate_shares_token_hash": _rule("token", "taken", *_RETRY),
    "fk_certificate_shares_certificate_id_certificates": _rule(
        "number", "unknown_certificate", "证书不存在。", "no such certificate"
    ),
    # foreign keys
    "fk_institutions_region_code_regions": _rule(
        "region_code", "unknown_region", "行政区划代码不存在（GB/T 2260）。", "not a known region code (GB/T 2260)"
    ),
    "fk_regions_parent_code_regions": _rule(
        "parent_code", "unknown_region", "上级行政区划代码不存在。", "the parent region is not known"
    ),
    "fk_trainees_domicile_region_code_regions": _rule(
        "trainee.domicile_region",
        "unknown_region",
        "户籍地代码不存在（GB/T 2260）。",
        "not a known region code (GB/T 2260)",
    ),
    "fk_baseline_stock_region_code_regions": _rule(
        "region_code", "unknown_region", "行政区划代码不存在（GB/T 2260）。", "not a known region code (GB/T 2260)"
    ),
    "fk_published_figures_region_code_regions": _rule(
        "region_code", "unknown_region", "行政区划代码不存在（GB/T 2260）。", "not a known region code (GB/T 2260)"
    ),
    "fk_plan_targets_region_code_regions": _rule(
        "region_code", "unknown_region", "行政区划代码不存在（GB/T 2260）。", "not a known region code (GB/T 2260)"
    ),
    "fk_courses_occupation_code_occupations": _rule(
        "occupation_code", "unknown_occupation", "职业代码不在职业分类大典中。", "not in the occupation catalogue"
    ),
    "fk_evaluator_filings_occupation_code_occupations": _rule(
        "evaluator.occupations", "unknown_occupation", "备案职业不在职业分类大典中。", "not in the occupation catalogue"
    ),
    "fk_certificates_occupation_code_occupations": _rule(
        "occupation_code", "unknown_occupation", "职业代码不在职业分类大典中。", "not in the occupation catalogue"
    ),
    "fk_courses_institution_id_institutions": _rule(
        "institution", "unknown_institution", "机构不存在。", "the institution does not exist"
    ),
    "fk_api_keys_institution_id_institutions": _rule(
        "institution", "unknown_institution", "机构不存在。", "the institution does not exist"
    ),
    "fk_evaluator_filings_institution_id_institutions": _rule(
        "institution", "unknown_institution", "机构不存在。", "the institution does not exist"
    ),
    "fk_trainees_institution_id_institutions": _rule(
        "institution", "unknown_institution", "机构不存在。", "the institution does not exist"
    ),
    "fk_certificates_institution_id_institutions": _rule(
        "institution", "unknown_institution", "机构不存在。", "the institution does not exist"
    ),
    "fk_idempotency_records_api_key_id_api_keys": _rule(
        "Authorization", "unknown_key", "密钥不存在或已撤销。", "the API key does not exist"
    ),
    "fk_completions_course_id_courses": _rule(
        "course_code", "unknown_course", "本机构没有该课程。", "no such course at this institution"
    ),
    "fk_certificates_course_id_courses": _rule(
        "course_code", "unknown_course", "本机构没有该课程。", "no such course at this institution"
    ),
    "fk_completions_trainee_id_trainees": _rule(
        "trainee", "unknown_trainee", "学员不存在。", "the trainee does not exist"
    ),
    "fk_trainees_person_id_persons": _rule("trainee", "unknown_trainee", "学员不存在。", "the trainee does not exist"),
    "fk_certificates_person_id_persons": _rule(
        "trainee", "unknown_trainee", "学员不存在。", "the trainee does not exist"
    ),
    "fk_certificates_completion_id_completions": _rule(
        "course_code", "unknown_completion", "结业记录不存在。", "the completion does not exist"
    ),
    "fk_dual_awards_completion_id_completions": _rule(
        "course_code", "unknown_completion", "结业记录不存在。", "the completion does not exist"
    ),
    **{
        name: _rule("number", "unknown_certificate", "证书不存在。", "the certificate does not exist")
        for name in (
            "fk_certificates_superseded_by_id_certificates",
            "fk_certificates_supersedes_id_certificates",
            "fk_certificate_pdfs_certificate_id_certificates",
            "fk_certificate_status_changes_certificate_id_certificates",
            "fk_dual_awards_companion_certificate_id_certificates",
            "fk_dual_awards_skill_certificate_id_certificates",
        )
    },
    # checks
    "ck_institutions_code_format": _rule(
        "code", "invalid", "机构代码为2至32位字母、数字、_或-。", "2-32 of A-Z a-z 0-9 _ -"
    ),
    "ck_institutions_filing": _rule(
        "evaluator",
        "invalid",
        "评价机构备案须有类别（Y/S）、4位备案号和6位站点代码。",
        "an evaluator filing has a category (Y/S), a 4-digit filing code and a 6-digit site code",
    ),
    "ck_institutions_jurisdiction": _rule("jurisdiction", "invalid", "管辖为自治区或兵团。", "zizhiqu or bingtuan"),
    "ck_institutions_kind": _rule(
        "kind", "invalid", "机构类型无效。", "one of training, technical_school, evaluator, enterprise"
    ),
    "ck_regions_code_format": _rule("code", "invalid", "行政区划代码为6位数字。", "a region code is 6 digits"),
    "ck_regions_jurisdiction": _rule("jurisdiction", "invalid", "管辖为自治区或兵团。", "zizhiqu or bingtuan"),
    "ck_regions_level": _rule("level", "invalid", "层级为省、地、县。", "province, prefecture or county"),
    "ck_occupations_code_format": _rule(
        "occupation_code", "invalid", "职业代码格式为 D-DD-DD-DD。", "an occupation code is D-DD-DD-DD"
    ),
    "ck_occupations_major_group": _rule("occupation_code", "invalid", "职业大类为1至8。", "the major group is 1 to 8"),
    "ck_persons_sex": _rule("trainee.gender", "invalid", "性别为男或女。", "gender is M or F"),
    "ck_api_keys_kind": _rule("kind", "invalid", "密钥类型无效。", "admin, institution or bureau"),
    "ck_api_keys_scope": _rule(
        "region_code",
        "invalid",
        "机构密钥属于机构，人社局密钥属于地区。",
        "an institution key belongs to an institution, a bureau key to a region",
    ),
    "ck_courses_dates": _rule(
        "ends_on", "before_start", "课程结束日期早于开始日期。", "the course ends before it starts"
    ),
    "ck_courses_dual_needs_certificate": _rule(
        "dual_rule",
        "not_allowed",
        "双证书课程须颁发技能证书。",
        "a dual-certificate course must award a skill certificate",
    ),
    "ck_courses_dual_rule": _rule(
        "dual_rule", "invalid", "双证书规则无效。", "none, training_skill or graduation_skill"
    ),
    "ck_courses_hours": _rule("hours", "out_of_range", "课时须大于0。", "hours are more than 0"),
    "ck_courses_level_for_outcome": _rule(
        "target_level",
        "invalid",
        "证书课程须有目标等级，纯培训课程不设等级。",
        "a certificate course names its target level; a training-only course has none",
    ),
    "ck_courses_mode_tags": _rule("mode_tags", "invalid", "培训模式标签无效。", "an unknown mode tag"),
    "ck_courses_outcome": _rule("outcome", "invalid", "课程结果无效。", "skill_level, special_ability or training"),
    "ck_courses_target_level": _rule(
        "target_level", "invalid_level", "技能等级为1（最高）至5。", "skill levels are 1 (highest) to 5"
    ),
    "ck_evaluator_filings_level": _rule(
        "evaluator.occupations.levels", "invalid_level", "技能等级为1至5。", "levels are 1 to 5"
    ),
    "ck_completions_assessed_on": _rule(
        "assessment.assessed_on",
        "too_late",
        "考核日期不得晚于结业日期一年以上。",
        "the assessment is at most a year after the completion",
    ),
    "ck_completions_hours": _rule("hours", "out_of_range", "课时不得为负数。", "hours are not negative"),
    "ck_completions_level": _rule(
        "assessment.level", "invalid_level", "技能等级为1（最高）至5。", "skill levels are 1 (highest) to 5"
    ),
    "ck_completions_practical_score": _rule(
        "assessment.practical_score", "out_of_range", "成绩为0至100分。", "scores are between 0 and 100"
    ),
    "ck_completions_theory_score": _rule(
        "assessment.theory_score", "out_of_range", "成绩为0至100分。", "scores are between 0 and 100"
    ),
    "ck_certificates_course_for_kind": _rule(
        "kind", "invalid", "账本证书须对应课程和结业记录。", "a ledger certificate belongs to a course completion"
    ),
    "ck_certificates_kind": _rule("kind", "invalid", "证书种类无效。", "an unknown certificate kind"),
    "ck_certificates_legacy_number_format": _rule(
        "number", "invalid", "职业资格证书编号为16位数字。", "a legacy qualification number is 16 digits"
    ),
    "ck_certificates_level": _rule(
        "level", "invalid_level", "技能等级为1（最高）至5。", "skill levels are 1 (highest) to 5"
    ),
    "ck_certificates_level_for_kind": _rule(
        "level", "invalid", "只有职业技能等级证书有等级。", "only a skill-level certificate has a level"
    ),
    "ck_certificates_skill_number_digits": _rule(
        "number",
        "invalid",
        "证书编号中的年份和等级须与发证年份和等级一致。",
        "the number's year and level digits equal the issue year and level",
    ),
    "ck_certificates_skill_number_format": _rule(
        "number", "invalid", "职业技能等级证书编号格式无效。", "not a 22-character skill certificate number"
    ),
    "ck_certificates_status": _rule("status", "invalid", "证书状态无效。", "an unknown certificate status"),
    "ck_certificates_status_index": _rule("status_index", "retry", *_RETRY),
    "ck_certificates_superseded": _rule(
        "status", "invalid", "只有被补发的证书指向其替代证书。", "only a superseded certificate points at its successor"
    ),
    "ck_certificates_verification_code": _rule("verification_code", "retry", *_RETRY),
    "ck_certificate_status_changes_status": _rule(
        "status", "invalid", "证书状态无效。", "an unknown certificate status"
    ),
    "ck_dual_awards_rule": _rule("dual_rule", "invalid", "双证书规则无效。", "training_skill or graduation_skill"),
    "ck_baseline_stock_jurisdiction": _rule("jurisdiction", "invalid", "管辖为自治区或兵团。", "zizhiqu or bingtuan"),
    "ck_baseline_stock_level": _rule(
        "level", "invalid_level", "等级为1至5（0为未记录）。", "levels are 1 to 5 (0 = not recorded)"
    ),
    "ck_baseline_stock_persons": _rule("persons", "negative", "人数不得为负数。", "a count is never negative"),
    "ck_published_figures_figure": _rule(
        "figures", "invalid", "公布数为技能人才或高技能人才。", "talent or high_skill"
    ),
    "ck_published_figures_jurisdiction": _rule(
        "jurisdiction", "invalid", "管辖为全疆、自治区或兵团。", "all, zizhiqu or bingtuan"
    ),
    "ck_published_figures_value": _rule("figures", "out_of_range", "公布数超出范围。", "the figure is out of range"),
    "ck_published_figures_source": _rule(
        "source", "required", "请注明来源（至多500字）。", "name the source (up to 500 characters)"
    ),
    "ck_published_figures_dates": _rule(
        "published_on", "before_as_of", "公布日期早于统计日。", "published before the date it is as of"
    ),
    "ck_plan_targets_code_format": _rule(
        "code", "invalid", "计划代码为1至64位字母、数字、_、.或-。", "1-64 of A-Z a-z 0-9 _ . -"
    ),
    "ck_plan_targets_dates": _rule(
        "ends_on", "before_start", "计划结束日期早于开始日期。", "the plan ends before it starts"
    ),
    "ck_plan_targets_jurisdiction": _rule(
        "jurisdiction", "invalid", "管辖口径为全疆、自治区或兵团。", "all, zizhiqu or bingtuan"
    ),
    "ck_plan_targets_metric": _rule("metric", "invalid", "计划指标无效。", "an unknown plan metric"),
    "ck_plan_targets_target": _rule("target", "not_positive", "目标须为正数。", "a target is a positive number"),
}

# Unique-like violations (a clash with a stored row) are conflicts; anything else is bad input.
_CLASH = frozenset({"23505", "23P01"})  # unique_violation, exclusion_violation
_CLASH_ERRORS = (asyncpg.UniqueViolationError, asyncpg.ExclusionViolationError)

CONFLICT_DETAIL = "与已登记的记录冲突。 / the request conflicts with a recorded one"
INVALID_DETAIL = "数据不符合账本的约束。 / a value breaks a rule of the ledger"

Violation: TypeAlias = sqlalchemy.exc.IntegrityError | asyncpg.IntegrityConstraintViolationError


def _driver_error(exc: BaseException) -> asyncpg.PostgresError | None:
    """The asyncpg error behind `exc`: itself, or what SQLAlchemy's adapter wrapped (`exc.orig.__cause__`)."""
    seen: BaseException | None = exc
    for _ in range(4):
        if seen is None or isinstance(seen, asyncpg.PostgresError):
            return seen
        seen = getattr(seen, "orig", None) or seen.__cause__
    return None


def constraint_violation(exc: Violation) -> LedgerError:
    """The domain error for a violated constraint, named by the constraint; never the driver's text."""
    driver = _driver_error(exc)
    name = getattr(driver, "constraint_name", None)
    sqlstate = getattr(driver, "sqlstate", None) or getattr(getattr(exc, "orig", None), "sqlstate", None)
    clash = isinstance(driver, _CLASH_ERRORS) or sqlstate in _CLASH
    rule = CONSTRAINTS.get(name or "")
    if isinstance(driver, asyncpg.NotNullViolationError) and rule is None:
        column = getattr(driver, "column_name", None) or "body"
        rule = _rule(column, "required", "缺少必填项。", "a required value is missing")
    if rule is None:  # the name only: the driver's message quotes the row's values
        log.warning("unmapped constraint violation: %s (SQLSTATE %s)", name, sqlstate)
    errors = [] if rule is None else [FieldError(field=rule.field, code=rule.code, message=rule.message)]
    if clash:
        return Conflict(CONFLICT_DETAIL, errors=errors)
    return InvalidInput(INVALID_DETAIL, errors=errors)


@contextmanager
def named_violations() -> Iterator[None]:
    """Around writes (a flush, a driver statement, a commit): a constraint violation leaves as a domain error."""
    try:
        yield
    except (sqlalchemy.exc.IntegrityError, asyncpg.IntegrityConstraintViolationError) as exc:
        raise constraint_violation(exc) from exc


def _guarded(statement: str) -> Callable[..., Awaitable[Any]]:
    async def run(self: GuardedConnection, *args: Any, **kwargs: Any) -> Any:
        with named_violations():
            return await getattr(self.raw, statement)(*args, **kwargs)

    run.__name__ = statement
    return run


class GuardedConnection:
    """An asyncpg connection whose statements raise constraint violations as domain errors. Everything else
    (transactions, cursors) is the connection's own."""

    __slots__ = ("raw",)

    def __init__(self, raw: Any) -> None:
        self.raw = raw

    execute = _guarded("execute")
    executemany = _guarded("executemany")
    fetch = _guarded("fetch")
    fetchrow = _guarded("fetchrow")
    fetchval = _guarded("fetchval")
    copy_records_to_table = _guarded("copy_records_to_table")

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)


__all__ = ["CONSTRAINTS", "ConstraintRule", "GuardedConnection", "constraint_violation", "named_violations"]
