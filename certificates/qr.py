"""The certificate QR code: alphanumeric mode, error correction Q, version ≤ 12, encoded by `qrcode`.

`qrcode` picks the mask the way ISO/IEC 18004 says (lowest penalty of the eight), but it places and scores eight
full matrices in pure Python (~15 ms at version 12), most of a certificate's render time. Here `qrcode` still
does all the encoding (segment, Reed–Solomon, function patterns, data placement, format and version bits); only
the mask choice is computed differently. The matrix is placed once with mask 0 (format and version areas light,
exactly as `qrcode` scores them) and packed into one integer; every other mask is that integer XOR a per-version
flip pattern of the data modules; the four penalty rules are evaluated with whole-board bit operations (runs of
five, 2×2 blocks, 1:1:3:1:1 windows, dark ratio). The scores equal `qrcode.util.lost_point` and ties go to the
lowest mask as in `qrcode`, so the matrix is exactly the one `qrcode` produces with its automatic choice (a unit
test compares them), for ~2 ms. A fixed mask (`mask_pattern=`) would be as cheap and still decodable, but could
contain finder-like patterns or large blotches that the standard's choice avoids; no need to trade that away.

Only per-version structure (which modules carry data, the mask patterns) is cached; nothing derived from a text.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from qrcode import constants, util
from qrcode.main import QRCode

MAX_VERSION = 12
ERROR_CORRECTION = constants.ERROR_CORRECT_Q
ALPHANUMERIC = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
QUIET_ZONE_MODULES = 4


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
        return [
            (row, match.start(), match.end() - match.start())
            for row, line in enumerate(self.modules)
            for match in _DARK_RUN.finditer(bytes(line))
        ]


@dataclass(frozen=True, slots=True)
class _Board:
    """Per-version constants for scoring a whole matrix held as one integer.

    Module (r, c) is bit r * stride + c, with stride = size + 1: the spare bit after each row is always 0 and
    the masks below keep runs and patterns from crossing into the next row (or column).
    """

    size: int
    stride: int
    cells: int  # every module
    pair_h: int  # (r, c) with c + 1 < size: a horizontal neighbour exists
    pair_v: int  # (r, c) with r + 1 < size
    window_h: int  # (r, c) with c + 10 < size: an 11-module window fits in the row
    window_v: int  # (r, c) with r + 10 < size
    flips: tuple[int, ...]  # mask k XOR mask 0, on data modules only


_DIGITS = bytes.maketrans(b"\x00\x01", b"01")
_DARK_RUN = re.compile(rb"\x01+")
_FINDER_LIKE = ((1, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0), (0, 0, 0, 0, 1, 0, 1, 1, 1, 0, 1))


def _pack(rows: Iterable[Iterable[bool]]) -> int:
    """Rows of modules as one integer in the `_Board` layout."""
    packed = b"".join(bytes(row) + b"\x00" for row in rows)
    return int(packed[::-1].translate(_DIGITS), 2)


def _where(size: int, keep: Callable[[int, int], bool]) -> int:
    return _pack([[keep(r, c) for c in range(size)] for r in range(size)])


@functools.lru_cache(maxsize=MAX_VERSION)
def _board(version: int) -> _Board:
    size = version * 4 + 17
    probe = QRCode(version=version, error_correction=ERROR_CORRECTION)
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

    def flip(k: int) -> int:
        return _where(size, lambda r, c: is_data[r][c] and bool(masks[0](r, c)) != bool(masks[k](r, c)))

    flips = tuple(flip(k) for k in range(8))
    return _Board(
        size=size,
        stride=size + 1,
        cells=_where(size, lambda r, c: True),
        pair_h=_where(size, lambda r, c: c + 1 < size),
        pair_v=_where(size, lambda r, c: r + 1 < size),
        window_h=_where(size, lambda r, c: c + 10 < size),
        window_v=_where(size, lambda r, c: r + 10 < size),
        flips=flips,
    )


def _runs_score(same: int, step: int) -> int:
    """Rule 1 from `same` (bit set where a module equals the next one): each run of L ≥ 5 scores L - 2."""
    five = same & (same >> step) & (same >> 2 * step) & (same >> 3 * step)  # starts of 5 equal modules
    return five.bit_count() + 2 * (five & ~(five << step)).bit_count()  # (L - 4) per run, plus 2 per run


def _finder_score(dark: int, light: int, step: int, window: int) -> int:
    """Rule 3: 1:1:3:1:1 patterns with four light modules on one side, 40 each."""
    found = 0
    for pattern in _FINDER_LIKE:
        match = window
        for offset, is_dark in enumerate(pattern):
            match &= (dark if is_dark else light) >> (offset * step)
        found += match.bit_count()
    return 40 * found


def _penalty(board: _Board, dark: int) -> int:
    """ISO/IEC 18004 penalty, computed exactly as `qrcode.util.lost_point` computes it."""
    light = dark ^ board.cells
    stride = board.stride
    same_h = ~(dark ^ (dark >> 1)) & board.pair_h
    same_v = ~(dark ^ (dark >> stride)) & board.pair_v
    score = _runs_score(same_h, 1) + _runs_score(same_v, stride)
    score += 3 * (same_h & same_v & (same_v >> 1)).bit_count()
    score += _finder_score(dark, light, 1, board.window_h) + _finder_score(dark, light, stride, board.window_v)
    percent = float(dark.bit_count()) / (board.size**2)
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


def _choose_mask(qr: QRCode) -> tuple[int, int]:
    """The mask `QRCode.best_mask_pattern` would choose, and the masked board, from a single placement."""
    board = _board(qr.version)
    qr.makeImpl(True, 0)
    placed = _pack(qr.modules)
    best, best_score, best_dark = 0, -1, placed
    for k, flip in enumerate(board.flips):
        dark = placed ^ flip
        score = _penalty(board, dark)
        if best_score < 0 or score < best_score:
            best, best_score, best_dark = k, score, dark
    return best, best_dark


def qr_matrix(text: str) -> QrMatrix:
    """Encode `text` (upper-case alphanumeric) as a QR code at error correction Q, version ≤ 12."""
    qr = _encoder(text)
    mask, dark = _choose_mask(qr)
    size = qr.modules_count
    stride = size + 1
    digits = format(dark, f"0{size * stride}b")[::-1]
    # The data modules already carry the chosen mask; qrcode writes the real format (and version) bits.
    qr.modules = [[digit == "1" for digit in digits[r * stride : r * stride + size]] for r in range(size)]
    qr.setup_type_info(False, mask)
    if qr.version >= 7:
        qr.setup_type_number(False)
    modules = tuple(tuple(line) for line in qr.modules)
    return QrMatrix(version=qr.version, mask_pattern=mask, modules=modules)
