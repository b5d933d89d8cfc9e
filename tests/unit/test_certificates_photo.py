"""A certificate's QR code read from a phone photo of the whole page (issue #11, point 5).

The page is rasterised at 300 dpi and photographed under a grid covering the corners of the issue's ranges
(certificates.photo): 600–1000 px across, blur 0.5–1.5, 0–7°, JPEG 50–80. The baseline is a URL-only QR code of
the same printed size at the same place: a certificate carrying only `<BASE>/V/<CODE>` (template 2026.1 draws
whatever its `qr_text` is at 40 mm). Wherever the baseline decodes, the certificate's code must decode too.
"""

from __future__ import annotations

import msgspec
import pytest

from certificates import photo
from certificates.pdf import address_text, render_pdf
from certificates.token import verify_token
from tests.unit.test_certificates_pdf import KEY, KID, snapshot

GRID = list(photo.grid((600, 730, 870, 1000), (0.5, 1.0, 1.5), (0, 3.5, 7), (50, 80)))


@pytest.mark.slow
def test_the_certificate_qr_decodes_in_every_photo_where_a_url_only_qr_of_its_size_decodes() -> None:
    certificate = snapshot()
    address = address_text(certificate)
    baseline = msgspec.structs.replace(certificate, template_version="2026.1", qr_text=address)
    page = photo.rasterise(render_pdf(certificate))
    baseline_page = photo.rasterise(render_pdf(baseline))

    baseline_hits, misses = 0, []
    for condition in GRID:
        if address not in photo.decoded(photo.photograph(baseline_page, condition)):
            continue
        baseline_hits += 1
        found = photo.decoded(photo.photograph(page, condition))
        if address not in found:
            misses.append(str(condition))
    assert misses == []
    assert baseline_hits >= len(GRID) * 0.9  # the grid is one a URL-only code mostly survives, not a vacuous one

    # what the photo gives names this certificate; the signed code beside it verifies against the published key
    assert address.rsplit("/V/", 1)[1] == certificate.verification_code
    signed = [text for text in photo.decoded(page) if text != address]
    assert signed == [certificate.qr_text]
    claims = verify_token(certificate.qr_text.rsplit("/", 1)[1], {KID: KEY.public_key()})
    assert claims.code == certificate.verification_code


@pytest.mark.slow
def test_the_single_signed_code_of_template_2026_1_misses_photos_the_url_only_code_survives() -> None:
    """The reason for two codes, kept as a test: the old design fails this grid (issue #11's report)."""
    certificate = msgspec.structs.replace(snapshot(), template_version="2026.1")
    page = photo.rasterise(render_pdf(certificate))
    corner = [photo.Condition(600, 1.0, 0, 80), photo.Condition(1000, 1.5, 7, 50)]
    assert all(certificate.qr_text not in photo.decoded(photo.photograph(page, c)) for c in corner)
