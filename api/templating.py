"""The Jinja2 environment every HTML page is rendered with: templates from the package's `api/templates/`,
autoescape on for every template, and the few filters the pages format figures with.

Nothing here runs at import: `create_app` calls `template_config()`, a test may call `environment()`.
"""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, StrictUndefined
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig

from api.statistics import charts


def coordinate(value: float) -> str:
    """An SVG coordinate, to a tenth of a pixel."""
    return f"{value:.1f}"


def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("api", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(number=charts.number, short=charts.short, percent=charts.percent, coord=coordinate)
    env.globals.update(FONT=charts.FONT, GRID=charts.GRID, INK=charts.INK, MUTED=charts.MUTED)
    return env


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(environment()))
