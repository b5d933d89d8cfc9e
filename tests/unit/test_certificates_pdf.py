"""Certificate PDFs as a reader sees them: rasterised, QR decoded, fonts inspected, text extracted."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import subprocess
import sys
from pathlib import Path

import msgspec
import pypdfium2 as pdfium
import pytest
import zxingcpp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pypdf import PdfReader
from pypdf.generic import DictionaryObject
from reportlab.pdfbase.ttfonts import TTFontFace

from certificates import wording
from certificates.pdf import FONT_DIR, address_text, render_many, render_pdf
from certificates.token import TokenClaims, key_id, qr_url, sign_token, verify_token
from ledger.certificates.snapshot import TEMPLATE_VERSION, CertificateSnapshot

KEY = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"pdf test key").digest())
KID = key_id(KEY.public_key())
DPI = 150
MM_PER_INCH = 25.4


def snapshot(code: str = "7KQ4M2XPRD9WTB3H", **changes: object) -> CertificateSnapshot:
    base = CertificateSnapshot(
        template_version=TEMPLATE_VERSION,
        kind="skill_level",
        number="S000065010001263000123",
        verification_code=code,
        holder_name="买买提·艾力",
        id_type="居民身份证",
        id_number_display="650102********1239",
        occupation_code="6-18-01-01",
        occupation_name="车工",
        work_type="",
        level=3,
        level_text="三级/高级工",
        level_text_en="Level 3 / Senior Worker",
        issuer_name="新疆维吾尔自治区职业技能鉴定中心",
        issuer_code="S65010001",
        issued_on=dt.date(2026, 1, 5),
        course_name="数控车床操作技能提升培训班",
        course_hours=120,
        qr_text="",
    )
    snap = msgspec.structs.replace(base, **changes)
    claims = TokenClaims(
        code=code,
        kind=snap.kind,
        level=snap.level,
        occupation_code=snap.occupation_code,
        issued_on=snap.issued_on,
        masked_name=snap.holder_name[:1] + "*" + snap.holder_name[-1:],
        issuer_code=snap.issuer_code,
    )
    return msgspec.structs.replace(snap, qr_text=qr_url("https://ledger.example", code, sign_token(claims, KEY, KID)))


def pages(pdf: bytes) -> list[tuple[object, str]]:
    """Each page rasterised at 150 dpi (greyscale image) with its extracted text."""
    document = pdfium.PdfDocument(pdf)
    out = []
    try:
        for page in document:
            image = page.render(scale=DPI / 72, grayscale=True).to_pil()
            out.append((image, page.get_textpage().get_text_range()))
    finally:
        document.close()
    return out


def decode_qr(image: object, signed: bool = True) -> zxingcpp.Barcode:
    """The page's signed code (`<BASE>/V/<CODE>/<TOKEN>`), or with `signed=False` its address code."""
    barcodes = [b for b in zxingcpp.read_barcodes(image) if b.format == zxingcpp.BarcodeFormat.QRCode]
    (barcode,) = [b for b in barcodes if (b.text.split("/V/")[-1].count("/") == 1) == signed]
    return barcode


def test_qr_codes_decode_at_150_dpi_to_the_address_and_the_snapshot_url_whose_token_verifies() -> None:
    snap = snapshot()
    ((image, _),) = pages(render_pdf(snap))
    address = decode_qr(image, signed=False)
    assert address.text == f"HTTPS://LEDGER.EXAMPLE/V/{snap.verification_code}" == address_text(snap)
    barcode = decode_qr(image)
    assert barcode.text == snap.qr_text
    assert address.ec_level == barcode.ec_level == "Q"
    code, token = barcode.text.split("/V/")[1].split("/")
    assert code == snap.verification_code
    assert verify_token(token, {KID: KEY.public_key()}).code == snap.verification_code


def test_a_certificate_of_template_2026_1_keeps_its_single_signed_code() -> None:
    snap = snapshot(template_version="2026.1")
    ((image, _),) = pages(render_pdf(snap))
    assert [b.text for b in zxingcpp.read_barcodes(image)] == [snap.qr_text]


def test_address_qr_is_at_least_35_mm_wide_with_a_clear_4_module_quiet_zone() -> None:
    ((image, _),) = pages(render_pdf(snapshot()))
    barcode = decode_qr(image, signed=False)
    corners = [barcode.position.top_left, barcode.position.top_right, barcode.position.bottom_right]
    left, top = corners[0].x, corners[0].y
    right, bottom = corners[1].x, corners[2].y
    width_mm = (right - left) / DPI * MM_PER_INCH
    assert width_mm >= 35
    modules = 17 + 4 * int(barcode.extra["Version"])
    quiet = 4 * (right - left) / modules
    pixels = image.load()
    band = [
        (x, y)
        for x in range(int(left - quiet) + 1, int(right + quiet))
        for y in range(int(top - quiet) + 1, int(bottom + quiet))
        if not (left - 2 <= x <= right + 2 and top - 2 <= y <= bottom + 2)
    ]
    assert band and min(pixels[x, y] for x, y in band) > 200


def font_descriptors(pdf: bytes) -> list[DictionaryObject]:
    descriptors = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        fonts = page["/Resources"]["/Font"]
        for ref in fonts.values():
            font = ref.get_object()
            if font["/Subtype"] == "/Type0":
                font = font["/DescendantFonts"][0].get_object()
            assert "/FontDescriptor" in font, f"{font.get('/BaseFont')} is not embedded"
            descriptors.append(font["/FontDescriptor"].get_object())
    return descriptors


def test_every_font_is_an_embedded_truetype_subset_of_the_shipped_font() -> None:
    descriptors = font_descriptors(render_pdf(snapshot()))
    assert descriptors
    for descriptor in descriptors:
        assert "/FontFile2" in descriptor
        assert "LedgerSerifSC" in descriptor["/FontName"]


def test_page_text_is_real_text_with_the_mohrss_fields() -> None:
    snap = snapshot()
    ((_, text),) = pages(render_pdf(snap))
    for expected in [
        "职业技能等级证书",
        "Vocational Skill Level Certificate",
        "姓名",
        "买买提·艾力",
        "证件类型",
        "居民身份证",
        "证件号码",
        "650102********1239",
        "职业名称",
        "车工",
        "工种/职业方向",
        "--",
        "职业技能等级",
        "三级/高级工",
        "证书编号",
        "S000065010001263000123",
        "评价机构名称",
        "新疆维吾尔自治区职业技能鉴定中心",
        "发证日期",
        "2026年1月5日",
        "照片",
        "发证机构（盖章）",
        "7KQ4 M2XP RD9W TB3H",
        "HTTPS://LEDGER.EXAMPLE",
    ]:
        assert expected in text, expected
    assert "1239" in text and "650102199001011239" not in text


@pytest.mark.parametrize("kind", sorted(wording.TITLES))
def test_each_kind_has_its_title_and_fields(kind: str) -> None:
    is_level = kind == "skill_level"
    snap = snapshot(
        kind=kind,
        level=3 if is_level else None,
        level_text="三级/高级工" if is_level else "",
        level_text_en="Level 3 / Senior Worker" if is_level else "",
    )
    ((image, text),) = pages(render_pdf(snap))
    title_zh, title_en = wording.TITLES[kind]
    assert title_zh in text and title_en in text
    assert wording.ISSUER[kind][0] in text
    assert ("职业技能等级" in text) == is_level
    assert ("数控车床操作技能提升培训班" in text) == (kind == "training")
    assert decode_qr(image).text == snap.qr_text


def test_same_snapshot_gives_identical_bytes_in_this_and_another_process() -> None:
    snap = snapshot()
    first = render_pdf(snap)
    assert render_pdf(snap) == first
    assert render_pdf(snapshot(code="AAAABBBBCCCCDDDD")) != first
    script = (
        "import sys, msgspec\n"
        "from certificates.pdf import render_pdf\n"
        "from ledger.certificates.snapshot import CertificateSnapshot\n"
        "snap = msgspec.json.decode(sys.stdin.buffer.read(), type=CertificateSnapshot)\n"
        "sys.stdout.buffer.write(render_pdf(snap))\n"
    )
    other = subprocess.run(
        [sys.executable, "-c", script],
        input=msgspec.json.encode(snap),
        capture_output=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    ).stdout
    assert other == first


def test_render_many_makes_one_page_per_certificate_each_with_its_own_qr() -> None:
    codes = ["AAAA2222BBBB3333", "CCCC4444DDDD5555", "EEEE6666FFFF7777", "GGGG2222HHHH3333"]
    snaps = [
        snapshot(code=code, holder_name=name)
        for code, name in zip(codes, ["张三", "李四", "王五", "赵六"], strict=True)
    ]
    rendered = pages(render_many(snaps))
    assert len(rendered) == len(snaps)
    for snap, (image, text) in zip(snaps, rendered, strict=True):
        assert decode_qr(image).text == snap.qr_text
        assert snap.holder_name in text


def test_long_values_and_rare_characters_stay_on_the_page() -> None:
    issuer = "新疆维吾尔自治区人力资源和社会保障厅职业技能鉴定指导中心（乌鲁木齐市第一职业技能鉴定所）评价站"
    snap = snapshot(holder_name="阿卜杜热合曼·买买提艾力䶮𬌗", issuer_name=issuer)
    ((image, text),) = pages(render_pdf(snap))
    flat = "".join(text.split())
    assert issuer in flat
    assert "阿卜杜热合曼·买买提艾力䶮𬌗" in flat
    assert decode_qr(image).text == snap.qr_text


def test_unknown_kind_and_empty_batches_are_refused() -> None:
    with pytest.raises(ValueError, match="kind"):
        render_pdf(msgspec.structs.replace(snapshot(), kind="diploma"))
    with pytest.raises(ValueError):
        render_many([])


def gb2312_hanzi() -> list[str]:
    out = []
    for hi in range(0xB0, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                out.append(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return out


def test_shipped_fonts_cover_the_template_and_chinese_names() -> None:
    bold = TTFontFace(str(FONT_DIR / "LedgerSerifSC-Bold.ttf")).charToGlyph
    regular = TTFontFace(str(FONT_DIR / "LedgerSerifSC-Regular.ttf")).charToGlyph
    for text in wording.bold_strings():
        assert all(ord(ch) in bold for ch in text), text
    gb2312 = gb2312_hanzi()
    assert len(gb2312) == 6763
    assert all(ord(ch) in regular for ch in gb2312)
    assert all(ord(ch) in regular for ch in "·䶮𬌗喆堃珺玥昇犇淼ÉéöüABCxyz0123456789（）—")
    total = sum(path.stat().st_size for path in FONT_DIR.glob("*.ttf"))
    assert total < 15_000_000
