"""The certificate QR code: same symbol as `qrcode`'s own choice, version ≤ 12, level Q, alphanumeric, decodable."""

from __future__ import annotations

import random

import pytest
import qrcode
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from qrcode import constants, util

from certificates import qr as qr_module
from certificates.qr import MAX_TEXT, QrMatrix, QrTooLarge, qr_matrix

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
URL = "HTTPS://LEDGER.EXAMPLE/V/7KQ4M2XPRD9WTB3H/" + "Q" * 200
qr_texts = st.text(alphabet=ALPHABET, min_size=1, max_size=MAX_TEXT)


def reference(text: str) -> qrcode.QRCode:
    """What `qrcode` makes on its own: automatic version and automatic mask choice."""
    code = qrcode.QRCode(error_correction=constants.ERROR_CORRECT_Q, border=0)
    code.add_data(util.QRData(text.encode(), mode=util.MODE_ALPHA_NUM))
    code.make()
    return code


@settings(max_examples=40, deadline=None)
@given(qr_texts)
def test_symbol_equals_qrcodes_automatic_mask_choice(text: str) -> None:
    matrix = qr_matrix(text)
    expected = reference(text)
    assert matrix.version == expected.version
    assert [list(row) for row in matrix.modules] == [[bool(cell) for cell in row] for row in expected.modules]


def test_every_mask_scores_like_qrcode_lost_point() -> None:
    rnd = random.Random(7)
    for length in (1, 20, 77, 150, 229, MAX_TEXT):
        text = "".join(rnd.choice(ALPHABET) for _ in range(length))
        code = reference(text)
        board = qr_module._board(code.version)
        code.makeImpl(True, 0)
        placed = qr_module._pack(code.modules)
        for mask in range(8):
            code.makeImpl(True, mask)
            assert qr_module._penalty(board, placed ^ board.flips[mask]) == util.lost_point(code.modules)


FORMAT_MASK = 0b101010000010010
FORMAT_POLY = 0b10100110111
EC_BITS = {0b01: "L", 0b00: "M", 0b11: "Q", 0b10: "H"}
MASKS = [
    lambda i, j: (i + j) % 2 == 0,
    lambda i, j: i % 2 == 0,
    lambda i, j: j % 3 == 0,
    lambda i, j: (i + j) % 3 == 0,
    lambda i, j: (i // 2 + j // 3) % 2 == 0,
    lambda i, j: (i * j) % 2 + (i * j) % 3 == 0,
    lambda i, j: ((i * j) % 2 + (i * j) % 3) % 2 == 0,
    lambda i, j: ((i + j) % 2 + (i * j) % 3) % 2 == 0,
]


def read_bits(matrix: QrMatrix, cells: list[tuple[int, int]]) -> int:
    value = 0
    for row, col in cells:
        value = (value << 1) | matrix.modules[row][col]
    return value


def format_info(matrix: QrMatrix) -> tuple[str, int]:
    """Error correction level and mask from the format information next to the top-left finder (ISO 18004 §7.9)."""
    n = matrix.size
    first = [(8, 0), (8, 1), (8, 2), (8, 3), (8, 4), (8, 5), (8, 7), (8, 8), (7, 8)] + [
        (r, 8) for r in range(5, -1, -1)
    ]
    second = [(r, 8) for r in range(n - 1, n - 8, -1)] + [(8, c) for c in range(n - 8, n)]
    word = read_bits(matrix, first) ^ FORMAT_MASK
    assert read_bits(matrix, second) ^ FORMAT_MASK == word
    remainder = word
    for shift in range(4, -1, -1):  # BCH(15,5): the word is a multiple of the generator
        if remainder >> (shift + 10) & 1:
            remainder ^= FORMAT_POLY << shift
    assert remainder == 0
    assert matrix.modules[n - 8][8]  # the always-dark module
    data = word >> 10
    return EC_BITS[data >> 3], data & 0b111


def mode_indicator(matrix: QrMatrix, mask: int) -> int:
    """The first four data bits: bottom-right corner, right column first, going up."""
    n = matrix.size
    cells = [(n - 1, n - 1), (n - 1, n - 2), (n - 2, n - 1), (n - 2, n - 2)]
    return read_bits(matrix, cells) ^ sum(MASKS[mask](r, c) << (3 - k) for k, (r, c) in enumerate(cells))


def as_image(matrix: QrMatrix, scale: int = 4) -> Image.Image:
    side = (matrix.size + 8) * scale
    image = Image.new("L", (side, side), 255)
    for row, col, length in matrix.dark_runs():
        box = ((col + 4) * scale, (row + 4) * scale, (col + 4 + length) * scale, (row + 5) * scale)
        image.paste(0, box)
    return image


@pytest.mark.parametrize("length", [1, 60, 180, 250, MAX_TEXT])
def test_version_level_q_alphanumeric_and_decodable(length: int) -> None:
    text = (URL * 2)[:length]
    matrix = qr_matrix(text)
    assert matrix.size == 17 + 4 * matrix.version and matrix.version <= 12
    level, mask = format_info(matrix)
    assert level == "Q" and mask == matrix.mask_pattern
    assert mode_indicator(matrix, mask) == 0b0010  # alphanumeric mode
    if matrix.version >= 7:  # version information block, top right (ISO 18004 §7.10)
        cells = [(i // 3, matrix.size - 11 + i % 3) for i in range(17, -1, -1)]
        assert read_bits(matrix, cells) >> 12 == matrix.version
    (decoded,) = zxingcpp.read_barcodes(as_image(matrix))
    assert decoded.text == text and decoded.ec_level == "Q"


def test_longest_text_still_fits_version_12() -> None:
    assert qr_matrix("A" * MAX_TEXT).version == 12
    with pytest.raises(QrTooLarge):
        qr_matrix("A" * (MAX_TEXT + 1))


@pytest.mark.parametrize("text", ["", "https://ledger.example", "HTTPS://LEDGER.EXAMPLE/V/ABC?X=1", "证书"])
def test_refuses_text_outside_alphanumeric_mode(text: str) -> None:
    with pytest.raises(QrTooLarge):
        qr_matrix(text)


def test_dark_runs_cover_exactly_the_dark_modules() -> None:
    matrix = qr_matrix(URL)
    grid = [[False] * matrix.size for _ in range(matrix.size)]
    for row, col, length in matrix.dark_runs():
        for c in range(col, col + length):
            assert not grid[row][c]
            grid[row][c] = True
    assert grid == [list(row) for row in matrix.modules]
