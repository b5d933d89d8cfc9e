"""The API docs page at /schema: Swagger UI, served by the app itself from the copy under `swagger-ui/`.

Nothing on the page is fetched from another host (government intranets have no internet): the script, the style
sheet and the icon are static files of this app, the document is /schema/openapi.json, the online validator
badge is off. The copy is swagger-ui-dist 5.35.0 as published (Apache-2.0: `swagger-ui/LICENSE` and `NOTICE`;
the bundled libraries' notices in `swagger-ui-bundle.js.LICENSE.txt`).
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from litestar import Request
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.router import Router
from litestar.static_files import create_static_files_router

from api.guards import PUBLIC

ASSETS = Path(__file__).parent / "swagger-ui"
SCHEMA_PATH = "/schema"
ASSETS_PATH = "/assets"  # under the OpenAPI router's /schema


class SwaggerPage(OpenAPIRenderPlugin):
    """Swagger UI with its assets from this app; `/schema` and `/schema/swagger` show it."""

    def __init__(self) -> None:
        super().__init__(path="/swagger", favicon="", style="")

    def render(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:
        base = f"{SCHEMA_PATH}{ASSETS_PATH}/"
        json_url = self.get_openapi_json_route(request)
        title = html.escape(str(openapi_schema["info"]["title"]))
        page = f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title}</title>
  <link rel="icon" type="image/png" href="{base}favicon-32x32.png">
  <link rel="stylesheet" href="{base}swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{base}swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({{
      url: "{json_url}",
      dom_id: "#swagger-ui",
      layout: "BaseLayout",
      deepLinking: true,
      validatorUrl: null,
      persistAuthorization: false,
      tryItOutEnabled: false,
      displayRequestDuration: true,
    }});
  </script>
</body>
</html>
"""
        return page.encode()

    def receive_router(self, router: Router) -> None:
        """The script, style sheet and icon, public like the page (they hold nothing of ours)."""
        router.register(
            create_static_files_router(
                ASSETS_PATH, directories=[ASSETS], name="openapi_assets", opt=PUBLIC, include_in_schema=False
            )
        )
