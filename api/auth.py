"""API keys and who may call what.

Every ``/v1`` view declares its policy with ``@requires``: the roles that may call it and
whether the target must belong to the caller's agency. The declarations are collected
from the route table by the authorisation-matrix test, so a new endpoint without a
policy fails the tests. ``@requires`` goes right under ``@blp.route``, so a caller is
authenticated and authorised before the request body is even read.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import current_app, g, request

from api import metrics
from api.services.interfaces import Actor, Forbidden, ServiceError

F = TypeVar("F", bound=Callable[..., Any])

#: Roles whose keys may read across agencies where a policy allows it.
CROSS_AGENCY_READERS = frozenset({"auditor"})


def _rule_agency(rule_id: str) -> str:
    return current_app.extensions["targeting"].store.rule_agency(rule_id)  # type: ignore[no-any-return]


def _decision_agency(decision_id: str) -> str:
    return current_app.extensions["targeting"].store.decision(decision_id).agency  # type: ignore[no-any-return]


def _entry_agency(entry_id: str) -> str:
    return current_app.extensions["targeting"].watchlist_store.entry(entry_id).agency  # type: ignore[no-any-return]


#: How the agency that owns a request's target is found, by path parameter.
TARGET_AGENCY: dict[str, Callable[[str], str]] = {
    "rule_id": _rule_agency,
    "decision_id": _decision_agency,
    "entry_id": _entry_agency,
    "agency": str,  # a path that names the agency itself (a journey contribution)
}


class Unauthenticated(ServiceError):
    status = 401
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
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            actor = authenticate()
            if not actor.roles & policy.roles:
                raise Forbidden(f"this needs one of the roles {', '.join(sorted(policy.roles))}", "role_forbidden")
            g.actor = actor
            g.policy = policy
            if policy.own_agency:
                for name, resolve in TARGET_AGENCY.items():
                    if name in kwargs:
                        ensure_agency(resolve(kwargs[name]))
            return view(*args, **kwargs)

        guarded.policy = policy  # type: ignore[attr-defined]
        return guarded  # type: ignore[return-value]

    return decorate


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
        raise Unauthenticated("an API key is required (header X-API-Key or Authorization: Bearer)")
    actor = services.store.authenticate(presented)
    if actor is None:
        metrics.AUTH_FAILURES.inc()
        key_id = presented[4:].split("_", 1)[0][:32] if presented.startswith("tgt_") else "malformed"
        services.store.record_failed_authentication(key_id, "invalid, revoked or expired key")
        raise Unauthenticated("the API key is invalid, revoked or expired")
    return actor


def current_actor() -> Actor:
    return g.actor  # type: ignore[no-any-return]


def ensure_agency(agency: str) -> None:
    """Refuse unless the target's ``agency`` is the caller's (or the caller may read across agencies)."""
    actor: Actor = g.actor
    policy: Policy = g.policy
    if actor.agency == agency:
        return
    if policy.auditors_cross_agency and actor.roles & CROSS_AGENCY_READERS:
        return
    raise Forbidden(f"this belongs to {agency}; your key is for {actor.agency}", "agency_forbidden")
