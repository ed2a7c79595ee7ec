"""Rules as the YAML officers edit: parsing, finding an error's path in the text, side-by-side diffs."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass
from typing import Any

import yaml

_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


#: Keys written first, in this order, as the rule packs are written; the store may keep them in any order.
KEY_ORDER = ("id", "title", "description", "weight", "action", "valid_from", "valid_until", "when", "field")


class _Condition(dict):
    """A leaf condition, written on one line like the packs: ``- {field: booking.checked_bags, gte: 3}``."""


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)  # lists indented under their key, as in the packs


_Dumper.add_representer(
    _Condition, lambda dumper, data: dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=True)
)


def _ordered(value: Any) -> Any:
    if isinstance(value, dict):
        keys = [key for key in KEY_ORDER if key in value] + [key for key in value if key not in KEY_ORDER]
        ordered = {key: _ordered(value[key]) for key in keys}
        return _Condition(ordered) if "field" in value else ordered
    if isinstance(value, list):
        return [_ordered(item) for item in value]
    return value


def dump(content: dict[str, Any]) -> str:
    """A rule as YAML for reading and editing, keys in the packs' order."""
    return yaml.dump(_ordered(content), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def _jsonable(value: Any) -> Any:
    # YAML reads 2027-12-31 as a date; the API takes rule content as JSON, where dates are strings.
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    return value


def parse(text: str) -> tuple[dict[str, Any] | None, dict[str, list[str]]]:
    """The rule in ``text``, or None and the problems (keyed ``$``, as the API keys whole-document errors)."""
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        return None, {"$": [f"not valid YAML: {where}{problem}"]}
    if not isinstance(loaded, dict):
        return None, {"$": ["a rule is a YAML mapping (id: ..., title: ..., when: ...)"]}
    return _jsonable(loaded), {}


def _tokens(path: str) -> list[str | int]:
    return [int(index) if index else name for name, index in _TOKEN.findall(path)]


def locate(text: str, path: str) -> int | None:
    """The 1-based line of ``text`` where the value at ``path`` (``when.all[1].field``) is, or its nearest parent."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    if node is None:
        return None
    line: int | None = None
    for token in _tokens(path):
        if isinstance(node, yaml.MappingNode) and isinstance(token, str):
            found = next(((key, value) for key, value in node.value if key.value == token), None)
            if found is None:
                break
            line = found[0].start_mark.line + 1
            node = found[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(token, int) and token < len(node.value):
            node = node.value[token]
            line = node.start_mark.line + 1
        else:
            break
    return line


@dataclass(frozen=True)
class DiffRow:
    kind: str  # equal, delete, insert, replace
    old_number: int | None
    old_text: str
    new_number: int | None
    new_text: str


def side_by_side(old: str, new: str) -> list[DiffRow]:
    """Both texts line by line, aligned, each row marked with what changed."""
    old_lines, new_lines = old.splitlines(), new.splitlines()
    rows: list[DiffRow] = []
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        for offset in range(max(i2 - i1, j2 - j1)):
            i, j = i1 + offset, j1 + offset
            has_old, has_new = i < i2, j < j2
            kind = (
                tag if tag != "replace" else ("replace" if has_old and has_new else "delete" if has_old else "insert")
            )
            rows.append(
                DiffRow(
                    kind,
                    i + 1 if has_old else None,
                    old_lines[i] if has_old else "",
                    j + 1 if has_new else None,
                    new_lines[j] if has_new else "",
                )
            )
    return rows
