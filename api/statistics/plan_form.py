"""The dashboard's plan form (规划目标): what an analyst typed, checked field by field in Chinese, then kept by
`ledger.statistics.plans.put_plan` (the same rules as `PUT /api/v1/plans/{code}`); what the domain or the database
refuses comes back beside the field it names."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence

from ledger.errors import FieldError
from ledger.statistics.plans import PlanIn
from ledger.statistics.tables import PLAN_METRICS

FIELDS = ("code", "name", "metric", "region_code", "jurisdiction", "starts_on", "ends_on", "target")
CODE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$", re.ASCII)
MAX_TARGET = 10**12
# the domain's codes, as an analyst reads them
WORDING = {
    ("metric", "invalid"): "请选择规划指标。",
    ("jurisdiction", "invalid"): "请选择管辖口径。",
    ("ends_on", "before_start"): "结束日期早于开始日期。",
    ("target", "not_positive"): "目标须为正整数。",
    ("name", "required"): "请填写规划名称。",
    ("code", "invalid"): "代码为 1–64 个字母、数字或 _ . -。",
}


def read_plan_form(form: Mapping[str, str]) -> tuple[PlanIn | None, str, dict[str, str], dict[str, str]]:
    """(the plan, its code, the values as typed, field → what is wrong); the plan is None when anything is."""
    values = {name: str(form.get(name, "")).strip() for name in FIELDS}
    errors: dict[str, str] = {}
    if not CODE.fullmatch(values["code"]):
        errors["code"] = WORDING[("code", "invalid")]
    if not values["name"]:
        errors["name"] = WORDING[("name", "required")]
    elif len(values["name"]) > 128:
        errors["name"] = "名称不超过 128 个字。"
    if values["metric"] not in PLAN_METRICS:
        errors["metric"] = WORDING[("metric", "invalid")]
    if values["jurisdiction"] not in ("all", "zizhiqu", "bingtuan"):
        errors["jurisdiction"] = WORDING[("jurisdiction", "invalid")]
    days: dict[str, dt.date] = {}
    for name in ("starts_on", "ends_on"):
        try:
            days[name] = dt.date.fromisoformat(values[name])
        except ValueError:
            errors[name] = "请填写有效日期，如 2025-12-31。"
    if len(days) == 2 and days["ends_on"] < days["starts_on"]:
        errors["ends_on"] = WORDING[("ends_on", "before_start")]
    target = int(values["target"].replace(",", "")) if re.fullmatch(r"[0-9][0-9,]*", values["target"]) else 0
    if not 0 < target <= MAX_TARGET:
        errors["target"] = "目标须为正整数（不超过 10¹²）。"
    if not re.fullmatch(r"[1-9][0-9]{5}", values["region_code"]):
        errors["region_code"] = "请选择地区。"
    if errors:
        return None, values["code"], values, errors
    plan = PlanIn(
        name=values["name"],
        metric=values["metric"],
        region_code=values["region_code"],
        starts_on=days["starts_on"],
        ends_on=days["ends_on"],
        target=target,
        jurisdiction=values["jurisdiction"],
    )
    return plan, values["code"], values, errors


def refused(errors: Sequence[FieldError]) -> tuple[dict[str, str], list[str]]:
    """The domain's (or a constraint's) field errors by form field, and those naming no field of the form."""
    by_field: dict[str, str] = {}
    others: list[str] = []
    for error in errors:
        text = WORDING.get((error.field, error.code)) or error.message.split(" / ")[0]
        if error.field in FIELDS:
            by_field.setdefault(error.field, text)
        else:
            others.append(text)
    return by_field, others
