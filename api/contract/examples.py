"""Example requests and answers of every operation, recorded on the seeded service.

``examples.json`` is a scenario: steps in order, each a request (as one of the demo keys of
``seeds/accounts.yaml``, with bodies from ``seeds/``) and the answer it got. A step's path and body
may name a value an earlier answer gave (``{decision_id}``), which that step ``captures`` by JSON
pointer. ``python -m scripts.record_examples`` records the answers; ``tests/api/test_contract.py``
replays the steps on a fresh seeded service and checks each answer's status and shape. The
document shows each operation's first example (and any error answer recorded) in place.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

PATH = Path(__file__).with_name("examples.json")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@cache
def _steps() -> tuple[dict[str, Any], ...]:
    if not PATH.exists():
        return ()
    return tuple(json.loads(PATH.read_text(encoding="utf-8"))["steps"])


def load() -> tuple[dict[str, Any], ...]:
    return _steps()


def fill(template: Any, values: dict[str, Any]) -> Any:
    """``template`` with each ``{name}`` of a string replaced by ``values[name]`` (inside bodies too)."""
    if isinstance(template, str):
        whole = _PLACEHOLDER.fullmatch(template)
        if whole and whole.group(1) in values:
            return values[whole.group(1)]  # keeps the value's type (a number stays a number)
        return _PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), template)
    if isinstance(template, list):
        return [fill(item, values) for item in template]
    if isinstance(template, dict):
        return {key: fill(value, values) for key, value in template.items()}
    return template


def pointer(document: Any, path: str) -> Any:
    """The value at JSON pointer ``path`` (``/results/0/decision_id``)."""
    found = document
    for part in path.strip("/").split("/"):
        found = found[int(part)] if isinstance(found, list) else found[part]
    return found


def attach(steps: tuple[dict[str, Any], ...], operation_key: str, operation: dict[str, Any]) -> None:
    """Show the first recorded request of ``operation_key`` and its answers (one per status) on ``operation``."""
    mine = [step for step in steps if step["operation"] == operation_key]
    if not mine:
        return
    first = next((step for step in mine if step["status"] < 400), mine[0])
    if "requestBody" in operation and "example_body" in first:
        content = operation["requestBody"].setdefault("content", {})
        media = content.setdefault(first["content_type"], next(iter(content.values()), {}))
        media["example"] = first["example_body"]
    query = first.get("example_query", {})
    for parameter in operation.get("parameters", []):
        if isinstance(parameter, dict) and parameter.get("in") == "query" and parameter["name"] in query:
            parameter["example"] = query[parameter["name"]]
    responses = operation.setdefault("responses", {})
    for step in mine:
        response = responses.get(str(step["status"])) or responses.get(step["status"])
        if not isinstance(response, dict) or "answer" not in step:
            continue
        media = response.get("content", {}).get("application/json")
        if media is not None and "example" not in media:
            media["example"] = step["answer"]


def add_parameter_examples(steps: tuple[dict[str, Any], ...], rule: Any, parameters: list[Any]) -> None:
    """An example of each path parameter of ``rule``: the value the first recorded request of it used."""
    template = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
    for step in steps:
        if step["operation"].split(" ", 1)[1] != template:
            continue
        pattern = re.escape(template)
        for name in rule.arguments:
            pattern = pattern.replace(re.escape("{" + name + "}"), f"(?P<{name}>[^/]+)")
        found = re.fullmatch(pattern, step["example_path"])
        if found is None:
            continue
        for parameter in parameters:
            if isinstance(parameter, dict) and parameter.get("in") == "path" and parameter["name"] in found.groupdict():
                value = found.group(parameter["name"])
                parameter["example"] = int(value) if value.isdigit() and parameter["name"] == "number" else value
        return
