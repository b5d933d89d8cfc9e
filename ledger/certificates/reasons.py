"""Why a certificate's status changed: a fixed list of codes, so that every page can say it in its own language.

The free text an institution adds is kept as a note beside the code, shown as written.
"""

from __future__ import annotations

from typing import Literal

ReasonCode = Literal[
    "exam_misconduct",
    "false_material",
    "issued_in_error",
    "wrong_information",
    "name_correction",
    "damaged_or_lost",
    "holder_request",
    "under_review",
    "review_cleared",
    "other",
]
REASON_CODES: tuple[str, ...] = ReasonCode.__args__  # type: ignore[attr-defined]
