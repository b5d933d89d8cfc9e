"""The certificate QR code: alphanumeric mode, error correction Q, version ≤ 12, encoded by `qrcode`.

`qrcode` picks the mask the way ISO/IEC 18004 says (lowest penalty of the eight), but it builds and scores eight
full matrices in pure Python, which is most of a certificate's render time. Here `qrcode` still does the encoding
(segment, Reed–Solomon, function patterns, data placement, format and version bits); only the mask choice is
made differently. The matrix is placed once (mask 0, format and version areas light, exactly as `qrcode` scores
them); every other mask is that matrix XOR a per-version bit pattern of the data modules; the four penalty
rules are scored on rows and columns held as integers (runs and finder-like patterns by regular expression and
`str.count`, 2×2 blocks and the dark ratio by bit operations). The scores equal `qrcode.util.lost_point`, so
the chosen mask, and therefore the matrix, are exactly the ones `qrcode` produces with its automatic choice; a
unit test compares both. A fixed mask would also give a valid code, but one that can contain finder-like
patterns or large blotches that the standard's choice avoids; this keeps the standard's result at ~1/4 of
the cost.

Only per-version structure (which modules carry data, the mask patterns) is cached; nothing derived from a text.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from qrcode import constants, util
from qrcode.main import QRCode

MAX_VERSION = 12
ERROR_CORRECTION = constants.ERROR_CORRECT_Q
ALPHANUMERIC = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
QUIET_ZONE_MODULES = 4

_RUN = re.compile(r"0{5,}|1{5,}")
_FINDER_LIKE = ("10111010000", "00001011101")


def capacity(version: int = MAX_VERSION) -> int:
    """How many alphanumeric characters fit in one segment at `version` with error correction Q."""
    bits = util.BIT_LIMIT_TABLE[ERROR_CORRECTION][version] - 4 - util.length_in_bits(util.MODE_ALPHA_NUM, version)
    return (bits // 11) * 2 + (1 if bits % 11 >= 6 else 0)


MAX_TEXT = capacity(MAX_VERSION)


class QrTooLarge(ValueError):
    """The text needs a QR version above 12 (or is not alphanumeric)."""


@dataclass(frozen=True, slots=True)
class QrMatrix:
    """Dark (True) and light modules, row by row, without the quiet zone."""

    version: int
    mask_pattern: int
    modules: tuple[tuple[bool, ...], ...]

    @property
    def size(self) -> int:
        return len(self.modules)

    def dark_runs(self) -> list[tuple[int, int, int]]:
        """Horizontal runs of dark modules as (row, first column, length): a compact way to draw the code."""
        runs = []
        for row, line in enumerate(self.modules):
            start = -1
            for col, dark in enumerate(line):
                if dark and start < 0:
                    start = col
                elif not dark and start >= 0:
                    runs.append((row, start, col - start))
                    start = -1
            if start >= 0:
                runs.append((row, start, len(line) - start))
        return runs


@dataclass(frozen=True, slots=True)
class _Layout:
    """Per-version constants: for each mask k, the bits that differ from mask 0 on data modules."""

    size: int
    row_flips: tuple[tuple[int, ...], ...]
    col_flips: tuple[tuple[int, ...], ...]


def _bits(cells: list[bool]) -> int:
    return int("".join("1" if cell else "0" for cell in cells), 2)


@functools.lru_cache(maxsize=MAX_VERSION)
def _layout(version: int) -> _Layout:
    probe = QRCode(version=version, error_correction=ERROR_CORRECTION)
    size = version * 4 + 17
    probe.modules_count = size
    probe.modules = [[None] * size for _ in range(size)]
    probe.setup_position_probe_pattern(0, 0)
    probe.setup_position_probe_pattern(size - 7, 0)
    probe.setup_position_probe_pattern(0, size - 7)
    probe.setup_position_adjust_pattern()
    probe.setup_timing_pattern()
    probe.setup_type_info(True, 0)
    if version >= 7:
        probe.setup_type_number(True)
    is_data = [[cell is None for cell in line] for line in probe.modules]

    masks = [util.mask_func(k) for k in range(8)]
    pattern = [
        [[is_data[r][c] and bool(masks[k](r, c)) for c in range(size)] for r in range(size)] for k in range(8)
    ]
    row_flips = []
    col_flips = []
    for k in range(8):
        flip = [[pattern[0][r][c] != pattern[k][r][c] for c in range(size)] for r in range(size)]
        row_flips.append(tuple(_bits(line) for line in flip))
        col_flips.append(tuple(_bits([flip[r][c] for r in range(size)]) for c in range(size)))
    return _Layout(size, tuple(row_flips), tuple(col_flips))


def _line_penalty(lines: list[int], size: int) -> int:
    """Rules 1 (runs of five or more) and 3 (1:1:3:1:1 with four light modules) along one direction."""
    text = "|".join(format(line, f"0{size}b") for line in lines)
    runs = sum(len(match) - 2 for match in _RUN.findall(text))
    return runs + 40 * sum(text.count(pattern) for pattern in _FINDER_LIKE)


def _penalty(rows: list[int], cols: list[int], size: int) -> int:
    score = _line_penalty(rows, size) + _line_penalty(cols, size)
    pair_mask = (1 << (size - 1)) - 1
    full = (1 << size) - 1
    for upper, lower in zip(rows, rows[1:], strict=False):
        same_vertically = ~(upper ^ lower) & full
        same_horizontally = ~(upper ^ (upper >> 1))
        score += 3 * (same_vertically & (same_vertically >> 1) & same_horizontally & pair_mask).bit_count()
    dark = sum(row.bit_count() for row in rows)
    percent = float(dark) / (size**2)
    return score + int(abs(percent * 100 - 50) / 5) * 10


def _version_for(length: int) -> int:
    """The smallest version holding one alphanumeric segment of `length` (what `QRCode.best_fit` computes)."""
    for version in range(1, MAX_VERSION + 1):
        needed = 4 + util.length_in_bits(util.MODE_ALPHA_NUM, version) + 11 * (length // 2) + 6 * (length % 2)
        if needed <= util.BIT_LIMIT_TABLE[ERROR_CORRECTION][version]:
            return version
    raise QrTooLarge(f"QR text of {length} characters needs a version above {MAX_VERSION}")


def _encoder(text: str) -> QRCode:
    if not text or not set(text) <= ALPHANUMERIC:
        raise QrTooLarge("QR text must be non-empty and use only QR alphanumeric characters (0-9 A-Z $%*+-./: )")
    qr = QRCode(version=_version_for(len(text)), error_correction=ERROR_CORRECTION, border=0)
    qr.add_data(util.QRData(text.encode("ascii"), mode=util.MODE_ALPHA_NUM))
    return qr


def _choose_mask(qr: QRCode) -> tuple[int, list[int]]:
    """The mask `QRCode.best_mask_pattern` would choose, and the masked rows, from a single placement."""
    layout = _layout(qr.version)
    size = layout.size
    qr.makeImpl(True, 0)
    rows0 = [_bits(line) for line in qr.modules]
    cols0 = [_bits(list(column)) for column in zip(*qr.modules, strict=True)]
    best, best_score, best_rows = 0, -1, rows0
    for k in range(8):
        rows = [row ^ flip for row, flip in zip(rows0, layout.row_flips[k], strict=True)]
        cols = [col ^ flip for col, flip in zip(cols0, layout.col_flips[k], strict=True)]
        score = _penalty(rows, cols, size)
        if best_score < 0 or score < best_score:
            best, best_score, best_rows = k, score, rows
    return best, best_rows


def qr_matrix(text: str) -> QrMatrix:
    """Encode `text` (upper-case alphanumeric) as a QR code at error correction Q, version ≤ 12."""
    qr = _encoder(text)
    mask, rows = _choose_mask(qr)
    size = qr.modules_count
    # The data modules of `rows` already carry the chosen mask; qrcode writes the real format (and version) bits.
    qr.modules = [[bit == "1" for bit in format(row, f"0{size}b")] for row in rows]
    qr.setup_type_info(False, mask)
    if qr.version >= 7:
        qr.setup_type_number(False)
    modules = tuple(tuple(line) for line in qr.modules)
    return QrMatrix(version=qr.version, mask_pattern=mask, modules=modules)
