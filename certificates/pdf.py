"""A4 certificate PDFs from frozen snapshots, with reportlab.

One page per certificate, zh/en bilingual, MOHRSS field set, Chinese in an embedded TrueType font (subset per
document by reportlab), the QR code drawn as vector rectangles. The output depends only on the snapshots:
reportlab runs in invariant mode and the document dates are the issue date, so the same snapshot always gives the
same bytes. Fonts are registered once per process; everything else is rebuilt per document.
"""

from __future__ import annotations

import datetime as dt
import io
import threading
from collections.abc import Iterable
from pathlib import Path

from reportlab import rl_config
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics, ttfonts
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from certificates import wording
from certificates.qr import QUIET_ZONE_MODULES, QrMatrix, qr_matrix
from ledger.certificates.snapshot import CertificateSnapshot

FONT_DIR = Path(__file__).resolve().parent / "fonts"
REGULAR = "LedgerSerifSC-Regular"
BOLD = "LedgerSerifSC-Bold"

PAGE_WIDTH, PAGE_HEIGHT = A4
QR_WIDTH = 40 * mm  # the symbol itself; the SPEC asks for at least 35 mm, plus the quiet zone
QR_LEFT, QR_BOTTOM = 24 * mm, 34 * mm
SEAL_RADIUS = 21 * mm
# Two codes since template 2026.2 (docs/verification.md, "Why two QR codes"): the big one carries only the
# address `<BASE>/V/<CODE>` (version 3), so a phone reads it from a photo of the whole page; the small one under
# the seal carries the signed URL, for offline checks from a close-up photo or the PDF file.
SINGLE_CODE_TEMPLATES = frozenset({"2026.1"})  # issued before: rendered as they were, one signed code
SIGNED_QR_WIDTH = 22 * mm
SIGNED_QR_LEFT, SIGNED_QR_BOTTOM = 160 * mm - SIGNED_QR_WIDTH / 2, 17 * mm
PHOTO_BOX = (154 * mm, 190 * mm, 33 * mm, 44 * mm)  # x, y, width, height
LABEL_X, VALUE_X, VALUE_RIGHT = 24 * mm, 68 * mm, 186 * mm
FIRST_ROW, ROW_STEP = 226 * mm, 12.5 * mm

INK = (0.08, 0.08, 0.1)
GREY = (0.42, 0.42, 0.45)
ACCENT = (0.55, 0.38, 0.1)

_registered = False
_register_lock = threading.Lock()


_reportlab_to_unicode_cmap = ttfonts.makeToUnicodeCMap


def _to_unicode_cmap(fontname: str, subset: list[int]) -> str:
    """reportlab's ToUnicode CMap, with characters beyond the BMP written as UTF-16 surrogate pairs.

    reportlab writes U+2C317 as <2C317>, which readers misparse, so copying or searching a rare name character
    (通用规范汉字表 reaches Extensions B–F) would give the wrong text although the glyph is right.
    """
    cmap = _reportlab_to_unicode_cmap(fontname, subset)
    for index, codepoint in enumerate(subset):
        if codepoint > 0xFFFF:
            utf16 = chr(codepoint).encode("utf-16-be").hex().upper()
            cmap = cmap.replace(f"<{index:02X}> <{codepoint:04X}>", f"<{index:02X}> <{utf16}>")
    return cmap


def register_fonts() -> None:
    """Load the two embedded faces into reportlab, once per process (thread-safe, idempotent)."""
    global _registered
    with _register_lock:
        if _registered:
            return
        # Binary (Flate only) streams: ASCII85 on top costs time and 25 % of size for 7-bit safety nobody needs.
        # This is reportlab's process-wide setting; certificates are the only PDFs this service makes.
        rl_config.useA85 = 0
        ttfonts.makeToUnicodeCMap = _to_unicode_cmap
        pdfmetrics.registerFont(TTFont(REGULAR, str(FONT_DIR / f"{REGULAR}.ttf")))
        pdfmetrics.registerFont(TTFont(BOLD, str(FONT_DIR / f"{BOLD}.ttf")))
        _registered = True


def render_pdf(snapshot: CertificateSnapshot) -> bytes:
    """One certificate as a one-page PDF."""
    return render_many([snapshot])


def render_many(snapshots: Iterable[CertificateSnapshot], *, qr: bool = True) -> bytes:
    """Many certificates in one PDF, one page each, in the given order (e.g. all of a course).

    `qr=False` leaves the QR code out: only for layout previews and the benchmark's baseline.
    """
    register_fonts()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=1, pageCompression=1, initialFontName=REGULAR)
    pages = 0
    latest: dt.date | None = None
    first: CertificateSnapshot | None = None
    for snapshot in snapshots:
        _draw_certificate(canvas, snapshot, qr)
        canvas.showPage()
        pages += 1
        if first is None:
            first = snapshot
        latest = snapshot.issued_on if latest is None else max(latest, snapshot.issued_on)
    if first is None or latest is None:
        raise ValueError("render_many needs at least one certificate")
    title_zh, title_en = _title(first)
    canvas.setTitle(f"{title_zh} {first.number}" if pages == 1 else f"{title_zh} ×{pages}")
    canvas.setSubject(title_en)
    canvas.setAuthor(first.issuer_name)
    canvas.setCreator(f"Skills Ledger certificate template {first.template_version}")
    stamp = f"D:{latest:%Y%m%d}000000+08'00'"
    canvas.setDateFormatter(lambda *_: stamp)
    canvas.save()
    return buffer.getvalue()


# --- drawing ---------------------------------------------------------------------------------------------


def _title(snapshot: CertificateSnapshot) -> tuple[str, str]:
    try:
        return wording.TITLES[snapshot.kind]
    except KeyError:
        raise ValueError(f"unknown certificate kind {snapshot.kind!r}") from None


def _rows(snapshot: CertificateSnapshot) -> list[tuple[tuple[str, str], str, str]]:
    """(label, value, English gloss of the value) in print order for this kind of certificate."""
    issued = snapshot.issued_on
    rows = [
        (wording.NAME, snapshot.holder_name, ""),
        (wording.ID_TYPE, snapshot.id_type, wording.ID_TYPE_EN.get(snapshot.id_type, "")),
        (wording.ID_NUMBER, snapshot.id_number_display, ""),
        (wording.OCCUPATION, snapshot.occupation_name or wording.EMPTY, snapshot.occupation_code),
        (wording.WORK_TYPE, snapshot.work_type or wording.EMPTY, ""),
    ]
    if snapshot.level_text:
        rows.append((wording.LEVEL, snapshot.level_text, snapshot.level_text_en))
    if snapshot.kind == "training":
        rows.append((wording.COURSE, snapshot.course_name or wording.EMPTY, ""))
        if snapshot.course_hours is not None:
            rows.append((wording.HOURS, f"{snapshot.course_hours} 学时", f"{snapshot.course_hours} hours"))
    rows.append((wording.NUMBER, snapshot.number, ""))
    rows.append((wording.ISSUER.get(snapshot.kind, wording.ISSUER["skill_level"]), snapshot.issuer_name, ""))
    rows.append((wording.DATE, f"{issued.year}年{issued.month}月{issued.day}日", issued.isoformat()))
    return rows


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Greedy line breaking: between any two CJK characters, at spaces for Latin words."""
    lines: list[str] = []
    line = ""
    for token in _tokens(text):
        candidate = line + token
        if line and pdfmetrics.stringWidth(candidate, font, size) > width:
            lines.append(line.rstrip())
            line = token.lstrip()
        else:
            line = candidate
    if line:
        lines.append(line)
    return lines


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    for ch in text:
        if tokens and ch.isascii() and not ch.isspace() and tokens[-1][-1:].isascii() and tokens[-1][-1:] != " ":
            tokens[-1] += ch
        else:
            tokens.append(ch)
    return tokens


def _fitted(text: str, font: str, size: float, width: float, smallest: float) -> tuple[float, list[str]]:
    """A size and lines for `text` in `width`: one line shrunk a little, else two lines, else three at `smallest`."""
    one_line_floor = max(smallest, size - 2.5)
    current = size
    while current >= one_line_floor:
        if pdfmetrics.stringWidth(text, font, current) <= width:
            return current, [text]
        current -= 0.5
    current = one_line_floor
    while current > smallest:
        lines = _wrap(text, font, current, width)
        if len(lines) <= 2:
            return current, lines
        current -= 0.5
    return smallest, _wrap(text, font, smallest, width)


def _draw_certificate(canvas: Canvas, snapshot: CertificateSnapshot, with_qr: bool) -> None:
    title_zh, title_en = _title(snapshot)
    _draw_frame(canvas)

    canvas.setFillColorRGB(*ACCENT)
    canvas.setFont(BOLD, 28)
    canvas.drawCentredString(PAGE_WIDTH / 2, 257 * mm, title_zh)
    canvas.setFont(REGULAR, 12)
    canvas.drawCentredString(PAGE_WIDTH / 2, 249 * mm, title_en)
    canvas.setStrokeColorRGB(*ACCENT)
    canvas.setLineWidth(0.6)
    canvas.line(70 * mm, 244 * mm, PAGE_WIDTH - 70 * mm, 244 * mm)

    _draw_photo_slot(canvas)
    photo_x, photo_y, _, _ = PHOTO_BOX
    y = FIRST_ROW
    for (label_zh, label_en), value, gloss in _rows(snapshot):
        right = photo_x - 4 * mm if y + 6 * mm > photo_y else VALUE_RIGHT
        _draw_row(canvas, y, label_zh, label_en, value, gloss, right - VALUE_X)
        y -= ROW_STEP

    two_codes = snapshot.template_version not in SINGLE_CODE_TEMPLATES
    if with_qr and two_codes:
        _draw_qr(canvas, qr_matrix(address_text(snapshot)), QR_LEFT, QR_BOTTOM, QR_WIDTH)
        _draw_qr(canvas, qr_matrix(snapshot.qr_text), SIGNED_QR_LEFT, SIGNED_QR_BOTTOM, SIGNED_QR_WIDTH)
        _draw_signed_caption(canvas)
    elif with_qr:
        _draw_qr(canvas, qr_matrix(snapshot.qr_text), QR_LEFT, QR_BOTTOM, QR_WIDTH)
    _draw_query_note(canvas, snapshot)
    _draw_seal_area(canvas, (160 * mm, 72 * mm) if two_codes else (160 * mm, 60 * mm))

    canvas.setFillColorRGB(*GREY)
    canvas.setFont(REGULAR, 6.5)
    canvas.drawCentredString(PAGE_WIDTH / 2, 16 * mm, wording.TEMPLATE_NOTE.format(version=snapshot.template_version))


def _draw_frame(canvas: Canvas) -> None:
    canvas.setStrokeColorRGB(*ACCENT)
    canvas.setLineWidth(1.6)
    canvas.rect(10 * mm, 10 * mm, PAGE_WIDTH - 20 * mm, PAGE_HEIGHT - 20 * mm, stroke=1, fill=0)
    canvas.setLineWidth(0.4)
    canvas.rect(12.5 * mm, 12.5 * mm, PAGE_WIDTH - 25 * mm, PAGE_HEIGHT - 25 * mm, stroke=1, fill=0)


def _draw_row(canvas: Canvas, y: float, label_zh: str, label_en: str, value: str, gloss: str, width: float) -> None:
    canvas.setFillColorRGB(*INK)
    canvas.setFont(BOLD, 11)
    canvas.drawString(LABEL_X, y, label_zh)
    canvas.setFillColorRGB(*GREY)
    canvas.setFont(REGULAR, 7)
    canvas.drawString(LABEL_X, y - 3.8 * mm, label_en)

    size, lines = _fitted(value, REGULAR, 12.5, width, 8)
    canvas.setFillColorRGB(*INK)
    canvas.setFont(REGULAR, size)
    leading = size * 1.2
    for index, line in enumerate(lines[:3]):
        canvas.drawString(VALUE_X, y - index * leading, line)
    if gloss:
        canvas.setFillColorRGB(*GREY)
        gloss_size, gloss_lines = _fitted(gloss, REGULAR, 7, width, 5.5)
        canvas.setFont(REGULAR, gloss_size)
        canvas.drawString(VALUE_X, y - (len(lines[:3]) - 1) * leading - 3.8 * mm, gloss_lines[0])


def _draw_photo_slot(canvas: Canvas) -> None:
    x, y, width, height = PHOTO_BOX
    canvas.setStrokeColorRGB(*GREY)
    canvas.setLineWidth(0.5)
    canvas.rect(x, y, width, height, stroke=1, fill=0)
    canvas.setFillColorRGB(*GREY)
    canvas.setFont(BOLD, 10)
    canvas.drawCentredString(x + width / 2, y + height / 2 + 1 * mm, wording.PHOTO[0])
    canvas.setFont(REGULAR, 7)
    canvas.drawCentredString(x + width / 2, y + height / 2 - 3.5 * mm, wording.PHOTO[1])


def _draw_qr(canvas: Canvas, matrix: QrMatrix, left: float, bottom: float, width: float) -> None:
    """The symbol as one filled path of module-high rectangles (one per horizontal dark run), on white."""
    module = width / matrix.size
    quiet = QUIET_ZONE_MODULES * module
    canvas.setFillColorRGB(1, 1, 1)
    canvas.rect(left - quiet, bottom - quiet, width + 2 * quiet, width + 2 * quiet, stroke=0, fill=1)
    canvas.setFillColorRGB(0, 0, 0)
    canvas.saveState()
    # module coordinates: one unit per module, row 0 at the top
    canvas.transform(module, 0, 0, -module, left, bottom + width)
    runs = "\n".join(f"{col} {row} {length} 1 re" for row, col, length in matrix.dark_runs())
    canvas.addLiteral(f"{runs}\nf")
    canvas.restoreState()


def _site(qr_text: str) -> str:
    head, separator, _ = qr_text.partition("/V/")
    return head if separator else qr_text


def address_text(snapshot: CertificateSnapshot) -> str:
    """What the big QR code carries since template 2026.2: `<BASE>/V/<CODE>`, the signed URL without its token."""
    return f"{_site(snapshot.qr_text)}/V/{snapshot.verification_code}"


def _draw_signed_caption(canvas: Canvas) -> None:
    right = SIGNED_QR_LEFT - 3 * mm
    canvas.setFillColorRGB(*GREY)
    canvas.setFont(REGULAR, 6.5)
    canvas.drawRightString(right, SIGNED_QR_BOTTOM + 8.5 * mm, wording.SIGNED_CODE[0])
    canvas.setFont(REGULAR, 5.5)
    for index, line in enumerate(wording.SIGNED_CODE[1:]):
        canvas.drawRightString(right, SIGNED_QR_BOTTOM + 5.5 * mm - index * 2.6 * mm, line)


def _draw_query_note(canvas: Canvas, snapshot: CertificateSnapshot) -> None:
    x = QR_LEFT + QR_WIDTH + 12 * mm
    width = 160 * mm - SEAL_RADIUS - 8 * mm - x
    y = QR_BOTTOM + QR_WIDTH - 4 * mm
    canvas.setFillColorRGB(*INK)
    canvas.setFont(BOLD, 10.5)
    canvas.drawString(x, y, wording.VERIFY[0])
    canvas.setFont(REGULAR, 8)
    canvas.drawString(x + pdfmetrics.stringWidth(wording.VERIFY[0], BOLD, 10.5) + 2 * mm, y, wording.VERIFY[1])
    site = _site(snapshot.qr_text)
    y -= 6 * mm
    canvas.setFont(REGULAR, 8.5)
    for line in _wrap(wording.QUERY_ZH.format(site=site), REGULAR, 8.5, width):
        canvas.drawString(x, y, line)
        y -= 4.2 * mm
    canvas.setFillColorRGB(*GREY)
    canvas.setFont(REGULAR, 7)
    for line in _wrap(wording.QUERY_EN.format(site=site), REGULAR, 7, width):
        canvas.drawString(x, y, line)
        y -= 3.5 * mm
    y -= 2.5 * mm
    canvas.drawString(x, y, wording.CODE_LABEL)
    y -= 5 * mm
    code = snapshot.verification_code
    grouped = " ".join(code[i : i + 4] for i in range(0, len(code), 4))
    canvas.setFillColorRGB(*INK)
    size, _ = _fitted(grouped, REGULAR, 12, width, 7)
    canvas.setFont(REGULAR, size)
    canvas.drawString(x, y, grouped)


def _draw_seal_area(canvas: Canvas, centre: tuple[float, float]) -> None:
    cx, cy = centre
    canvas.setStrokeColorRGB(*GREY)
    canvas.setLineWidth(0.5)
    canvas.setDash(2, 2)
    canvas.circle(cx, cy, SEAL_RADIUS, stroke=1, fill=0)
    canvas.setDash()
    canvas.setFillColorRGB(*GREY)
    canvas.setFont(BOLD, 9.5)
    canvas.drawCentredString(cx, cy - SEAL_RADIUS - 5 * mm, wording.SEAL[0])
    canvas.setFont(REGULAR, 7)
    canvas.drawCentredString(cx, cy - SEAL_RADIUS - 8.5 * mm, wording.SEAL[1])
