"""What every service shares: the caller (``Actor``) and the domain errors.

Each domain package (``api.rules``, ``api.evaluations``, ...) has an ``interface`` module with
what its service promises; views and managers depend on those, never on an implementation.
``api.http.errors`` turns every ``ServiceError`` into an HTTP response.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import overload

from engine.codes import REGISTRY

# --- domain errors ----------------------------------------------------------------------


class ServiceError(Exception):
    """An error with a stable code, field errors for the client, and the code's HTTP status.

    Every code is one of the error registry's (``engine.codes``), which gives its status: a kind
    (``NotFound``, ``Conflict``, ...) says what a raise site means, the registry what it answers.
    """

    code = "bad_request"

    def __init__(self, message: str, code: str | None = None, errors: Mapping[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.errors = dict(errors or {})

    @property
    def status(self) -> int:
        entry = REGISTRY.get(self.code)
        # An unregistered code is a bug tests/test_error_codes.py catches; it answers as one.
        return entry.status if entry is not None and entry.status is not None else 500


class NotFound(ServiceError):
    code = "not_found"


class Conflict(ServiceError):
    code = "invalid_transition"


class Forbidden(ServiceError):
    code = "role_forbidden"


class Unprocessable(ServiceError):
    code = "invalid_input"


class Unavailable(ServiceError):
    code = "store_unavailable"


class PreconditionFailed(ServiceError):
    code = "precondition_failed"


# --- values passed across the interfaces -------------------------------------------------


@dataclass(frozen=True)
class Actor:
    """Who is acting: an API key's id, name, agency and roles."""

    key_id: str
    name: str
    agency: str
    roles: frozenset[str]

    @property
    def label(self) -> str:
        return f"{self.name} ({self.key_id})"


# --- stored times -------------------------------------------------------------------------


@overload
def as_utc(value: dt.datetime) -> dt.datetime: ...
@overload
def as_utc(value: None) -> None: ...
@overload
def as_utc(value: dt.datetime | None) -> dt.datetime | None: ...
def as_utc(value: dt.datetime | None) -> dt.datetime | None:
    """A stored time as an aware UTC datetime (SQLite hands back naive ones; everything stored is UTC)."""
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def iso_utc(value: dt.datetime | None) -> str | None:
    """A stored time as ISO 8601 with ``Z``, as the API shows it."""
    value = as_utc(value)
    return value.isoformat().replace("+00:00", "Z") if value else None
