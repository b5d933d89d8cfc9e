"""The public verification page: status first, in large type, then the certificate's fields (holder masked).

Mobile first, no scripts, no external assets; 中文 by default, English and Uyghur (right to left) via ?lang=.
"""

from __future__ import annotations

from html import escape

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

_CSS = """
*{box-sizing:border-box}body{margin:0;font-family:system-ui,-apple-system,"Noto Sans CJK SC","Microsoft YaHei",
"Noto Naskh Arabic",sans-serif;background:#f4f5f7;color:#1b1f24;line-height:1.5}
main{max-width:34rem;margin:0 auto;padding:1rem}
.status{border-radius:14px;padding:1.2rem 1rem;text-align:center;color:#fff;margin-bottom:1rem}
.status h1{font-size:2.4rem;margin:.2rem 0;letter-spacing:.05em}.status p{margin:.2rem 0;font-size:1rem}
.valid{background:#1a7f37}.revoked{background:#c62828}.suspended{background:#b26a00}.superseded{background:#5a5f66}
.unknown{background:#3b3f45}
dl{background:#fff;border-radius:14px;padding:.6rem 1rem;margin:0 0 1rem}
dt{font-size:.8rem;color:#5a5f66;margin-top:.6rem}dd{margin:0 0 .2rem;font-size:1.1rem;word-break:break-all}
.note{font-size:.85rem;color:#5a5f66}.warn{background:#fdecea;color:#8a1c1c;border-radius:10px;padding:.6rem}
.ok{color:#1a7f37}nav a{margin-inline-end:.8rem;font-size:.9rem}
"""


def _shell(lang: str, title: str, body: str) -> str:
    direction = "rtl" if lang == "ug" else "ltr"
    html_lang = {"zh": "zh-CN", "en": "en", "ug": "ug"}[lang]
    return (
        f'<!doctype html><html lang="{html_lang}" dir="{direction}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="robots" content="noindex">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body><main>{body}</main></body></html>"
    )


def _languages(path: str) -> str:
    names = {"zh": "中文", "en": "English", "ug": "ئۇيغۇرچە"}
    return "<nav>" + "".join(f'<a href="{escape(path)}?lang={code}">{names[code]}</a>' for code in LANGUAGES) + "</nav>"


def unknown_page(lang: str) -> str:
    text = LABELS[lang]
    body = (
        f'<section class="status unknown"><h1>{escape(str(text["unknown"]))}</h1></section>'
        f'<p class="note">{escape(str(text["unknown_detail"]))}</p>'
    )
    return _shell(lang, str(text["title"]), body)


def verification_page(view: Verification, lang: str, path: str, token_ok: bool | None) -> str:
    text = LABELS[lang]
    snapshot = view.snapshot
    status = STATUS[lang][view.status]
    detail = ""
    if view.status != "valid":
        if view.reason:
            detail += f"<p>{escape(str(text['reason']))}：{escape(view.reason)}</p>"
        if view.effective_on:
            detail += f"<p>{escape(str(text['since']))}：{view.effective_on.isoformat()}</p>"
        if view.successor_code:
            detail += (
                f'<p>{escape(str(text["successor"]))}：<a style="color:#fff" href="/v/{view.successor_code}?lang={lang}">'
                f"{view.successor_code}</a></p>"
            )
    token = ""
    if token_ok is False:
        token = f'<p class="warn">{escape(str(text["token_bad"]))}</p>'
    elif token_ok:
        token = f'<p class="note ok">✓ {escape(str(text["token_ok"]))}</p>'
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
    fields = "".join(f'<dt>{escape(str(label))}</dt><dd dir="auto">{escape(str(value))}</dd>' for label, value in rows)
    body = (
        f'<section class="status {view.status}" role="status"><p>{escape(kinds[snapshot.kind])}</p>'
        f"<h1>{escape(status)}</h1>{detail}</section>{token}<dl>{fields}</dl>"
        f'<p class="note"><a href="/api/v1/ledger/certificates/{snapshot.verification_code}">{escape(str(text["ledger"]))}</a></p>'
        f"{_languages(path)}"
    )
    return _shell(lang, f"{status} · {text['title']}", body)
