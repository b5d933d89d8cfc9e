"""The school portal's uploads with their checks and registration in the writer process (api/writer.py): the same
previews, errors and results as in place (test_school_portal.py), every upload of 2 rows or more handed over."""

from __future__ import annotations

import pytest

from tests.integration.test_school_portal import (
    test_a_bad_upload_names_each_row_and_header_and_offers_the_error_workbook,
    test_a_long_result_pages_through_its_rows,
    test_an_upload_is_previewed_then_confirmed_and_lists_every_certificate,
)

pytestmark = [pytest.mark.asyncio, pytest.mark.https]
__all__ = [
    "test_a_bad_upload_names_each_row_and_header_and_offers_the_error_workbook",
    "test_a_long_result_pages_through_its_rows",
    "test_an_upload_is_previewed_then_confirmed_and_lists_every_certificate",
]


@pytest.fixture
def environment(environment: dict[str, str]) -> dict[str, str]:
    return {**environment, "LEDGER_WRITER_MIN_ROWS": "2", "LEDGER_WRITER_PROCESSES": "1"}
