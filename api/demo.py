"""Demo data for `ledger serve --demo`: a bureau, a filed evaluator, a training school, courses and completions."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.certificates.qr_signing import qr_signer
from api.settings import WebSettings
from ledger.commands import (
    AssessmentIn,
    CompletionIn,
    CourseIn,
    EvaluatorFilingIn,
    FiledOccupationIn,
    InstitutionIn,
    TraineeIn,
)
from ledger.people.identity import check_char
from ledger.people.pii import PiiVault
from ledger.registration.courses import create_course
from ledger.registration.service import register_completions
from ledger.statistics.dimensions import region_book
from ledger.statistics.reconciliation import PublishedIn, record_published
from ledger.tenancy.service import issue_key, register_institution
from ledger.tenancy.tables import Institution

EVALUATOR = InstitutionIn(
    code="XJ-EVAL-01",
    name="乌鲁木齐市职业技能鉴定中心",
    kind="evaluator",
    region_code="650100",
    jurisdiction="zizhiqu",
    evaluator=EvaluatorFilingIn(
        category="S",
        filing_code="0000",
        site_code="650101",
        occupations=[
            FiledOccupationIn(occupation_code="6-18-01-01", levels=[5, 4, 3]),
            FiledOccupationIn(occupation_code="4-03-02-01", levels=[5, 4, 3, 2]),
        ],
    ),
)
SCHOOL = InstitutionIn(
    code="KS-TRAIN-01",
    name="喀什地区职业技能培训学校",
    kind="training",
    region_code="653100",
    jurisdiction="zizhiqu",
)
# the survey's figures for the end of 2025, as published (SPEC §6a), so the dashboard shows the reconciliation
PUBLISHED_2025 = PublishedIn(
    region_code="650000",
    as_of=dt.date(2025, 12, 31),
    figures={"talent": 3_200_000, "high_skill": 660_000},
    source="新疆日报 2026-01-31（人才资源统计调查）",
    published_on=dt.date(2026, 1, 31),
)
NAMES = [
    "买买提·艾力",
    "阿依古丽·吐尔逊",
    "张伟",
    "李娜",
    "古丽米拉·阿不都",
    "王芳",
    "艾尔肯·热合曼",
    "刘洋",
    "𠈌明",
    "马丽",
]


async def seed_demo(session: AsyncSession, settings: WebSettings) -> list[str]:
    """Seed once (idempotent by institution code) and issue fresh demo keys; return lines to print."""
    assert settings.domain.pii_key and settings.domain.lookup_key
    vault = PiiVault(settings.domain.pii_key, settings.domain.lookup_key)
    existing = await session.execute(select(Institution).where(Institution.code == EVALUATOR.code))
    evaluator = existing.scalar_one_or_none()
    if evaluator is None:
        evaluator = await register_institution(session, EVALUATOR)
        school = await register_institution(session, SCHOOL)
        await create_course(
            session,
            evaluator.id,
            CourseIn(
                code="CHEGONG-2025-01",
                name="车工（四级）技能培训",
                occupation_code="6-18-01-01",
                starts_on=dt.date(2025, 3, 1),
                ends_on=dt.date(2025, 5, 30),
                hours=160,
                outcome="skill_level",
                target_level=4,
                dual_rule="training_skill",
                work_type="数控车工",
                mode_tags=["order"],
            ),
        )
        await create_course(
            session,
            school.id,
            CourseIn(
                code="PENGREN-2025-01",
                name="中式烹调师培训",
                occupation_code="4-03-02-01",
                starts_on=dt.date(2025, 4, 1),
                ends_on=dt.date(2025, 6, 15),
                hours=120,
                outcome="training",
                mode_tags=["project", "skills_light_future"],
            ),
        )
        rng = random.Random(2025)
        items_eval, items_school = [], []
        for i in range(24):
            body = f"{'650102' if i % 2 else '653101'}{dt.date(1990 + i % 12, 1 + i % 12, 1 + i):%Y%m%d}{i + 101:03d}"
            id_number = body + check_char(body)
            trainee = TraineeIn(name=NAMES[i % len(NAMES)], id_number=id_number)
            items_eval.append(
                CompletionIn(
                    course_code="CHEGONG-2025-01",
                    trainee=trainee,
                    completed_on=dt.date(2025, 5, 30),
                    hours=160,
                    passed=i % 6 != 5,
                    assessment=AssessmentIn(
                        level=4,
                        assessed_on=dt.date(2025, 5, 28),
                        theory_score=round(rng.uniform(60, 98), 1),
                        practical_score=round(rng.uniform(60, 98), 1),
                    ),
                )
            )
            items_school.append(
                CompletionIn(
                    course_code="PENGREN-2025-01",
                    trainee=trainee,
                    completed_on=dt.date(2025, 6, 15),
                    hours=120,
                    passed=True,
                )
            )
        sign = await qr_signer(session, vault, settings.public_base_url)
        await register_completions(session, vault, evaluator.id, items_eval, sign, settings.public_base_url)
        await register_completions(session, vault, school.id, items_school, sign, settings.public_base_url)
        await record_published(session, await region_book(session), "650000", PUBLISHED_2025)
    else:
        school = (await session.execute(select(Institution).where(Institution.code == SCHOOL.code))).scalar_one()
    admin = await issue_key(session, "admin", label="demo")
    eval_key = await issue_key(session, "institution", institution_id=evaluator.id, label="demo")
    school_key = await issue_key(session, "institution", institution_id=school.id, label="demo")
    bureau = await issue_key(session, "bureau", region_code="650000", label="demo")
    return [
        "Demo API keys (new ones each start; shown once):",
        f"  admin                          {admin.secret}",
        f"  institution {EVALUATOR.code:<18} {eval_key.secret}",
        f"  institution {SCHOOL.code:<18} {school_key.secret}",
        f"  bureau 650000 (whole province) {bureau.secret}",
    ]
