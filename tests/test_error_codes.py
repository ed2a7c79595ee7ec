"""No error code is used that the registry (``engine/codes.py``) does not hold, and the README lists them all.

The code base is read (with ``ast``) for every code a front end can answer with: the codes given
to the service's errors (``ServiceError`` and its kinds) and to the helpers that make error bodies,
the ``code`` of every error class, the codes views declare (``@answers``) and those the command line
writes (``{"code": ...}``). The routes are walked for what each operation declares. The console
(``api/console``) is left out: it renders its own HTML pages, never an API error body.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from api.common import ServiceError
from api.http import auth, errors, inputs  # noqa: F401 - their ServiceError kinds are collected below
from engine.codes import REGISTRY, markdown
from engine.errors import EngineError

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("api", "engine", "messages", "screening", "targeting")
#: Helpers that take a code among their arguments (every argument shaped like a code is read as one).
CODE_HELPERS = {"_unreadable", "_Refused", "error_body", "answers", "cli_error"}
CODE_SHAPE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+|[a-z]+")


def _subclasses(root: type) -> set[type]:
    found = set(root.__subclasses__())
    for kind in list(found):
        found |= _subclasses(kind)
    return found


SERVICE_ERRORS = {kind.__name__ for kind in _subclasses(ServiceError)} | {"ServiceError"}


def _sources() -> Iterator[Path]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "console" not in path.parts and "migrations" not in path.parts:
                yield path


def _text(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def used_codes(paths: Iterable[Path]) -> dict[str, set[str]]:
    """Every code the sources at ``paths`` answer with, and where."""
    found: dict[str, set[str]] = {}

    def add(code: str | None, where: str) -> None:
        if code is not None:
            found.setdefault(code, set()).add(where)

    for path in paths:
        tree = ast.parse(path.read_text(), str(path))
        where = path.name
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
                keywords = {keyword.arg: keyword.value for keyword in node.keywords}
                if name in SERVICE_ERRORS:
                    add(_text(node.args[1] if len(node.args) > 1 else keywords.get("code")), where)
                elif name in CODE_HELPERS:
                    for argument in node.args:
                        text = _text(argument)
                        add(text if text and CODE_SHAPE.fullmatch(text) else None, where)
            elif isinstance(node, ast.ClassDef):
                for statement in node.body:
                    if isinstance(statement, ast.Assign) and any(
                        isinstance(target, ast.Name) and target.id == "code" for target in statement.targets
                    ):
                        add(_text(statement.value), where)
            elif isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if _text(key) == "code":
                        add(_text(value), where)
    return found


def test_every_code_the_code_base_uses_is_registered():
    used = used_codes(_sources())
    assert len(used) >= 50  # the scan reaches the raise sites
    unregistered = {code: sorted(places) for code, places in used.items() if code not in REGISTRY}
    assert unregistered == {}


def test_every_error_class_has_a_registered_code():
    for kind in {ServiceError, *_subclasses(ServiceError), EngineError, *_subclasses(EngineError)}:
        assert kind.code in REGISTRY, kind


def test_the_codes_werkzeug_answers_are_registered():
    assert set(errors._HTTP_CODES.values()) <= set(REGISTRY)
    for status, code in errors._HTTP_CODES.items():
        assert REGISTRY[code].status == status


def test_every_route_declares_only_registered_codes(tmp_path):
    from api import create_app
    from api.config import Settings

    settings = Settings(database_url="memory://", redis_url="", instance_path=str(tmp_path), testing=True)
    app = create_app(settings)
    declared = {
        code for rule in app.url_map.iter_rules() for code in getattr(app.view_functions[rule.endpoint], "answers", ())
    }
    assert len(declared) >= 30 and declared <= set(REGISTRY)
    app.extensions["targeting"].rulesets.stop()


def test_the_readme_lists_every_code_of_the_registry():
    readme = (ROOT / "README.md").read_text()
    table = re.search(r"<!-- error-codes:start -->\n(.*?)<!-- error-codes:end -->", readme, re.S)
    assert table is not None, "README.md has no <!-- error-codes:start --> table"
    assert table.group(1) == markdown(), "regenerate with: python -c 'import engine.codes as c; print(c.markdown())'"


def test_the_scan_finds_an_unregistered_code(tmp_path):
    # So the first test can fail: each way of naming a code is read.
    probe = tmp_path / "probe.py"
    probe.write_text(
        'raise Conflict("message", "not_registered_1")\n'
        'raise NotFound("message", code="not_registered_2")\n'
        'body = error_body("not_registered_3", "a message")\n'
        'line = {"line": 1, "error": {"code": "not_registered_4"}}\n'
        'class Refused(Exception):\n    code = "not_registered_5"\n'
        '@answers("not_registered_6")\ndef view(): ...\n'
    )
    assert set(used_codes([probe])) == {f"not_registered_{n}" for n in range(1, 7)}
