"""The Jinja2 environment every HTML page is rendered with: templates from the package's `api/templates/`,
autoescape on for every template.

Nothing here runs at import: `create_app` calls `template_config()`, a test may call `environment()`.
"""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, StrictUndefined
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig


def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("api", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(environment()))
