"""Liveness and readiness."""

from __future__ import annotations

import asyncio

from litestar import Controller, Response, get
from litestar.datastructures import State
from litestar.openapi import ResponseSpec

from api.guards import PUBLIC
from api.schemas import Health
from ledger.database.migrate import schema_revision


class OpsController(Controller):
    path = ""
    tags = ["operations"]
    opt = PUBLIC

    @get("/health", summary="Liveness: the process is up")
    async def health(self) -> Health:
        """The process is up (it does not look at the database)."""
        return Health(status="ok")

    @get(
        "/ready",
        summary="Readiness: the database answers at the expected schema",
        responses={503: ResponseSpec(Health, description="未就绪 / not ready: the database or its schema")},
    )
    async def ready(self, state: State) -> Response[Health]:
        """503 unless the database answers and its schema is at the revision this code expects."""
        expected = state.runtime.schema_head
        try:
            async with asyncio.timeout(2):
                async with state.runtime.sessionmaker() as session:
                    current = await schema_revision(session)
        except Exception:  # any failure to reach or read the database means: not ready
            return Response(
                Health(status="unavailable", database="unreachable", expected_revision=expected), status_code=503
            )
        if current != expected:
            body = Health(status="unavailable", database="ok", schema_revision=current, expected_revision=expected)
            return Response(body, status_code=503)
        replica = state.runtime.replica
        reads = replica.serving if replica else None
        return Response(
            Health(status="ok", database="ok", schema_revision=current, expected_revision=expected, reads=reads)
        )
