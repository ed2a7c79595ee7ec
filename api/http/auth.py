"""API keys and who may call what.

Every ``/v1`` view declares its policy with ``@requires``: the roles that may call it and
whether the target must belong to the caller's agency. The declarations are collected
from the route table by the authorisation-matrix test, so a new endpoint without a
policy fails the tests. ``@requires`` goes right under ``@blp.route``, so a caller is
authenticated and authorised before the request body is even read.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import current_app, g, request

from api import metrics
from api.common import Actor, Forbidden, ServiceError
from api.http import inputs

F = TypeVar("F", bound=Callable[..., Any])

#: Roles whose keys may read across agencies where a policy allows it.
CROSS_AGENCY_READERS = frozenset({"auditor"})


def _rule_agency(rule_id: str) -> str:
    return current_app.extensions["targeting"].rule_store.rule_agency(rule_id)


def _list_agency(list_name: str) -> str:
    return current_app.extensions["targeting"].list_store.list_agency(list_name)


def _decision_agency(decision_id: str) -> str:
    return current_app.extensions["targeting"].decision_store.decision(decision_id).agency


def _entry_agency(entry_id: str) -> str:
    return current_app.extensions["targeting"].watchlist_store.entry(entry_id).agency


#: How the agency that owns a request's target is found, by path parameter.
TARGET_AGENCY: dict[str, Callable[[str], str]] = {
    "rule_id": _rule_agency,
    "list_name": _list_agency,
    "decision_id": _decision_agency,
    "entry_id": _entry_agency,
    "agency": str,  # a path that names the agency itself (a journey contribution)
}


class Unauthenticated(ServiceError):
    code = "unauthenticated"


@dataclass(frozen=True)
class Policy:
    roles: frozenset[str]
    #: The target (a rule, a decision) must belong to the caller's agency.
    own_agency: bool
    #: Auditors may read any agency's target.
    auditors_cross_agency: bool


def requires(*roles: str, own_agency: bool = False, auditors_cross_agency: bool = False) -> Callable[[F], F]:
    policy = Policy(frozenset(roles), own_agency, auditors_cross_agency)

    def decorate(view: F) -> F:
        takes_json = takes_json_body(view)

        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            actor = authenticate()
            if not actor.roles & policy.roles:
                raise Forbidden(f"this needs one of the roles {', '.join(sorted(policy.roles))}", "role_forbidden")
            g.actor = actor
            g.policy = policy
            inputs.check_path(kwargs)
            if policy.own_agency:
                for name, resolve in TARGET_AGENCY.items():
                    if name in kwargs:
                        ensure_agency(resolve(kwargs[name]))
            inputs.check_query_and_body(takes_json)
            return view(*args, **kwargs)

        guarded.policy = policy  # type: ignore[attr-defined]
        return guarded  # type: ignore[return-value]

    return decorate


def takes_json_body(view: Callable[..., Any]) -> bool:
    """Whether the view reads a JSON body: flask-smorest's ``@blp.arguments`` (location ``json``) under it."""
    parameters = getattr(view, "_apidoc", {}).get("arguments", {}).get("parameters", [])
    return any(parameter.get("in") == "json" for parameter in parameters)


def public(view: F) -> F:
    """Mark a view as reachable without a key (health, metrics, the API description)."""
    view.policy = None  # type: ignore[attr-defined]
    return view


def _presented_key() -> str | None:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.headers.get("X-API-Key")


def authenticate() -> Actor:
    services = current_app.extensions["targeting"]
    presented = _presented_key()
    if not presented:
        metrics.AUTH_FAILURES.inc()
        _audit_failure("none", "no API key presented")
        raise Unauthenticated("an API key is required (header X-API-Key or Authorization: Bearer)")
    # Keys are printable ASCII: anything else is refused unlooked-up (a NUL cannot even be queried for).
    actor = services.key_store.authenticate(presented) if presented.isascii() and presented.isprintable() else None
    if actor is None:
        metrics.AUTH_FAILURES.inc()
        _audit_failure(_claimed_key_id(presented), "invalid, revoked or expired key")
        raise Unauthenticated("the API key is invalid, revoked or expired")
    return actor


#: A well-formed key: ``tgt_<key id>_<secret>``.
_KEY_ID = re.compile(r"tgt_([A-Za-z0-9.-]{1,32})_.")


def _claimed_key_id(presented: str) -> str:
    # Only the id of a well-formed key is recorded: anything else may be (part of) a secret.
    match = _KEY_ID.match(presented)
    return match.group(1) if match else "malformed"


def _audit_failure(key_id: str, reason: str) -> None:
    services = current_app.extensions["targeting"]
    services.key_store.record_failed_authentication(key_id, reason, request.remote_addr or "")


def current_actor() -> Actor:
    return g.actor


def ensure_agency(agency: str) -> None:
    """Refuse unless the target's ``agency`` is the caller's (or the caller may read across agencies)."""
    actor: Actor = g.actor
    policy: Policy = g.policy
    if actor.agency == agency:
        return
    if policy.auditors_cross_agency and actor.roles & CROSS_AGENCY_READERS:
        return
    raise Forbidden(f"this belongs to {agency}; your key is for {actor.agency}", "agency_forbidden")
