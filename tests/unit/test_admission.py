"""Import admission: bounded per process, fair between institutions, refused at once with Retry-After."""

from __future__ import annotations

from contextlib import AsyncExitStack

import pytest
from litestar.exceptions import ServiceUnavailableException

from api.admission import Admission


async def test_an_institution_holds_at_most_its_share_and_the_process_at_most_its_slots() -> None:
    admission = Admission(slots=3, per_institution=2)
    async with AsyncExitStack() as held:
        await held.enter_async_context(admission.slot(1))
        await held.enter_async_context(admission.slot(1))
        with pytest.raises(ServiceUnavailableException) as refused:
            await held.enter_async_context(admission.slot(1))  # school 1 has its two
        assert refused.value.status_code == 503 and refused.value.headers == {"Retry-After": "5"}
        await held.enter_async_context(admission.slot(2))  # school 2 still gets in
        assert admission.running == 3
        with pytest.raises(ServiceUnavailableException):
            await held.enter_async_context(admission.slot(3))  # the process is full
    assert admission.running == 0 and admission.admits(1) and admission.admits(3)


async def test_a_failed_import_gives_its_slot_back() -> None:
    admission = Admission(slots=1, per_institution=1)
    with pytest.raises(ZeroDivisionError):
        async with admission.slot(7):
            raise ZeroDivisionError
    async with admission.slot(7):
        assert admission.running == 1
