"""The fixed bilingual wording printed on certificates.

Everything drawn in the bold face comes from this module, and the bold font shipped in `fonts/` is subset to
exactly these characters (see `fonts/build_fonts.py`); a unit test fails if a label here uses a character the bold
font lacks. Values (names, institutions, occupations) are drawn in the regular face, which covers far more.
"""

from __future__ import annotations

TITLES: dict[str, tuple[str, str]] = {
    "skill_level": ("职业技能等级证书", "Vocational Skill Level Certificate"),
    "special_ability": ("专项职业能力证书", "Special Vocational Ability Certificate"),
    "training": ("培训合格证书", "Training Completion Certificate"),
    "graduation": ("技工院校毕业证书", "Technical School Graduation Certificate"),
    "legacy_qualification": ("职业资格证书", "Vocational Qualification Certificate"),
}

NAME = ("姓名", "Name")
ID_TYPE = ("证件类型", "ID type")
ID_NUMBER = ("证件号码", "ID number")
OCCUPATION = ("职业名称", "Occupation")
WORK_TYPE = ("工种/职业方向", "Work type")
LEVEL = ("职业技能等级", "Skill level")
COURSE = ("培训项目", "Training programme")
HOURS = ("培训学时", "Training hours")
NUMBER = ("证书编号", "Certificate No.")
DATE = ("发证日期", "Date of issue")
PHOTO = ("照片", "Photo")
SEAL = ("发证机构（盖章）", "Issuing institution (seal)")
VERIFY = ("证书查询", "Verification")

ISSUER: dict[str, tuple[str, str]] = {
    "skill_level": ("评价机构名称", "Evaluation institution"),
    "special_ability": ("评价机构名称", "Evaluation institution"),
    "legacy_qualification": ("发证机构名称", "Issuing institution"),
    "training": ("培训机构名称", "Training institution"),
    "graduation": ("学校名称", "School"),
}

# English glosses of the usual ID document types; an unknown type is printed in Chinese only.
ID_TYPE_EN: dict[str, str] = {
    "居民身份证": "Resident Identity Card",
    "护照": "Passport",
    "港澳居民来往内地通行证": "Mainland Travel Permit for HK and Macao Residents",
    "台湾居民来往大陆通行证": "Mainland Travel Permit for Taiwan Residents",
    "外国人永久居留身份证": "Foreign Permanent Resident ID Card",
    "港澳台居民居住证": "Residence Permit for HK, Macao and Taiwan Residents",
}

EMPTY = "--"

# The query note, drawn in the regular face: {site} is the public base of the QR URL.
QUERY_ZH = "扫描二维码或登录 {site} 查询证书真伪与状态"
QUERY_EN = "Scan the QR code or visit {site} to verify this certificate and its status."
CODE_LABEL = "验证码 Verification code"
# Beside the small signed code (template 2026.2 on), drawn in the regular face.
SIGNED_CODE = ("签名码（离线核验）", "Signed code for offline", "verification (COSE, Ed25519)")

TEMPLATE_NOTE = "Template {version}"


def bold_strings() -> list[str]:
    """Every string drawn in the bold face, for the font subset and its coverage test."""
    out = [zh for zh, _ in TITLES.values()]
    labels = [NAME, ID_TYPE, ID_NUMBER, OCCUPATION, WORK_TYPE, LEVEL, COURSE, HOURS, NUMBER, DATE, PHOTO, SEAL, VERIFY]
    out.extend(zh for zh, _ in labels)
    out.extend(zh for zh, _ in ISSUER.values())
    return out
