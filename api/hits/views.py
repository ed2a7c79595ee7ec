"""``/v1/hits``: each match worked by an officer of an entitled agency to a disposition."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from flask_smorest import Blueprint

from api.common import Forbidden, NotFound
from api.container import services
from api.contract import answers
from api.hits.interface import OPEN, Hit
from api.hits.schemas import DispositionSchema, HitListSchema, HitQuerySchema, HitSchema
from api.http.auth import current_actor, requires
from api.http.paging import next_page
from api.sharing.policy import SharingPolicy
from api.sharing.schemas import SharingGrantSchema, SharingPolicySchema

blp = Blueprint("hits", __name__, url_prefix="/v1", description="Hits, dispositions and the sharing policy")

WORKERS = ("officer", "approver")


def as_seen(policy: SharingPolicy, hits: Iterable[Hit]) -> list[Hit]:
    """The hits the caller may see, each with only the reasons' values it may see (``SharingPolicy.matches_for``)."""
    seen = []
    for hit in hits:
        shown, _ = policy.matches_for(current_actor(), [{"agency": hit.agency, "why": hit.why}])
        if shown:
            seen.append(dataclasses.replace(hit, why=shown[0]["why"]))
    return seen


def _visible(hit: Hit) -> Hit:
    """The hit as the caller may see it, or not found."""
    seen = as_seen(services().sharing.policy(), [hit])
    if not seen:
        # Not "forbidden": that would confirm the hit exists to an agency not entitled to it.
        raise NotFound(f"no hit {hit.id}", "hit_not_found")
    return seen[0]


@blp.route("/hits", methods=["GET"])
@requires(*WORKERS, "auditor")
@blp.arguments(HitQuerySchema, location="query")
@blp.response(200, HitListSchema)
def list_hits(query: dict[str, Any]) -> dict[str, Any]:
    """Hits the caller's agency may see under the sharing policy, newest first, filtered (``status=open``:
    new or in review, the open-hits queue)."""
    policy = services().sharing.policy()
    flight = query.get("flight")
    # The store pages over the agencies whose matches the caller sees; what it sees of each is the policy's.
    found = services().hits.hits(
        policy.visible_agencies(current_actor(), "matches"),
        flight=flight.upper() if flight else None,
        day=query.get("date"),
        status=OPEN if query.get("status") == "open" else query.get("status"),
        rule_id=query.get("rule_id"),
        passenger_ref=query.get("passenger_id"),
        limit=query["limit"],
        offset=query["offset"],
    )
    if len(found) == query["limit"]:
        next_page(offset=query["offset"] + query["limit"])
    return {"hits": as_seen(policy, found)}


@blp.route("/hits/<hit_id>", methods=["GET"])
@requires(*WORKERS, "auditor")
@answers("hit_not_found")
@blp.response(200, HitSchema)
def get_hit(hit_id: str) -> Hit:
    """One hit with why it matched and its disposition."""
    return _visible(services().hits.hit(hit_id))


@blp.route("/hits/<hit_id>/disposition", methods=["POST"])
@requires(*WORKERS)
@answers("hit_not_found", "agency_forbidden", "note_required", "invalid_transition")
@blp.arguments(DispositionSchema)
@blp.response(200, HitSchema)
def set_disposition(body: dict[str, Any], hit_id: str) -> Hit:
    """``new`` -> ``in_review`` -> ``referred`` | ``cleared`` | ``false_match`` | ``offence_found`` (with a note).

    Only the agency that owns the hit's rule records it (``403 agency_forbidden`` for an agency
    a sharing grant lets see the hit): its outcomes are that rule's precision.
    """
    _visible(services().hits.hit(hit_id))
    return _visible(services().hits.set_status(hit_id, body["status"], body["note"], current_actor()))


@blp.route("/sharing", methods=["GET"])
@requires("officer", "approver", "auditor", "system", "admin")
@blp.response(200, SharingPolicySchema)
def sharing_policy() -> dict[str, Any]:
    """Which agency sees which other agency's matches and contributed fields."""
    return services().sharing.policy().as_dict()


@blp.route("/sharing/<viewer>/<owner>", methods=["PUT"])
@requires("admin")
@answers("invalid_grant")
@blp.arguments(SharingGrantSchema)
@blp.response(200, SharingPolicySchema)
def set_sharing(body: dict[str, Any], viewer: str, owner: str) -> dict[str, Any]:
    """Set exactly what ``viewer`` may see of ``owner``'s data (audited); ``{"share": []}`` revokes."""
    if "admin" not in current_actor().roles:
        raise Forbidden("only an administrator changes the sharing policy", "role_forbidden")
    return services().sharing.set_grants(viewer, owner, body["share"], current_actor()).as_dict()
