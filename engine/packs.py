"""Reading rule packs from files: YAML or JSON, one pack per file."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from engine.compiler import PackSource
from engine.errors import Problem

PACK_SUFFIXES = (".yaml", ".yml", ".json")
# Rule tests (engine.rule_tests) live beside the packs they test.
RULE_TEST_SUFFIX = "_test.yaml"


# libyaml's parser when PyYAML was built with it (several times faster on 10,000-rule packs);
# typed as the pure-Python SafeLoader, whose interface it has.
if TYPE_CHECKING:
    _BaseLoader = yaml.SafeLoader
else:
    _BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_BaseLoader):
    """A safe loader that refuses duplicate keys instead of silently keeping the last one.

    It also leaves dates as text, so a bad date (``2027-02-30``) is reported at its path
    by the compiler rather than failing the whole file, and reads only ``true``/``false``
    as booleans: YAML 1.1 would turn ``NO``, ``Y`` or ``off`` into booleans.
    """


_StrictLoader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        # A scalar key is known by its resolved tag and text without constructing it.
        if isinstance(key_node, yaml.ScalarNode):
            key: Any = (key_node.tag, key_node.value)
        else:
            key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            name = key[1] if isinstance(key_node, yaml.ScalarNode) else key
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {name!r}", key_node.start_mark)
        seen.add(key)
    mapping: dict[Any, Any] = loader.construct_mapping(node, deep=deep)
    return mapping


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def parse_text(text: str, source: str) -> PackSource:
    """Decode one pack's text; raises ``ValueError`` with a located message when it cannot."""
    if source.endswith(".json"):
        try:
            return PackSource(source, json.loads(text))
        except json.JSONDecodeError as exc:
            raise ValueError(f"line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
        except RecursionError:
            raise ValueError("nested too deeply to read") from None
    try:
        return PackSource(source, yaml.load(text, Loader=_StrictLoader))  # noqa: S506 - strict SafeLoader subclass
    except RecursionError:
        raise ValueError("nested too deeply to read") from None
    except yaml.YAMLError as exc:
        raise ValueError(_yaml_problem(exc)) from None


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """``line L, column C: problem``, and where the construct it broke began when that is elsewhere
    (an unclosed quote is found at the end of the file, but began where the quote opened)."""
    if not isinstance(exc, yaml.MarkedYAMLError) or exc.problem_mark is None:
        return str(exc)
    message = f"{_at(exc.problem_mark)}: {exc.problem or exc.context}"
    context = exc.context_mark
    if exc.problem and exc.context and context is not None and context.line != exc.problem_mark.line:
        message += f" ({exc.context} at {_at(context)})"
    return message


def _at(mark: yaml.Mark) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}"


def pack_files(paths: Iterable[str | Path]) -> list[Path]:
    """Pack and list files under ``paths`` (files as given, directories searched recursively,
    leaving out rule tests, ``*_test.yaml``), sorted."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(
                sorted(
                    p
                    for p in path.rglob("*")
                    if p.suffix in PACK_SUFFIXES and p.is_file() and not p.name.endswith(RULE_TEST_SUFFIX)
                )
            )
        else:
            found.append(path)
    return found


def read_packs(paths: Iterable[str | Path]) -> tuple[list[PackSource], list[Problem]]:
    """Every pack under ``paths``, plus a problem for each file that cannot be read or decoded."""
    paths = list(paths)
    packs: list[PackSource] = []
    problems: list[Problem] = []
    for path in pack_files(paths):
        source = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(Problem("unreadable", f"cannot read: {exc}", "", "", source))
            continue
        try:
            packs.append(parse_text(text, source))
        except ValueError as exc:
            problems.append(Problem("syntax_error", str(exc), "", "", source))
    if not packs and not problems:
        where = ", ".join(str(path) for path in paths)
        problems.append(Problem("no_packs", "no rule packs found (*.yaml, *.yml, *.json)", "", "", where))
    return packs, problems
