"""The front page (`/`): in Chinese first, where each kind of visitor goes — schools to their portal, bureaus to the
dashboard, a worker (or an employer) to check a certificate by its verification code."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get
from litestar.params import Parameter
from litestar.response import Redirect

from api.guards import PUBLIC
from api.sessions import html

HOME = "home.html"


class HomeController(Controller):
    path = "/"
    opt = PUBLIC
    include_in_schema = False

    @get("/")
    async def page(self, code: Annotated[str | None, Parameter(max_length=64)] = None) -> Response:
        """The front page; with `?code=` (its verification form) the certificate's verification page."""
        typed = "".join((code or "").split()).upper()
        if typed:
            return Redirect(f"/v/{typed}", status_code=303)
        return html(HOME, {"error": code is not None})
