"""The rules of docs/architecture.md that a reader should not have to trust: which way imports point, no cycles,
frozen migrations, and one way to write."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _modules(package: str) -> dict[str, Path]:
    found = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _imports(path: Path, *, top_level_only: bool = False) -> set[str]:
    """Absolute module names `path` imports (for `from a.b import c`, `a.b.c` when that is a module, else `a.b`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    names: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def test_the_domain_imports_nothing_from_the_web_or_the_renderer() -> None:
    for name, path in _modules("ledger").items():
        bad = {m for m in _imports(path) if m.split(".")[0] in ("api", "litestar", "certificates")}
        assert not bad, f"{name} imports {sorted(bad)}"


def test_the_renderer_takes_only_value_types_from_the_domain() -> None:
    allowed = {"ledger.certificates.snapshot", "ledger.reference.levels", "ledger.people.names"}
    for name, path in _modules("certificates").items():
        used = {m for m in _imports(path) if m.startswith("ledger.")} - allowed
        used = {m for m in used if not any(m.startswith(a + ".") for a in allowed)}
        assert not used, f"{name} imports {sorted(used)} from the domain"
        assert not {m for m in _imports(path) if m.split(".")[0] in ("api", "litestar", "sqlalchemy", "asyncpg")}


def test_no_migration_imports_the_application() -> None:
    for path in sorted((ROOT / "migrations" / "versions").glob("*.py")):
        bad = {m for m in _imports(path) if m.split(".")[0] in ("ledger", "api", "certificates")}
        assert not bad, f"{path.name} imports {sorted(bad)}: a migration is what the schema was, not what the code is"


def test_no_import_cycles_between_modules() -> None:
    """Function-level imports count too: a deferred import is still a dependency."""
    modules = {**_modules("ledger"), **_modules("api"), **_modules("certificates")}
    graph = {name: {m for m in _imports(path) if m in modules and m != name} for name, path in modules.items()}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                cycle = [*stack[stack.index(nxt) :], nxt]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name)


def test_only_the_journal_appends_to_the_log_and_refreshes_the_statistics() -> None:
    owners = {"append_events": "ledger.journal", "refresh_talent": "ledger.journal"}
    defined_in = {"append_events": "ledger.log.append", "refresh_talent": "ledger.statistics.refresh"}
    for package in ("ledger", "api"):
        for name, path in _modules(package).items():
            tree = ast.parse(path.read_text(encoding="utf-8"))
            called = {
                n.func.id if isinstance(n.func, ast.Name) else n.func.attr
                for n in ast.walk(tree)
                if isinstance(n, ast.Call) and isinstance(n.func, ast.Name | ast.Attribute)
            }
            for function, owner in owners.items():
                if function in called and name not in (owner, defined_in[function]):
                    raise AssertionError(f"{name} calls {function}: every write goes through ledger.journal")
