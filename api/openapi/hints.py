"""What a route declares, in its `opt`, for the OpenAPI document (api/openapi/document.py) to say of it.

Imports nothing, so any controller may use it: `@post(..., opt=IDEMPOTENT)`, `opt={**IDEMPOTENT, **SHEET_UPLOAD}`.
"""

from __future__ import annotations

from typing import Any

IDEMPOTENT: dict[str, Any] = {"idempotent": True}  # honours Idempotency-Key (api/idempotency.py)
SHEET_UPLOAD: dict[str, Any] = {"sheet_upload": True}  # a spreadsheet as the raw body or a multipart `file` part
