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
from api.http.auth import current_actor, requires
from api.worklist import paging
from api.worklist.rows import candidates, day_window, row_of, today, wanted_versions
from api.worklist.schemas import WorklistPageSchema, WorklistQuerySchema

blp = Blueprint("worklist", __name__, url_prefix="/v1", description="The day's work of the caller's agency")


@blp.route("/worklist", methods=["GET"])
@requires("officer", "approver", "auditor")
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
    policy = services().sharing.policy()
    fields = paging.needed_fields(query)
    arrivals = services().decision_store.arrivals(*day_window(query["date"]), fields)
    # Only the hits of agencies whose matches the caller sees are read at all.
    agencies = policy.visible_agencies(actor, "matches")
    states = services().hits.hit_states({(a.flight, a.flight_date) for a in arrivals}, agencies)
    found, arriving = candidates(actor, policy, arrivals, states, fields)
    selected = [candidate for candidate in found if paging.selected(candidate, query)]
    page = paging.page(selected, query)
    # The whole decisions and hits of the page's rows only.
    store = services().decision_store
    decisions = {d.id: d for d in store.decisions([c.arrival.decision_id for c in page.rows])}
    hits = services().hits.journey_hits([c.arrival.journey for c in page.rows], agencies)
    summaries = services().rule_store.rule_versions_summary(wanted_versions(decisions.values()))
    titles = {version: title for version, (_, title) in summaries.items()}
    rows = [
        row_of(actor, policy, c, decisions[c.arrival.decision_id], hits.get(c.arrival.journey, ()), titles)
        for c in page.rows
        if c.arrival.decision_id in decisions  # always, as none is ever deleted: a row left out, not a 500
    ]
    record_identities_shown([row.decision_id for row in rows if row.identity is not None])
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
