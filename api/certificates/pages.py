"""The public verification page: status first, in large type, then the certificate's fields (holder masked).

The words in three languages and what the templates under `templates/verification/` show; 中文 by default,
English and Uyghur (right to left) via ?lang=.
"""

from __future__ import annotations

from ledger.certificates.verification import Verification

LANGUAGES = ("zh", "en", "ug")

STATUS = {
    "zh": {"valid": "有效", "revoked": "已撤销", "suspended": "已暂停", "superseded": "已被补发替代"},
    "en": {"valid": "Valid", "revoked": "Revoked", "suspended": "Suspended", "superseded": "Superseded by a reissue"},
    "ug": {
        "valid": "ئىناۋەتلىك",
        "revoked": "بىكار قىلىنغان",
        "suspended": "ۋاقىتلىق توختىتىلغان",
        "superseded": "قايتا تارقىتىلغان نۇسخىسى بىلەن ئالماشتۇرۇلغان",
    },
}

LABELS = {
    "zh": {
        "title": "证书查验",
        "kind": {"skill_level": "职业技能等级证书", "training": "培训合格证书", "special_ability": "专项职业能力证书",
                 "graduation": "技工院校毕业证书", "legacy_qualification": "职业资格证书"},
        "holder": "持证人", "occupation": "职业名称", "work_type": "工种/职业方向", "level": "职业技能等级",
        "number": "证书编号", "issuer": "发证机构", "issued_on": "发证日期", "reason": "原因", "since": "生效日期",
        "successor": "现行证书", "ledger": "账本记录（可独立验证）", "unknown": "未找到该证书",
        "unknown_detail": "请核对查验码。伪造或篡改的证书无法通过查验。", "token_bad": "二维码签名无效：此二维码并非本系统签发",
        "token_ok": "二维码签名已验证", "code": "查验码",
    },
    "en": {
        "title": "Certificate verification",
        "kind": {"skill_level": "Vocational Skill Level Certificate", "training": "Training Certificate",
                 "special_ability": "Special Vocational Ability Certificate",
                 "graduation": "Technical School Graduation Certificate",
                 "legacy_qualification": "Vocational Qualification Certificate"},
        "holder": "Holder", "occupation": "Occupation", "work_type": "Work type", "level": "Skill level",
        "number": "Certificate No.", "issuer": "Issued by", "issued_on": "Date of issue", "reason": "Reason",
        "since": "Effective", "successor": "Current certificate", "ledger": "Ledger record (independently verifiable)",
        "unknown": "Certificate not found",
        "unknown_detail": "Check the verification code. Forged or altered certificates do not verify.",
        "token_bad": "QR signature invalid: this QR code was not issued by the ledger",
        "token_ok": "QR signature verified", "code": "Verification code",
    },
    "ug": {
        "title": "گۇۋاھنامە تەكشۈرۈش",
        "kind": {"skill_level": "كەسپىي ماھارەت دەرىجە گۇۋاھنامىسى", "training": "تەربىيەلىنىش گۇۋاھنامىسى",
                 "special_ability": "مەخسۇس كەسپىي ئىقتىدار گۇۋاھنامىسى", "graduation": "تېخنىكا مەكتىپى دىپلومى",
                 "legacy_qualification": "كەسپىي سالاھىيەت گۇۋاھنامىسى"},
        "holder": "ئىگىسى", "occupation": "كەسپ", "work_type": "ئىش تۈرى", "level": "ماھارەت دەرىجىسى",
        "number": "گۇۋاھنامە نومۇرى", "issuer": "تارقاتقان ئورۇن", "issued_on": "تارقىتىلغان ۋاقىت",
        "reason": "سەۋەبى", "since": "كۈچكە ئىگە بولغان ۋاقىت", "successor": "ھازىرقى گۇۋاھنامە",
        "ledger": "دەپتەر خاتىرىسى", "unknown": "گۇۋاھنامە تېپىلمىدى",
        "unknown_detail": "تەكشۈرۈش نومۇرىنى تەكشۈرۈڭ.", "token_bad": "QR ئىمزاسى ئىناۋەتسىز",
        "token_ok": "QR ئىمزاسى دەلىللەندى", "code": "تەكشۈرۈش نومۇرى",
    },
}  # fmt: skip

LANGUAGE_NAMES = {"zh": "中文", "en": "English", "ug": "ئۇيغۇرچە"}
CERTIFICATE = "verification/certificate.html"
UNKNOWN = "verification/unknown.html"


def unknown_context(lang: str) -> dict[str, object]:
    return {"lang": lang, "text": LABELS[lang]}


def certificate_context(view: Verification, lang: str, path: str, token_ok: bool | None) -> dict[str, object]:
    """What `verification/certificate.html` shows; `token_ok` is None where no QR token was scanned."""
    text = LABELS[lang]
    snapshot = view.snapshot
    kinds: dict[str, str] = text["kind"]  # type: ignore[assignment]
    level = snapshot.level_text if lang == "zh" else (snapshot.level_text_en or snapshot.level_text)
    rows = [
        (text["holder"], view.masked_holder),
        (text["occupation"], f"{snapshot.occupation_name}（{snapshot.occupation_code}）"),
        (text["work_type"], snapshot.work_type or "--"),
        *([(text["level"], level)] if level else []),
        (text["number"], snapshot.number),
        (text["issuer"], snapshot.issuer_name),
        (text["issued_on"], snapshot.issued_on.isoformat()),
        (text["code"], snapshot.verification_code),
    ]
    return {
        "lang": lang,
        "text": text,
        "view": view,
        "status_text": STATUS[lang][view.status],
        "kind_text": kinds[snapshot.kind],
        "rows": rows,
        "token_ok": token_ok,
        "path": path,
        "languages": [(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
    }
