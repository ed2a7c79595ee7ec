"""``targeting rules fmt``: rule packs and reference lists in one canonical layout.

Keys in a fixed order (a rule reads id, title, description, weight, action, validity, tags,
when), each leaf on one line in flow style with ``field`` first, ``all``/``any``/``not`` as
blocks, list values sorted, long descriptions folded, one blank line between rules. The
result is checked before anything is written: it must read back as exactly the pack that was
read (with its lists sorted), so formatting can never change what a rule means. A file with
comments is left alone: the layout would lose them.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from engine.lists import is_list_document
from engine.packs import pack_files, parse_text

PACK_KEYS = ("agency", "description", "rules")
RULE_KEYS = ("id", "title", "description", "weight", "action", "valid_from", "valid_until", "tags", "when")
LIST_KEYS = ("name", "agency", "description", "type", "shared", "values")
LIST_VALUED = frozenset({"in", "not_in", "contains_any"})
WIDTH = 90
_COMMENT = re.compile(r"(^|\s)#")


class _Dumper(yaml.SafeDumper):
    """Writes dates as plain text (the packs' loader reads them as text, then checks them)."""


_Dumper.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeDumper.yaml_implicit_resolvers.items()
}


class FormatError(Exception):
    pass


def format_text(text: str, source: str) -> str:
    """The canonical layout of one pack or list file; ``FormatError`` when it cannot be formatted safely."""
    if source.endswith(".json"):
        raise FormatError("JSON packs are left as they are")
    if any(_COMMENT.search(line) for line in text.splitlines()):
        raise FormatError("has comments, which the canonical layout would lose; left as it is")
    try:
        data = parse_text(text, source).data
    except ValueError as exc:
        raise FormatError(str(exc)) from None
    if not isinstance(data, Mapping):
        raise FormatError("not a pack or a list")
    formatted = "\n".join(_list(data) if is_list_document(data) else _pack(data)) + "\n"
    if parse_text(formatted, source).data != _sorted_lists(data):
        raise FormatError("the canonical layout would not read back the same; left as it is")
    return formatted


def format_paths(paths: Iterable[str | Path], check: bool) -> tuple[list[str], list[str]]:
    """Format every pack and list under ``paths`` (``check``: write nothing). Returns the files
    that are (or were) not in the canonical layout, and the problems."""
    changed: list[str] = []
    problems: list[str] = []
    for path in pack_files(paths):
        try:
            text = path.read_text(encoding="utf-8")
            formatted = format_text(text, str(path))
        except (OSError, UnicodeDecodeError, FormatError) as exc:
            problems.append(f"{path}: {exc}")
            continue
        if formatted != text:
            changed.append(str(path))
            if not check:
                path.write_text(formatted, encoding="utf-8")
    return changed, problems


def _pack(data: Mapping[str, Any]) -> list[str]:
    lines = _scalars(data, PACK_KEYS[:2], "")
    lines += [f"{key}: {_flow(data[key])}" for key in data if key not in PACK_KEYS]
    rules = data.get("rules")
    if isinstance(rules, list):
        lines.append("rules:")
        for number, rule in enumerate(rules):
            if number:
                lines.append("")
            lines += _rule(rule) if isinstance(rule, Mapping) else [f"  - {_flow(rule)}"]
    elif "rules" in data:
        lines.append(f"rules: {_flow(rules)}")
    return lines


def _rule(rule: Mapping[str, Any]) -> list[str]:
    keys = [key for key in RULE_KEYS if key in rule] + [key for key in rule if key not in RULE_KEYS]
    lines: list[str] = []
    for key in keys:
        if key == "when":
            lines += _condition_entry("when", rule["when"], "    ")
        else:
            lines += _scalars(rule, (key,), "    ")
    lines[0] = "  - " + lines[0].removeprefix("    ")
    return lines


def _condition_entry(key: str, condition: Any, indent: str) -> list[str]:
    """``key: CONDITION`` at ``indent``: a leaf on the same line, a combinator as a block below."""
    body = _node(condition, indent + "  ")
    if len(body) == 1 and _combinator(condition) is None:
        return [f"{indent}{key}: {body[0].strip()}"]
    return [f"{indent}{key}:", *body]


def _node(condition: Any, indent: str) -> list[str]:
    """A condition as the lines of a YAML value at ``indent``: a leaf is one flow mapping, a
    combinator its key with its items (``all``/``any``) or its one condition (``not``, ``any_leg``)."""
    combinator = _combinator(condition)
    if combinator is None:
        return [indent + _flow(_leaf(condition))]
    name, inner = combinator
    if name in ("not", "any_leg"):
        return _condition_entry(name, inner, indent)
    lines = [f"{indent}{name}:"]
    for item in inner:
        item_lines = _node(item, indent + "    ")
        item_lines[0] = indent + "  - " + item_lines[0].removeprefix(indent + "    ")
        lines += item_lines
    return lines


def _combinator(condition: Any) -> tuple[str, Any] | None:
    if isinstance(condition, Mapping) and len(condition) == 1:
        key = next(iter(condition))
        if key in ("all", "any") and isinstance(condition[key], list):
            return key, condition[key]
        if key in ("not", "any_leg"):
            return key, condition[key]
    return None


def _leaf(condition: Any) -> Any:
    if not isinstance(condition, Mapping):
        return condition
    ordered = {key: condition[key] for key in ("field", "watchlist") if key in condition}
    ordered.update((key, _sorted(value) if key in LIST_VALUED else value) for key, value in condition.items())
    return ordered


def _list(data: Mapping[str, Any]) -> list[str]:
    keys = [key for key in LIST_KEYS if key in data and key != "values"]
    lines = _scalars(data, keys, "") + [f"{key}: {_flow(data[key])}" for key in data if key not in LIST_KEYS]
    values = data.get("values")
    if isinstance(values, list):
        wrapped = textwrap.wrap(", ".join(_flow(value) for value in _sorted(values)), WIDTH - 2, break_on_hyphens=False)
        lines.append("values: [" + ("\n  ".join(wrapped)) + "]")
    return lines


def _scalars(data: Mapping[str, Any], keys: Iterable[str], indent: str) -> list[str]:
    lines = []
    for key in keys:
        if key not in data:
            continue
        value = data[key]
        text = _flow(value)
        # A rule's description is always folded; any other text when it would not fit on its line.
        fold = (key == "description" and bool(indent)) or len(indent) + len(key) + 2 + len(text) > WIDTH
        if isinstance(value, str) and fold and "\n" not in value and value == " ".join(value.split()):
            folded = textwrap.wrap(value, WIDTH - len(indent) - 2, break_on_hyphens=False, break_long_words=False)
            lines.append(f"{indent}{key}: >-")
            lines += [f"{indent}  {line}" for line in folded]
        else:
            lines.append(f"{indent}{key}: {text}")
    return lines


def _flow(value: Any) -> str:
    text = yaml.dump(value, Dumper=_Dumper, default_flow_style=True, sort_keys=False, width=10**9, allow_unicode=True)
    return text.removesuffix("\n...\n").strip()


def _sorted(values: Any) -> Any:
    if not isinstance(values, list):
        return values
    try:
        return sorted(values, key=lambda value: (type(value).__name__, value))
    except TypeError:
        return values


def _sorted_lists(data: Any, key: str = "") -> Any:
    """``data`` as the canonical layout reads back: list values sorted, nothing else changed."""
    if isinstance(data, Mapping):
        return {k: _sorted_lists(v, str(k)) for k, v in data.items()}
    if isinstance(data, list):
        items = [_sorted_lists(item) for item in data]
        return _sorted(items) if key in LIST_VALUED or key == "values" else items
    return data
