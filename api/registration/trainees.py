"""A trainee as the calling institution knows them (masked ID number)."""

from __future__ import annotations

import uuid

from litestar import Controller, get

from api.deps import Caller, DbSession, institution_of
from api.schemas import TraineeCompletionOut, TraineeOut
from ledger.registration.trainees import trainee_view


class TraineeController(Controller):
    path = "/api/v1/trainees"
    tags = ["institution"]

    @get("/{trainee_id:uuid}")
    async def read(self, trainee_id: uuid.UUID, db_session: DbSession, principal: Caller) -> TraineeOut:
        view = await trainee_view(db_session, institution_of(principal), trainee_id)
        return TraineeOut(
            id=view.id,
            name=view.name,
            id_number_masked=view.id_number_masked,
            sex=view.sex,
            birth_date=view.birth_date,
            domicile_region=view.domicile_region,
            completions=[TraineeCompletionOut(*c) for c in view.completions],
        )
