"""A trainee as the calling institution knows them (masked ID number)."""

from __future__ import annotations

import uuid

from litestar import Controller, get

from api.deps import DbSession, OwnInstitution
from api.guards import institution_key
from api.schemas import TraineeCompletionOut, TraineeOut
from ledger.registration.trainees import trainee_view


class TraineeController(Controller):
    path = "/api/v1/trainees"
    tags = ["institution"]
    guards = [institution_key]

    @get("/{trainee_id:uuid}", summary="Read a trainee (学员), ID number masked")
    async def read(self, trainee_id: uuid.UUID, db_session: DbSession, institution_id: OwnInstitution) -> TraineeOut:
        """A trainee the institution enrolled, with the ID number masked, and their completions."""
        view = await trainee_view(db_session, institution_id, trainee_id)
        return TraineeOut(
            id=view.id,
            name=view.name,
            id_number_masked=view.id_number_masked,
            sex=view.sex,
            birth_date=view.birth_date,
            domicile_region=view.domicile_region,
            completions=[TraineeCompletionOut(*c) for c in view.completions],
        )
