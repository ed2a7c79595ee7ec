"""The one place errors become HTTP responses: ``{"code", "message", "errors": {"field.path": [...]}}``.

Codes are stable strings a program can switch on. Validation errors carry the dotted path
of every bad field; nothing unexpected ever leaks as a 500 with a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask, jsonify
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException

from api import metrics
from api.common import ServiceError
from api.http.fields import passenger_problems
from engine import EngineFailure, RecordError, RuleCompilationError
from engine.codes import registered
from engine.errors import group_by_path

log = logging.getLogger(__name__)

#: The registered code of each answer Werkzeug or flask-smorest gives itself (a status not here: 4xx
#: ``bad_request``, 5xx ``internal_error``).
_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    404: "not_found",
    405: "method_not_allowed",
    413: "request_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "rate_limited",
}


class ErrorSchema(Schema):
    """The error shape, as /openapi.json documents every error response."""

    code = fields.String(required=True, metadata={"description": "Stable code a program can switch on"})
    message = fields.String(required=True, metadata={"description": "What went wrong, for a person"})
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        required=True,
        metadata={"description": "Messages by the dotted path of each bad field ('$' for the whole request)"},
    )


def flatten(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested error dict as ``{"passengers[3].booking.checked_bags": [...]}``."""
    out: dict[str, list[str]] = {}
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            if isinstance(key, int):
                path = f"{prefix}[{key}]"
            elif key in ("json", "query", "path", "headers", "form", "files") and not prefix:
                path = ""
            elif key == "_schema":
                path = prefix
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            for sub, items in flatten(value, path).items():
                out.setdefault(sub, []).extend(items)
    elif isinstance(messages, list | tuple):
        if all(isinstance(item, str) for item in messages):
            out[prefix or "$"] = list(messages)
        else:
            for item in messages:
                for sub, items in flatten(item, prefix).items():
                    out.setdefault(sub, []).extend(items)
    else:
        out[prefix or "$"] = [str(messages)]
    return out


def error_body(code: str, message: str, errors: Mapping[str, list[str]] | None = None) -> dict[str, Any]:
    return {"code": code, "message": message, "errors": dict(errors or {})}


def http_exception_body(error: HTTPException) -> tuple[dict[str, Any], int, dict[str, str]]:
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    errors = flatten(data["messages"]) if "messages" in data else flatten(data.get("errors", {}))
    code = data.get("error_code") or _HTTP_CODES.get(status, "bad_request" if status < 500 else "internal_error")
    if status == 422 and errors and passenger_problems() == sum(len(messages) for messages in errors.values()):
        code = "invalid_passenger"  # nothing wrong but passenger records: the CLI's code for them too
    if status == 422 and errors:
        message = "the request is not valid"
    else:
        message = data.get("message") or error.description or error.name
    return error_body(code, message, errors), status, dict(data.get("headers") or {})


def register(app: Flask) -> None:
    @app.errorhandler(ServiceError)
    def _service(error: ServiceError):
        return jsonify(error_body(error.code, error.message, error.errors)), error.status

    @app.errorhandler(RuleCompilationError)
    def _rules(error: RuleCompilationError):
        body = error_body(error.code, "the rule is not valid", group_by_path(error.problems, "rule"))
        return jsonify(body), registered(error.code).status

    @app.errorhandler(RecordError)
    def _record(error: RecordError):
        body = error_body(error.code, "the passenger record is not valid", group_by_path(error.problems))
        return jsonify(body), registered(error.code).status

    @app.errorhandler(EngineFailure)
    def _engine(error: EngineFailure):
        metrics.ENGINE_FAILURES.inc()
        log.error("engine failure", extra={"error": str(error)})
        body = error_body(error.code, "the rules engine failed on this request; it is safe to retry")
        return jsonify(body), registered(error.code).status, {"Retry-After": "1"}

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        body, status, headers = http_exception_body(error)
        return jsonify(body), status, headers

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        log.exception("unexpected error", extra={"error": type(error).__name__})
        return jsonify(error_body("internal_error", "an unexpected error occurred; it has been logged")), 500
