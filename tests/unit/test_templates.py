"""HTML comes from the Jinja templates under api/templates, escaped by autoescape: no module under api/ escapes by
hand or writes HTML in a Python string, and an installed package carries every template."""

from __future__ import annotations

import fnmatch
import io
import re
import tokenize
import tomllib
from pathlib import Path

from tests.conftest import ROOT

API = ROOT / "api"
TAGS = (
    "html|head|body|main|header|footer|nav|section|article|div|span|p|a|b|i|br|small|h1|h2|h3|ul|li|dl|dt|dd|table|tr|"
    "th|td|details|summary|form|label|input|select|option|button|style|meta|title|svg|g|rect|line|polyline|circle|text|"
    "script|img"
)
HTML = re.compile(rf"<!doctype|</?(?:{TAGS})[\s/>]", re.IGNORECASE)  # an element, not a <placeholder>
HAND_ESCAPING = re.compile(r"\bescape\s*\(|\bhtml\.escape\b|\bmarkupsafe\b|\bMarkup\s*\(|\|\s*safe\b")


def strings(path: Path) -> list[tuple[int, str]]:
    source = path.read_text(encoding="utf-8")
    return [
        (token.start[0], token.string)
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type == tokenize.STRING
    ]


def test_no_module_under_api_escapes_by_hand() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sorted(API.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if HAND_ESCAPING.search(line)
    ]
    found += [
        f"{path.relative_to(ROOT)}: {line.strip()}"
        for path in sorted((API / "templates").rglob("*"))
        if path.is_file()
        for line in path.read_text(encoding="utf-8").splitlines()
        if HAND_ESCAPING.search(line)
    ]
    assert found == [], "escape in templates, by autoescape"


def test_no_module_under_api_writes_html() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{number}: {text[:80]}"
        for path in sorted(API.rglob("*.py"))
        for number, text in strings(path)
        if HTML.search(text)
    ]
    assert found == [], "HTML belongs in api/templates"


def test_an_installed_package_carries_every_template() -> None:
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["api"]
    files = [p.relative_to(API).as_posix() for p in (API / "templates").rglob("*") if p.is_file()]
    assert files and all(
        any(fnmatch.fnmatch(f, pattern) and f.count("/") == pattern.count("/") for pattern in patterns) for f in files
    ), files
