"""The layout's rules, checked on the source: who may import whom, no import cycles, module size.

Read with docs/architecture.md, which draws the same rules. Imports are read with ``ast``
(nothing is imported to check them); an import inside ``if TYPE_CHECKING:`` is for type
hints only and does not count as a dependency at run time, but still counts for layering.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("engine", "screening", "messages", "api", "targeting")

#: Which project packages each package may import (itself always).
ALLOWED = {
    "engine": set(),
    "screening": {"engine"},
    "messages": {"engine"},
    "api": {"engine", "screening", "messages"},
    "targeting": {"engine", "screening", "messages", "api"},
}

#: Libraries the engine must never touch: it knows nothing of HTTP, storage or caches.
ENGINE_FORBIDDEN = ("flask", "flask_smorest", "marshmallow", "sqlalchemy", "alembic", "redis", "psycopg", "pika")

#: The service layer: each domain's interface, its SQL (or Redis) service and its in-memory one, the
#: audit log, the cache, the database and what they share (the versions' lifecycle). It sits below
#: the use cases, the views and the HTTP edge.
SERVICE_MODULE_NAMES = ("interface", "store", "memory", "log", "activation", "packs", "policy", "importing")
SERVICE_MODULES = ("api.common", "api.cache", "api.db", "api.metrics", "api.config", "api.lifecycle")


def _in_service_layer(name: str) -> bool:
    return name.rpartition(".")[2] in SERVICE_MODULE_NAMES or any(
        name == module or name.startswith(module + ".") for module in SERVICE_MODULES
    )


#: A module longer than this says in its docstring why (after "Why this module is long:").
MAX_MODULE_LINES = 400
LONG_MODULE_MARKER = "Why this module is long:"
#: Long modules still to be split (a ratchet: an entry that is no longer long must be removed).
NOT_YET_SPLIT: set[str] = set()


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    line: int
    type_only: bool
    top_level: bool


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _source_files() -> Iterator[Path]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def _imports(path: Path) -> Iterator[Import]:
    module = _module_name(path)
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(), str(path))

    def walk(nodes: list[ast.stmt], type_only: bool, top_level: bool) -> Iterator[Import]:
        for node in nodes:
            if isinstance(node, ast.If):
                checking = "TYPE_CHECKING" in ast.unparse(node.test)
                yield from walk(node.body, type_only or checking, top_level)
                yield from walk(node.orelse, type_only, top_level)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    yield Import(module, alias.name, node.lineno, type_only, top_level)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = module.split(".")
                    base = base[: len(base) - node.level + (1 if is_package else 0)]
                    target = ".".join([*base, node.module] if node.module else base)
                else:
                    target = node.module or ""
                yield Import(module, target, node.lineno, type_only, top_level)
                for alias in node.names:  # "from api import errors" imports the module api.errors
                    yield Import(module, f"{target}.{alias.name}", node.lineno, type_only, top_level)
            else:
                for field in ("body", "orelse", "finalbody", "handlers"):
                    inner = getattr(node, field, None)
                    if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt | ast.excepthandler):
                        body = [s for h in inner for s in h.body] if field == "handlers" else inner
                        nested = top_level and not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
                        yield from walk(body, type_only, nested)

    yield from walk(tree.body, False, True)


MODULES = {_module_name(path): path for path in _source_files()}
IMPORTS = [found for path in MODULES.values() for found in _imports(path)]


def _project_module(name: str) -> str | None:
    """The project module ``name`` refers to (a name imported from a module counts as that module)."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def test_packages_import_only_what_is_below_them():
    wrong = []
    for found in IMPORTS:
        source, target = found.importer.split(".")[0], found.imported.split(".")[0]
        if target in PACKAGES and target != source and target not in ALLOWED[source]:
            wrong.append(f"{found.importer}:{found.line} imports {found.imported}")
    assert wrong == []


def test_no_package_imports_test_or_benchmark_code():
    wrong = [
        f"{found.importer}:{found.line} imports {found.imported}"
        for found in IMPORTS
        if found.imported.split(".")[0] in ("tests", "testing", "benchmarks")
    ]
    assert wrong == []


def test_the_engine_knows_nothing_of_http_storage_or_caches():
    wrong = [
        f"{found.importer}:{found.line} imports {found.imported}"
        for found in IMPORTS
        if found.importer.split(".")[0] == "engine" and found.imported.split(".")[0] in ENGINE_FORBIDDEN
    ]
    assert wrong == []


def test_the_service_layer_imports_no_view_use_case_or_app_module():
    wrong = []
    for found in IMPORTS:
        target = _project_module(found.imported)
        if (
            found.importer.startswith("api.")
            and _in_service_layer(found.importer)
            and target is not None
            and target.startswith("api.")
            and not _in_service_layer(target)
        ):
            wrong.append(f"{found.importer}:{found.line} imports {target}")
    assert wrong == []


def test_the_service_layer_check_sees_an_upward_import():
    assert _in_service_layer("api.rules.store") and _in_service_layer("api.db.models")
    assert not _in_service_layer("api.rules.views") and not _in_service_layer("api.evaluations.pipeline")


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def test_no_import_cycles_among_modules_at_load_time():
    edges: dict[str, set[str]] = {name: set() for name in MODULES}
    for found in IMPORTS:
        target = _project_module(found.imported)
        if found.type_only or not found.top_level or target is None or target == found.importer:
            continue
        # A package's __init__ re-exporting its own modules is not a cycle of the design.
        if found.importer == target.rpartition(".")[0] or target == found.importer.rpartition(".")[0]:
            continue
        edges[found.importer].add(target)
    assert _cycles(edges) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


@pytest.mark.parametrize("name", sorted(MODULES))
def test_modules_are_short_or_say_why(name):
    path = MODULES[name]
    lines = path.read_text().count("\n")
    if name in NOT_YET_SPLIT:
        assert lines > MAX_MODULE_LINES, f"{name} is short now: remove it from NOT_YET_SPLIT"
        return
    if lines <= MAX_MODULE_LINES:
        return
    docstring = ast.get_docstring(ast.parse(path.read_text())) or ""
    assert LONG_MODULE_MARKER in docstring, (
        f"{path.relative_to(ROOT)} has {lines} lines (> {MAX_MODULE_LINES}): split it, "
        f"or say why in its docstring after {LONG_MODULE_MARKER!r}"
    )
