"""``/v1/worklist``: the passengers arriving on a New Zealand day that the caller's agency has hits on.

Every answer that shows passengers' identities is audited (``identity.view``: who, which
decisions, which endpoint; never the identities) before it is sent: if it cannot be audited,
it is not sent.
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask_smorest import Blueprint

from api.container import services
from api.contract import answers
from api.http.auth import current_actor, requires
from api.http.paging import next_page
from api.worklist import paging
from api.worklist.rows import candidates, departure_window, row_of, today, wanted_versions
from api.worklist.schemas import WorklistPageSchema, WorklistQuerySchema

blp = Blueprint("worklist", __name__, url_prefix="/v1", description="The day's work of the caller's agency")


@blp.route("/worklist", methods=["GET"])
@requires("officer", "approver", "auditor")
@answers("invalid_cursor")
@blp.arguments(WorklistQuerySchema, location="query", unknown=None)  # the schema's RAISE: a typo is a 422
@blp.response(200, WorklistPageSchema)
def worklist(query: dict[str, Any]) -> dict[str, Any]:
    """Passengers arriving on ``date`` (New Zealand) with hits of the caller's agency (auditors: of every
    agency), filtered, sorted and paged with ``cursor``.

    Each row shows the traveller's identity (unless the sharing policy withholds the record),
    the arrival and route, the combined score and its band among everyone arriving that day,
    the reasons the sharing policy shows the caller, how many matches each other agency has,
    and the caller's agency's hits to record dispositions on. Showing identities is audited.
    """
    actor = current_actor()
    query = {**query, "date": query.get("date") or today()}
    first, last = departure_window(query["date"])
    policy = services().sharing.policy()
    decisions = services().decision_store.departing_decisions(first, last)
    # Only the hits of agencies whose matches the caller sees are read at all.
    hits = services().hits.journey_hits(first, last, policy.visible_agencies(actor, "matches"))
    found, arriving = candidates(actor, policy, decisions, hits, query["date"])
    selected = [candidate for candidate in found if paging.selected(candidate, query)]
    page = paging.page(selected, query)
    titles = {
        version: title
        for version, (_, title) in services().rule_store.rule_versions_summary(wanted_versions(page.rows)).items()
    }
    rows = [row_of(actor, policy, candidate, titles) for candidate in page.rows]
    record_identities_shown([row.decision_id for row in rows if row.identity is not None])
    if page.next_cursor:
        next_page(cursor=page.next_cursor)
    return {
        "date": query["date"],
        "sort": query["sort"],
        "arriving": arriving,
        "total": page.total,
        "rows": rows,
        "next_cursor": page.next_cursor,
    }


def record_identities_shown(decision_ids: list[str]) -> None:
    """Audit that the caller is being shown these decisions' passengers' identities on this endpoint."""
    if decision_ids:  # an answer showing nobody's identity has nothing to record
        endpoint = f"{request.method} {request.url_rule.rule if request.url_rule else request.path}"
        services().decision_store.record_identity_view(current_actor(), endpoint, decision_ids)
