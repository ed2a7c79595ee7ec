"""Which error codes an operation can answer, and the OpenAPI responses that document them.

An operation's codes are those every ``/v1`` operation can give (no key, no role, a bad character
in the query or path, the rate limit, the store down, a bug), those its policy and its input imply
(a target of another agency, a JSON body, a version number in the path), and those its view
declares with :func:`answers` (the domain's: ``rule_exists``, ``self_approval``, ...). Every code
is one of the registry's (``engine.codes``), which gives its status and meaning; each status is
documented with the exact ``code`` values it can carry, so a generated client gets typed errors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from engine.codes import registered

F = TypeVar("F", bound=Callable[..., Any])

#: What any /v1 operation can answer.
EVERY_OPERATION = (
    "unauthenticated",
    "role_forbidden",
    "invalid_input",  # a NUL or unpaired surrogate in the path or query string
    "rate_limited",
    "internal_error",
    "store_unavailable",  # the key is looked up in the store
)
#: An operation that reads a JSON body.
JSON_BODY = ("invalid_json", "too_deep", "number_too_long", "unsupported_media_type", "request_too_large")
#: An operation that reads another body (a message, a CSV file).
OTHER_BODY = ("request_too_large",)
#: Path parameters that name a target whose agency a policy checks, and the code when there is none.
TARGET_NOT_FOUND = {
    "rule_id": "rule_not_found",
    "list_name": "list_not_found",
    "decision_id": "decision_not_found",
    "entry_id": "entry_not_found",
}
#: Answers that tell the client when to try again.
RETRY_AFTER = {
    "description": "Seconds to wait before trying again",
    "schema": {"type": "integer", "minimum": 0},
}


def answers(*codes: str) -> Callable[[F], F]:
    """Declare the error codes a view raises itself (beyond those ``operation_codes`` derives)."""
    for code in codes:
        registered(code)  # an unregistered code fails at import, not in front of a client

    def decorate(view: F) -> F:
        view.answers = (*getattr(view, "answers", ()), *codes)  # type: ignore[attr-defined]
        return view

    return decorate


def operation_codes(view: Any, arguments: Iterable[str], body: str | None) -> list[str]:
    """Every code the operation of ``view`` can answer: the path's ``arguments``; ``body`` json, other or None."""
    policy = getattr(view, "policy", None)
    if policy is None:  # public: health, readiness, metrics
        return ["internal_error"]
    codes = list(EVERY_OPERATION)
    if policy.own_agency:
        targets = [TARGET_NOT_FOUND[name] for name in arguments if name in TARGET_NOT_FOUND]
        if targets or "agency" in arguments:
            codes.append("agency_forbidden")
        codes += targets
    if "number" in arguments:
        codes.append("not_found")  # a version that is not a number matches no route
    if body == "json":
        codes += JSON_BODY
    elif body is not None:
        codes += OTHER_BODY
    codes += getattr(view, "answers", ())
    return list(dict.fromkeys(codes))


def error_schema(codes: Iterable[str]) -> dict[str, Any]:
    """The error body (the ``Error`` component, which describes its fields) with ``code`` limited to ``codes``."""
    return {
        "type": "object",
        "required": ["code", "message", "errors"],
        "properties": {
            "code": {"type": "string", "enum": sorted(codes)},
            "message": {"type": "string"},
            "errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
        },
    }


def error_responses(codes: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The responses of ``codes``, one per status, each listing its codes and what they mean."""
    by_status: dict[int, list[str]] = {}
    for code in codes:
        status = registered(code).status
        if status is not None:
            by_status.setdefault(status, []).append(code)
    responses: dict[str, dict[str, Any]] = {}
    for status, found in sorted(by_status.items()):
        lines = [f"- `{code}`: {registered(code).meaning}" for code in sorted(found)]
        response: dict[str, Any] = {
            "description": "\n".join(lines),
            "content": {"application/json": {"schema": error_schema(found)}},
        }
        if status in (429, 503):
            response["headers"] = {"Retry-After": RETRY_AFTER}
        responses[str(status)] = response
    return responses


def documented_codes(operation: Mapping[str, Any]) -> set[str]:
    """The codes an OpenAPI operation documents (what ``error_responses`` wrote into it)."""
    found: set[str] = set()
    for status, response in operation.get("responses", {}).items():
        if status.isdigit() and int(status) >= 400 and "content" in response:
            schema = response["content"]["application/json"]["schema"]
            found.update(schema.get("properties", {}).get("code", {}).get("enum", []))
    return found
