"""``/v1/audit`` and ``/v1/audit/identity-views`` (auditors), ``/v1/keys`` (administrators) and ``/v1/whoami``
(every key)."""

from __future__ import annotations

import dataclasses
from typing import Any

from flask_smorest import Blueprint

from api.admin.schemas import (
    AuditPageSchema,
    AuditQuerySchema,
    ChainReportSchema,
    IdentitySchema,
    IdentityViewPageSchema,
    IdentityViewQuerySchema,
    KeyCreateSchema,
    KeyListSchema,
    KeySchema,
    NewKeySchema,
)
from api.container import services
from api.contract import answers
from api.http.auth import current_actor, requires
from api.http.paging import next_page
from api.keys.interface import ApiKey

blp = Blueprint("admin", __name__, url_prefix="/v1", description="Audit log and API keys")


@blp.route("/audit", methods=["GET"])
@requires("auditor")
@blp.arguments(AuditQuerySchema, location="query")
@blp.response(200, AuditPageSchema)
def audit_entries(query: dict[str, Any]) -> dict[str, Any]:
    """Audit entries, filtered by agency, rule, actor and time: oldest first (page on with ``after``)
    or newest first (``order=newest``, page on with ``before``)."""
    newest = query["order"] == "newest"
    entries = services().audit.entries(
        agency=query.get("agency"),
        object_id=query.get("object_id"),
        object_prefix=f"{query['rule']}@" if query.get("rule") else None,
        actor=query.get("actor"),
        since=query.get("since"),
        until=query.get("until"),
        after_seq=query["after"],
        limit=query["limit"],
        before_seq=query.get("before"),
        newest_first=newest,
    )
    more = entries[-1].seq if len(entries) == query["limit"] else None
    if more is not None:
        next_page(**({"before": more} if newest else {"after": more}))
    return {"entries": entries, "next_after": None if newest else more, "next_before": more if newest else None}


@blp.route("/audit/identity-views", methods=["GET"])
@requires("auditor")
@blp.arguments(IdentityViewQuerySchema, location="query", unknown=None)  # the schema's RAISE
@blp.response(200, IdentityViewPageSchema)
def identity_views(query: dict[str, Any]) -> dict[str, Any]:
    """Who was shown passengers' identities, when, on which endpoint, and whose (decision ids, never the
    identities): newest first, filtered by actor and time, paged on with ``before``."""
    entries = services().decision_store.identity_views(
        actor=query.get("actor"),
        since=query.get("since"),
        until=query.get("until"),
        before_seq=query.get("before"),
        limit=query["limit"],
    )
    more = entries[-1].seq if len(entries) == query["limit"] else None
    if more is not None:
        next_page(before=more)
    return {"entries": entries, "next_before": more}


@blp.route("/audit/verify", methods=["GET"])
@requires("auditor")
@blp.response(200, ChainReportSchema)
def verify_audit() -> dict[str, Any]:
    """Recompute the hash chain; name the first edited, deleted or reordered entry."""
    report = services().audit.verify()
    return {"ok": report.ok, "entries": report.entries, "first_broken": report.first_broken, "reason": report.reason}


@blp.route("/keys", methods=["GET"])
@requires("admin")
@blp.response(200, KeyListSchema)
def list_keys() -> dict[str, Any]:
    """API keys (never their secrets)."""
    return {"keys": services().key_store.api_keys()}


@blp.route("/keys", methods=["POST"])
@requires("admin")
@answers("invalid_roles", "invalid_agency", "key_exists")
@blp.arguments(KeyCreateSchema)
@blp.response(201, NewKeySchema)
def create_key(body: dict[str, Any]) -> dict[str, Any]:
    """Create a key; the response is the only time the key itself is shown."""
    record, plaintext = services().key_store.create_key(
        body["name"], body["agency"], body["roles"], current_actor(), body.get("expires_at")
    )
    return {**dataclasses.asdict(record), "key": plaintext}


@blp.route("/keys/<key_id>", methods=["DELETE"])
@requires("admin")
@answers("key_not_found")
@blp.response(200, KeySchema)
def revoke_key(key_id: str) -> ApiKey:
    """Revoke a key at once."""
    return services().key_store.revoke_key(key_id, current_actor())


@blp.route("/whoami", methods=["GET"])
@requires("officer", "approver", "system", "auditor", "admin")
@blp.response(200, IdentitySchema)
def whoami() -> dict[str, Any]:
    """The key the request was made with: its id, name, agency and roles (the console shows them)."""
    actor = current_actor()
    return {"key_id": actor.key_id, "name": actor.name, "agency": actor.agency, "roles": sorted(actor.roles)}
