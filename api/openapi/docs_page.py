"""The API docs page at /schema: Swagger UI, served by the app itself from the copy under `swagger-ui/`.

Nothing on the page is fetched from another host (government intranets have no internet): the script, the style
sheet and the icon are static files of this app, the document is /schema/openapi.json, the online validator
badge is off. The copy is swagger-ui-dist 5.35.0 as published (Apache-2.0: `swagger-ui/LICENSE` and `NOTICE`;
the bundled libraries' notices in `swagger-ui-bundle.js.LICENSE.txt`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Request
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.router import Router
from litestar.static_files import create_static_files_router

from api.guards import PUBLIC
from api.templating import environment

ASSETS = Path(__file__).parent / "swagger-ui"
SCHEMA_PATH = "/schema"
ASSETS_PATH = "/assets"  # under the OpenAPI router's /schema
PAGE = "api_docs.html"


class SwaggerPage(OpenAPIRenderPlugin):
    """Swagger UI with its assets from this app; `/schema` and `/schema/swagger` show it."""

    def __init__(self) -> None:
        super().__init__(path="/swagger", favicon="", style="")
        self.page = environment().get_template(PAGE)  # the pages' environment: autoescape, strict undefined

    def render(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:
        base = f"{SCHEMA_PATH}{ASSETS_PATH}/"
        json_url = self.get_openapi_json_route(request)
        title = str(openapi_schema["info"]["title"])
        page = self.page.render(title=title, base=base, json_url=json_url)
        return page.encode()

    def receive_router(self, router: Router) -> None:
        """The script, style sheet and icon, public like the page (they hold nothing of ours)."""
        router.register(
            create_static_files_router(
                ASSETS_PATH, directories=[ASSETS], name="openapi_assets", opt=PUBLIC, include_in_schema=False
            )
        )
