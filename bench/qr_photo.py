"""Which QR design scans from a phone photo of the whole certificate page (issue #11, point 5).

    .venv/bin/python bench/qr_photo.py [--quick]

A real certificate page is rendered without its QR code (certificates.pdf, 300 dpi); each design's code(s) are
drawn onto it at the printed position and size, module edges on the 300 dpi pixel grid as the PDF rasteriser puts
them. Every page is then "photographed" under every condition of the grid (certificates.photo: downscale, blur,
rotate, JPEG) and decoded with zxing-cpp. The baseline is a URL-only QR (`<BASE>/V/<CODE>`) of the same printed
size, in the same run: a design passes when it decodes in every condition where its baseline does.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import importlib.metadata
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PIL import Image

from certificates import photo
from certificates.pdf import render_many, render_pdf
from certificates.qr import qr_matrix
from ledger.certificates.snapshot import TEMPLATE_VERSION, CertificateSnapshot

BASE = "HTTPS://LEDGER.EXAMPLE"
CODE = "7KQ4M2XPRD9WTB3H"
MM = photo.PRINT_DPI / 25.4  # pixels per millimetre at 300 dpi
PAGE_HEIGHT_MM = 297
QR_LEFT_MM, QR_BOTTOM_MM = 24, 34


def _base32(length_bytes: int, seed: str) -> str:
    raw = hashlib.shake_256(seed.encode()).digest(length_bytes)
    return base64.b32encode(raw).decode().rstrip("=")


# What each design's code carries. The token lengths are those of real COSE_Sign1 messages (docs/verification.md):
# today's 154 bytes with the long masked name of the worked example; "compact" drops the kid, the occupation and
# issuer codes and keeps code, kind, level, date and masked name (121 bytes); "minimal" signs the code alone
# (94 bytes). The signature is 64 of those bytes in every case: Ed25519 has no shorter form.
URL_ONLY = f"{BASE}/V/{CODE}"
SIGNED = f"{BASE}/V/{CODE}/{_base32(154, 'today')}"
COMPACT = f"{BASE}/V/{_base32(121, 'compact')}"
MINIMAL = f"{BASE}/V/{_base32(94, 'minimal')}"


@dataclass(frozen=True)
class Code:
    text: str
    width_mm: float
    left_mm: float = QR_LEFT_MM
    bottom_mm: float = QR_BOTTOM_MM


@dataclass(frozen=True)
class Design:
    name: str
    codes: tuple[Code, ...]  # drawn onto the page without a QR; the first is the one a phone must read
    template: str | None = None  # or: the real certificate PDF of this template version, codes as it prints them

    @property
    def main(self) -> Code:
        return self.codes[0]


def designs() -> list[Design]:
    out = []
    for width in (40, 50, 60):
        out.append(Design(f"URL only {width} mm (baseline)", (Code(URL_ONLY, width),)))
    for width in (40, 50, 60):
        out.append(Design(f"signed URL today {width} mm", (Code(SIGNED, width),)))
    for width in (40, 50):
        out.append(Design(f"compact signed {width} mm", (Code(COMPACT, width),)))
        out.append(Design(f"minimal signed {width} mm", (Code(MINIMAL, width),)))
    out.append(Design("template 2026.1 (real PDF)", (Code(SIGNED, 40),), template="2026.1"))
    real = (Code(URL_ONLY, 40), Code(SIGNED, 22, 149, 17))
    out.append(Design("template 2026.2, two codes (real PDF)", real, template=TEMPLATE_VERSION))
    return out


def _snapshot(template: str) -> CertificateSnapshot:
    return CertificateSnapshot(
        template_version=template,
        kind="skill_level",
        number="S000065010001263000123",
        verification_code=CODE,
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
        course_name="",
        course_hours=None,
        qr_text=SIGNED,
    )


def _shape(code: Code) -> tuple[int, str]:
    matrix = qr_matrix(code.text)
    return matrix.version, f"{code.width_mm / matrix.size:.2f}"


def _draw(page: Image.Image, code: Code) -> None:
    matrix = qr_matrix(code.text)
    n = matrix.size
    tiny = Image.new("L", (n, n), 255)
    tiny.putdata([0 if dark else 255 for row in matrix.modules for dark in row])
    side = round(code.width_mm * MM)
    symbol = tiny.resize((side, side), Image.Resampling.NEAREST)
    quiet = round(4 * side / n)
    left = round(code.left_mm * MM)
    top = round((PAGE_HEIGHT_MM - code.bottom_mm - code.width_mm) * MM)
    page.paste(255, (left - quiet, top - quiet, left + side + quiet, top + side + quiet))
    page.paste(symbol, (left, top))


def _page(design: Design, blank: Image.Image) -> Image.Image:
    if design.template:
        return photo.rasterise(render_pdf(_snapshot(design.template)))
    page = blank.copy()
    for code in design.codes:
        _draw(page, code)
    return page


def _rate(hits: list[bool]) -> str:
    return f"{sum(hits)}/{len(hits)}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="3 widths × 3 blurs × 3 angles × 2 qualities")
    args = parser.parse_args()
    if args.quick:
        conditions = list(photo.grid((600, 800, 1000), (0.5, 1.0, 1.5), (0, 3.5, 7), (50, 80)))
    else:
        conditions = list(photo.grid((600, 700, 800, 900, 1000), (0.5, 1.0, 1.5), (0, 3.5, 7), (50, 65, 80)))
    print(f"# {platform.machine()} {platform.python_version()} zxing-cpp {importlib.metadata.version('zxing-cpp')}")
    print(f"# {len(conditions)} conditions; page rasterised at {photo.PRINT_DPI} dpi")
    blank = photo.rasterise(render_many([_snapshot(TEMPLATE_VERSION)], qr=False))
    results: dict[str, list[bool]] = {}
    extra: dict[str, list[bool]] = {}
    started = time.perf_counter()
    rows = []
    for design in designs():
        page = _page(design, blank)
        shapes = [_shape(code) for code in design.codes]
        hits, second = [], []
        for condition in conditions:
            found = photo.decoded(photo.photograph(page, condition))
            hits.append(design.main.text in found)
            if len(design.codes) > 1:
                second.append(design.codes[1].text in found)
        results[design.name] = hits
        if second:
            extra[design.name] = second
        rows.append((design, shapes))
    baselines = {d.main.width_mm: results[d.name] for d, _ in rows if d.name.startswith("URL only")}
    print()
    print("| design | characters | version | mm/module | decodes | misses where the same-size URL-only decodes |")
    print("|---|---|---|---|---|---|")
    for design, shapes in rows:
        hits = results[design.name]
        baseline = baselines.get(design.main.width_mm, baselines[40])
        misses = sum(1 for hit, base in zip(hits, baseline, strict=True) if base and not hit)
        version, module = shapes[0]
        print(f"| {design.name} | {len(design.main.text)} | {version} | {module} | {_rate(hits)} | {misses} |")
        if design.name in extra:
            version, module = shapes[1]
            size = len(design.codes[1].text)
            print(f"| … its signed code | {size} | {version} | {module} | {_rate(extra[design.name])} | – |")
    print()
    print("Misses of template 2026.1's code where the URL-only 40 mm code decodes:")
    for condition, hit, base in zip(conditions, results["template 2026.1 (real PDF)"], baselines[40], strict=True):
        if base and not hit:
            print(f"  {condition}")
    print(f"# {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
