"""Simulated phone photos of a printed certificate page, and what zxing-cpp reads from them.

A worker photographs the whole page: the camera sees the A4 sheet at a few hundred pixels across, a little out of
focus, tilted, and the phone saves a compressed JPEG. Here the page is rasterised at 300 dpi (pypdfium2, as a
printer would lay it down), then, in this order: downscaled to `width` pixels across (Lanczos), blurred (Gaussian,
`blur` pixels radius at the photo's scale), rotated by `angle` degrees with a white fill around it, and re-encoded
as JPEG at `quality`. `decoded` lists the QR texts zxing-cpp finds in the result.

Used by the QR test (tests/unit/test_certificates_photo.py) and the design comparison (bench/qr_photo.py); the
grid and its figures are in docs/verification.md.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import pypdfium2 as pdfium
import zxingcpp
from PIL import Image, ImageFilter

PRINT_DPI = 300


@dataclass(frozen=True, slots=True)
class Condition:
    width: int  # pixels across the whole page
    blur: float  # Gaussian radius, pixels of the photo
    angle: float  # degrees, counter-clockwise
    quality: int  # JPEG quality

    def __str__(self) -> str:
        return f"{self.width}px blur {self.blur} {self.angle}° q{self.quality}"


def grid(
    widths: Sequence[int], blurs: Sequence[float], angles: Sequence[float], qualities: Sequence[int]
) -> Iterator[Condition]:
    for width, blur, angle, quality in itertools.product(widths, blurs, angles, qualities):
        yield Condition(width, blur, angle, quality)


def rasterise(pdf: bytes, page: int = 0, dpi: int = PRINT_DPI) -> Image.Image:
    """One page of `pdf` as a greyscale image at `dpi`."""
    document = pdfium.PdfDocument(pdf)
    try:
        return document[page].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
    finally:
        document.close()


def photograph(page: Image.Image, condition: Condition) -> Image.Image:
    """The page as a phone would save it under `condition` (see the module docstring for the order of steps)."""
    height = round(page.height * condition.width / page.width)
    image = page.convert("L").resize((condition.width, height), Image.Resampling.LANCZOS)
    if condition.blur:
        image = image.filter(ImageFilter.GaussianBlur(condition.blur))
    if condition.angle:
        image = image.rotate(condition.angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=condition.quality)
    buffer.seek(0)
    return Image.open(buffer).convert("L")


def decoded(image: Image.Image) -> list[str]:
    """The texts of the QR codes zxing-cpp finds in `image`."""
    return [b.text for b in zxingcpp.read_barcodes(image) if b.format == zxingcpp.BarcodeFormat.QRCode]
