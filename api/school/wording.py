"""The portal's words: what each code, kind and status is called in Chinese, and every error a clerk may see, said
in Chinese (the domain's messages are English or bilingual; the portal shows the Chinese)."""

from __future__ import annotations

import re

from api.certificates.export import STATUSES
from api.i18n import catalogue
from certificates.wording import TITLES
from ledger.errors import FieldError
from ledger.reference.levels import SkillLevel

OUTCOMES = {
    "skill_level": "职业技能等级证书",
    "special_ability": "专项职业能力证书",
    "training": "培训合格证书（仅培训）",
}
DUAL_RULES = {"none": "不颁发双证", "training_skill": "培训合格证书 + 职业技能等级证书",
              "graduation_skill": "技工院校毕业证书 + 职业技能等级证书"}  # fmt: skip
MODE_TAGS = {"order": "订单式培训", "project": "项目制培训", "industry_education_evaluation": "产教评融合",
             "skills_light_future": "技能照亮前程"}  # fmt: skip
LEVELS = {level: SkillLevel.from_code(level).printed for level in (1, 2, 3, 4, 5)}
ACTIONS = {"revoke": "撤销", "suspend": "暂停", "reinstate": "恢复", "reissue": "补发"}
DONE = {"revoke": "证书已撤销。", "suspend": "证书已暂停。", "reinstate": "证书已恢复有效。",
        "reissue": "已补发新证书，原证书标为「已被补发替代」。"}  # fmt: skip

# the reasons a form offers for each action (ledger/certificates/reasons.py), as the public pages word them
REASONS_FOR = {
    "suspend": ("under_review", "other"),
    "revoke": ("exam_misconduct", "false_material", "issued_in_error", "wrong_information", "holder_request", "other"),
    "reinstate": ("review_cleared", "other"),
    "reissue": ("name_correction", "wrong_information", "damaged_or_lost", "other"),
}


def reason_name(code: str) -> str:
    return catalogue("zh").get(f"reason.{code}", code) if code else ""


FIELDS = {
    "code": "课程代码", "name": "课程名称", "occupation_code": "职业", "starts_on": "开课日期", "ends_on": "结束日期",
    "hours": "学时", "outcome": "证书类型", "target_level": "目标等级", "dual_rule": "双证规则",
    "work_type": "工种/职业方向", "mode_tags": "培养模式", "reason": "原因", "effective_on": "生效日期",
    "corrected_name": "更正后的姓名", "reason_code": "原因",
}  # fmt: skip

# what a value that does not even have the right shape should look like, by field
SHAPES = {
    "code": "课程代码由字母、数字和 . _ - 组成，最长 64 个字符",
    "name": "请填写课程名称（最长 128 个字）",
    "occupation_code": "请选择职业",
    "starts_on": "请填写日期，如 2025-03-01",
    "ends_on": "请填写日期，如 2025-05-30",
    "hours": "学时为整数，如 160",
    "outcome": "请从列表中选择证书类型",
    "target_level": "请从列表中选择目标等级",
    "dual_rule": "请从列表中选择双证规则",
    "work_type": "工种/职业方向最长 64 个字",
    "mode_tags": "请从列表中选择培养模式",
    "reason": "说明最长 500 个字",
    "reason_code": "请从列表中选择原因",
    "effective_on": "请填写日期，如 2025-06-30",
    "corrected_name": "请填写更正后的姓名",
}

# the domain's field errors in Chinese: by (field, code), then by code alone
_BY_FIELD_CODE = {
    ("starts_on", "out_of_range"): "开课日期须在 2000-01-01 至 2099-12-31 之间",
    ("ends_on", "out_of_range"): "结束日期须在 2000-01-01 至 2099-12-31 之间",
    ("hours", "out_of_range"): "学时须在 1 至 10000 之间",
    ("target_level", "not_allowed"): "仅培训的课程不设目标等级",
    ("dual_rule", "not_allowed"): "双证课程须颁发职业技能等级证书：请把证书类型改为职业技能等级证书，或选择不颁发双证",
    ("target_level", "required"): "发证课程须选择目标等级",
    ("reason", "required"): "原因选「其他原因」时，请写明原因",
    ("outcome", "not_an_evaluator"): (
        "本机构不是备案的评价机构，不能开设发证课程；请把证书类型改为「培训合格证书（仅培训）」"
    ),
}
_BY_CODE = {
    "unknown_occupation": "该职业不在职业分类大典（2022 年版）中",
    "before_start": "结束日期早于开课日期",
    "invalid_level": "等级为一级（高级技师）至五级（初级工）",
    "duplicate": "同一培养模式选了两次",
    "required": "此项必填",
    "in_future": "生效日期不能晚于今天",
    "before_issue": "生效日期不能早于发证日期",
    "name_control": "姓名中有控制字符或不可见字符",
    "name_digit": "姓名中不能有数字",
    "name_charset": "姓名只能由文字、空格、间隔号 · 以及 - 或 ' 组成",
    "name_empty": "请填写姓名",
    "name_dot": "间隔号 · 只能在姓名的两部分之间",
    "name_length": "姓名过长",
}
_CJK = re.compile(r"[\u3400-\u9fff]")


def in_chinese(error: FieldError) -> str:
    """A field error as a clerk reads it: the Chinese part of a bilingual message, or the wording of its code."""
    found = _BY_FIELD_CODE.get((error.field, error.code)) or _BY_CODE.get(error.code)
    if found:
        return found
    if _CJK.search(error.message):
        return error.message.split(" / ")[0].strip()
    return f"{FIELDS.get(error.field, error.field)}有误（{error.message}）"


def refusal(detail: str) -> str:
    """A whole-request refusal (a Conflict or RuleViolation, which carry no field) in Chinese."""
    moved = re.match(r"an? (\w+) certificate cannot be (\w+)", detail)
    if moved:
        state = STATUSES.get(moved.group(1), moved.group(1))
        verb = {"revoked": "撤销", "suspended": "暂停", "reinstated": "恢复", "reissued": "补发"}.get(moved.group(2))
        return f"{state}的证书不能{verb or moved.group(2)}。"
    if "graduation certificate" in detail:
        return "技工院校毕业证书由学校自行补发，不在本系统补发。"
    if "legacy" in detail:
        return "导入的历史证书不在本系统补发。"
    if _CJK.search(detail):
        return detail.split(" The ")[0].split(" / ")[0].strip()
    return f"操作未完成：{detail}"


def kind_name(kind: str) -> str:
    return TITLES.get(kind, (kind,))[0]


def status_name(status: str) -> str:
    return STATUSES.get(status, status)


def level_name(level: int | None) -> str:
    return LEVELS.get(level, "") if level is not None else ""
