"""The console's only way to the service's data: the ``/v1`` API, called in-process with the signed-in key.

Going through the API rather than the services means every page is authorised, validated
and audited exactly as an API call with the same key would be.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, request


def normalise_errors(raw: Any) -> dict[str, list[str]]:
    """The API's ``errors`` as ``{path: [messages]}``, whether it came as that mapping or as ``[{path, message}]``."""
    out: dict[str, list[str]] = {}
    if isinstance(raw, Mapping):
        for path, messages in raw.items():
            items = messages if isinstance(messages, list | tuple) else [messages]
            out.setdefault(str(path), []).extend(str(item) for item in items)
    elif isinstance(raw, list | tuple):
        for item in raw:
            if isinstance(item, Mapping):
                path = str(item.get("path") or "$")
                out.setdefault(path, []).append(str(item.get("message") or item.get("code") or item))
            else:
                out.setdefault("$", []).append(str(item))
    return out


@dataclass(eq=False)  # exceptions stay hashable
class ApiError(Exception):
    """A refused or failed API call, as the API described it."""

    status: int
    code: str
    message: str
    errors: dict[str, list[str]] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"

    def at(self, path: str) -> list[str]:
        return self.errors.get(path, [])


class SignedOut(Exception):
    """The API no longer accepts the session's key (revoked, expired): the console signs the user out."""

    def __init__(self, error: ApiError) -> None:
        super().__init__(str(error))
        self.error = error


class ApiClient:
    """Calls ``/v1`` endpoints of the running app as the holder of ``key``."""

    def __init__(self, key: str) -> None:
        self._key = key

    def call(self, method: str, path: str, *, json: Any = None, query: Mapping[str, Any] | None = None) -> Any:
        """The response body of a 2xx answer; raises ``ApiError`` otherwise (``SignedOut`` on 401)."""
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        params = {name: value for name, value in (query or {}).items() if value not in (None, "")}
        client = app.test_client(use_cookies=False)
        # A fresh application context: the API request gets its own ``g`` (actor, policy), as it would over HTTP.
        with app.app_context():
            response = client.open(
                path,
                method=method,
                query_string=params,
                json=json if method != "GET" else None,
                headers={"X-API-Key": self._key, "User-Agent": "targeting-console"},
                environ_base={"REMOTE_ADDR": request.remote_addr or "127.0.0.1"},
            )
        body = response.get_json(silent=True)
        if 200 <= response.status_code < 300:
            return body
        body = body if isinstance(body, Mapping) else {}
        error = ApiError(
            response.status_code,
            str(body.get("code") or "error"),
            str(body.get("message") or response.status),
            normalise_errors(body.get("errors")),
        )
        if response.status_code == 401:
            raise SignedOut(error)
        raise error

    def get(self, path: str, **query: Any) -> Any:
        return self.call("GET", path, query=query)

    def post(self, path: str, json: Any) -> Any:
        return self.call("POST", path, json=json)
